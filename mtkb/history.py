"""Versions of every knowledge item and reference, derived from the content's git history.

A commit that changed an item's file, or a reference's entry, is a version of it; a `Professional-change:
<id>` trailer marks the change as one of substance. Each version keeps its source as it was at that commit,
read by today's code (or the problems today's code finds in it). Without history (a tarball, a shallow
clone) every record is at version 1 and `status` says why.

What is derived is cached by HEAD (a rebuild without new commits reads no history) and the parsing of
sources by blob hash (a new commit parses only the blobs it brought).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import bibtexparser

from mtkb import gitlog
from mtkb.corpus import Corpus, content_version_of
from mtkb.errors import ContentError
from mtkb.schemas import schema_for
from mtkb.sources.bibtex import load_bibliography
from mtkb.sources.markdown import load_item

FRONT_FIELD = re.compile(r"^(id|type):[ \t]*['\"]?([^'\"\s#]+)", re.M)
CACHE_FILE = "history.json"
BLOB_CACHE_FILE = "history-blobs.json"


@dataclass(frozen=True)
class Version:
    n: int
    commit: str
    date: str  # ISO 8601 committer date
    professional: bool
    path: str  # the source's path at that commit, relative to the content folder's parent
    data: dict[str, Any] | None = None  # the record as today's code reads that source
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    commit: str
    date: str
    type: str
    id: str
    change: str  # created | changed | removed
    version: int | None  # the version after the commit; None when removed
    previous: int | None  # the version before it; None when the record did not exist
    professional: bool


@dataclass
class History:
    status: str  # git | none | shallow
    head: str | None = None
    commits: list[dict[str, str]] = field(default_factory=list)  # commit, date, content_version
    versions: dict[str, dict[str, list[Version]]] = field(default_factory=dict)  # type → id → versions
    events: list[Event] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> History:
        versions = {
            t: {
                i: [Version(**{**v, "problems": tuple(v["problems"])}) for v in vs] for i, vs in by_id.items()
            }
            for t, by_id in data["versions"].items()
        }
        return cls(
            data["status"], data["head"], data["commits"], versions, [Event(**e) for e in data["events"]]
        )

    def of(self, record_type: str, ident: str) -> list[Version]:
        return self.versions.get(record_type, {}).get(ident, [])


def _front(text: str) -> tuple[str | None, str | None]:
    """(type, id) from a Markdown item's front matter, without validating it."""
    head = text.lstrip("\ufeff").split("\n---", 1)[0]
    found: dict[str, str] = {m.group(1): m.group(2) for m in FRONT_FIELD.finditer(head)}
    return found.get("type"), found.get("id")


def _entries(text: str) -> dict[str, str]:
    """Each entry's key and a hash of its text, from a .bib file's source."""
    library = bibtexparser.parse_string(text)
    return {e.key: hashlib.sha1((e.raw or "").encode()).hexdigest() for e in library.entries}


def _parse_markdown(raw: bytes, display: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "item.md"
        file.write_bytes(raw)
        try:
            item = load_item(file, display)
        except ContentError as exc:
            return {"data": None, "problems": [str(p) for p in exc.problems]}
    return {"data": schema_for(item.type).dump(item), "problems": []}


def _parse_bib(raw: bytes, display: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "refs.bib"
        file.write_bytes(raw)
        result = load_bibliography([(file, display)])
    schema = schema_for("reference")
    return {
        "data": {key: schema.dump(ref) for key, ref in result.references.items()},
        "problems": [str(p) for p in result.problems],
    }


class _Blobs:
    """What each blob holds (ids, entries, parsed records), cached on disk by blob hash."""

    def __init__(self, repo: gitlog.Repository, cache: Path | None):
        self.repo, self.cache = repo, cache
        self.known: dict[str, dict[str, Any]] = {}
        if cache and cache.is_file():
            self.known = json.loads(cache.read_text(encoding="utf-8"))
        self.raw: dict[str, bytes] = {}

    def load(self, hashes: list[str]) -> None:
        self.raw.update(gitlog.blobs(self.repo, [h for h in hashes if h not in self.raw]))

    def info(self, sha: str, display: str) -> dict[str, Any]:
        if sha not in self.known:
            text = self.raw[sha].decode("utf-8", "replace")
            if display.endswith(".md"):
                kind, ident = _front(text)
                parsed = _parse_markdown(self.raw[sha], display)
                self.known[sha] = {"type": kind, "id": ident, **parsed}
            else:
                self.known[sha] = {"entries": _entries(text), **_parse_bib(self.raw[sha], display)}
        return self.known[sha]

    def save(self) -> None:
        if self.cache:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            self.cache.write_text(json.dumps(self.known, ensure_ascii=False), encoding="utf-8")


def _records(
    state: dict[str, str], displays: dict[str, str], blobs: _Blobs
) -> dict[tuple[str, str], tuple[str, str]]:
    """(type, id) → (hash of its source, path) for every record in the files of `state` (path → blob)."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for path, sha in state.items():
        info = blobs.info(sha, displays[path])
        if path.endswith(".md"):
            if info["type"] and info["id"]:
                found[(info["type"], info["id"])] = (sha, path)
        else:
            for key, digest in info["entries"].items():
                found[("reference", key)] = (digest, path)
    return found


def _version_data(
    info: dict[str, Any], record_type: str, ident: str
) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    if record_type == "reference":
        data = info["data"].get(ident)
        mine = tuple(p for p in info["problems"] if repr(ident) in p)
        return data, (() if data else mine or ("the entry could not be read",))
    return info["data"], tuple(info["problems"])


def derive(kb_dir: Path, references_dir: Path, cache_dir: Path | None = None) -> History:
    """The history of the content under `kb_dir` and `references_dir`. Never raises for a missing or
    shallow repository: the History says so instead."""
    repo = gitlog.repository(kb_dir)
    if repo is None:
        return History("none")
    if repo.shallow:
        return History("shallow", repo.head)
    try:
        roots = [Path(d).resolve().relative_to(repo.top.resolve()) for d in (kb_dir, references_dir)]
    except ValueError:
        return History("none")
    cache = cache_dir / CACHE_FILE if cache_dir else None
    key = f"{repo.head}:{roots[0]}:{roots[1]}"
    if cache and cache.is_file():
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return History.from_json(cached["history"])
    history = _derive(repo, roots, _Blobs(repo, cache_dir / BLOB_CACHE_FILE if cache_dir else None))
    if cache:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"key": key, "history": history.to_json()}, ensure_ascii=False), "utf-8")
    return history


def _derive(repo: gitlog.Repository, roots: list[Path], blobs: _Blobs) -> History:
    def display(path: str) -> str | None:
        for root, suffix in zip(roots, (".md", ".bib"), strict=True):
            if path.endswith(suffix) and Path(path).is_relative_to(root):
                return str(Path(root.name) / Path(path).relative_to(root))
        return None

    commits = gitlog.commits(repo, [str(r) for r in roots])
    blobs.load([c.new for commit in commits for c in commit.changes if display(c.path)])
    history = History("git", repo.head)
    state: dict[str, str] = {}
    displays: dict[str, str] = {}
    before: dict[tuple[str, str], tuple[str, str]] = {}
    for commit in commits:
        for change in commit.changes:
            shown = display(change.path)
            if shown is None:
                continue
            displays[change.path] = shown
            if change.new == gitlog.ZERO:
                state.pop(change.path, None)
            else:
                state[change.path] = change.new
        now = _records(state, displays, blobs)
        pairs = sorted((displays[p], blobs.raw[s]) for p, s in state.items())
        history.commits.append(
            {"commit": commit.sha, "date": commit.date, "content_version": content_version_of(pairs)}
        )
        for record in sorted(now.keys() | before.keys()):
            record_type, ident = record
            professional = ident in commit.professional
            known = len(history.of(record_type, ident)) or None
            if record not in now:
                history.events.append(
                    Event(commit.sha, commit.date, record_type, ident, "removed", None, known, professional)
                )
                continue
            if record in before and before[record][0] == now[record][0]:
                continue
            versions = history.versions.setdefault(record_type, {}).setdefault(ident, [])
            path = now[record][1]
            data, problems = _version_data(blobs.info(state[path], displays[path]), record_type, ident)
            versions.append(
                Version(
                    len(versions) + 1, commit.sha, commit.date, professional, displays[path], data, problems
                )
            )
            kind, previous = ("changed", known) if record in before else ("created", None)
            history.events.append(
                Event(
                    commit.sha, commit.date, record_type, ident, kind, len(versions), previous, professional
                )
            )
        before = now
    blobs.save()
    return history


def annotate(corpus: Corpus, history: History) -> Corpus:
    """A copy of `corpus` whose records carry `version`, `first_published` and `last_edited` from
    `history`; without history, version 1 and the hand-written `updated` date as `last_edited`."""
    items = {}
    for ident, item in corpus.items.items():
        versions = history.of(item.type, ident)
        items[ident] = replace(item, **_fields(versions, item.updated))
    references = {}
    for key, ref in corpus.references.items():
        fallback = date.fromisoformat(ref.updated) if ref.updated else None
        references[key] = replace(ref, **_fields(history.of("reference", key), fallback))
    return replace(corpus, items=items, references=references)


def _fields(versions: list[Version], fallback: date | None) -> dict[str, Any]:
    if not versions:
        return {"version": 1, "first_published": None, "last_edited": fallback}
    return {
        "version": len(versions),
        "first_published": date.fromisoformat(versions[0].date[:10]),
        "last_edited": date.fromisoformat(versions[-1].date[:10]),
    }


def events_since(history: History, since: str) -> list[Event] | None:
    """The events after the content version `since` (the last commit that had it), or after the time
    `since` (RFC 3339). None when `since` is neither a content version of the history nor a time."""
    positions = [i for i, c in enumerate(history.commits) if c["content_version"] == since]
    if positions:
        later = {c["commit"] for c in history.commits[positions[-1] + 1 :]}
        return [e for e in history.events if e.commit in later]
    try:
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return [e for e in history.events if datetime.fromisoformat(e.date) > moment]


def summarise(events: list[Event]) -> list[dict[str, Any]]:
    """One change per record over `events`: its old and new version, whether any step was a change of
    substance, and when it was last edited; records created and removed within them are left out.
    Most recently edited first."""
    grouped: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        grouped.setdefault((event.type, event.id), []).append(event)
    changes = []
    for (record_type, ident), steps in grouped.items():
        old, new = steps[0].previous, steps[-1].version
        if old is None and new is None:
            continue
        change = "created" if old is None else "removed" if new is None else "changed"
        changes.append(
            {
                "type": record_type,
                "id": ident,
                "change": change,
                "old_version": old,
                "new_version": new,
                "last_edited": steps[-1].date,
                "professional": any(s.professional for s in steps),
                "commits": list(dict.fromkeys(s.commit for s in steps)),
            }
        )
    return sorted(changes, key=lambda c: (c["last_edited"], c["type"], c["id"]), reverse=True)
