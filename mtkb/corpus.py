"""The corpus: every knowledge item and reference, read, cross-checked and linked.

`load_corpus` never stops at the first problem: it reads every file, keeps every good record and
reports every problem with its file and line, so that one bad entry never hides the good ones.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mtkb import ITEM_TYPES
from mtkb.errors import ContentError, ContentProblem
from mtkb.pointers import item_pointers, reference_pointers
from mtkb.records import Evidence, Guideline, Item, Recommendation, Reference, Service
from mtkb.schemas.common import looks_like_key
from mtkb.sources.bibtex import load_bibliography
from mtkb.sources.markdown import load_item


@dataclass
class Corpus:
    """Good records by id, the problems found, and how many entries the input held."""

    items: dict[str, Item] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    problems: list[ContentProblem] = field(default_factory=list)
    warnings: list[ContentProblem] = field(default_factory=list)
    """What the readers had to guess (an unknown LaTeX macro, a malformed name ...): the record is kept."""
    entries_seen: int = 0
    version: str = ""

    def of_type(self, item_type: str) -> list[Item]:
        return [item for item in self.items.values() if item.type == item_type]

    def counts(self) -> dict[str, int]:
        """How many records of each type, in the fixed type order."""
        counted = Counter(item.type for item in self.items.values())
        return {**{t: counted.get(t, 0) for t in ITEM_TYPES}, "reference": len(self.references)}

    def raise_for_problems(self) -> None:
        """Raise ContentError listing every problem, if there are any."""
        if self.problems:
            raise ContentError(self.problems)


def content_version(files: list[tuple[Path, str]]) -> str:
    """A short hash of the content: changes when any file changes, moves, appears or goes. `files` pairs
    each file with its path relative to the content roots (so the version is the same on every machine)."""
    return content_version_of((display, file.read_bytes()) for file, display in files)


def content_version_of(files: Iterable[tuple[str, bytes]]) -> str:
    """The content version of (display path, bytes) pairs: also of the content at a past commit."""
    digest = hashlib.sha256()
    for display, data in sorted(files, key=lambda pair: pair[0]):
        digest.update(display.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()[:16]


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if p.is_file()) if root.is_dir() else []


def _display(file: Path, root: Path) -> str:
    return str(Path(root.name) / file.relative_to(root))


ParsedItems = dict[str, tuple[bytes, Item | ContentError]]
"""Markdown files already read, by display path: their bytes and what reading them gave."""


def _load_item(file: Path, display: str, parsed: ParsedItems | None) -> Item:
    """`load_item`, answered from `parsed` when the file's bytes are the same as then."""
    if parsed is None:
        return load_item(file, display)
    raw = file.read_bytes()
    known = parsed.get(display)
    if known is None or known[0] != raw:
        try:
            result: Item | ContentError = load_item(file, display)
        except ContentError as exc:
            result = exc
        known = parsed[display] = (raw, result)
    if isinstance(known[1], ContentError):
        raise known[1]
    return known[1]


def load_corpus(kb_dir: Path, references_dir: Path, parsed: ParsedItems | None = None) -> Corpus:
    """Read `kb_dir/**/*.md` and `references_dir/**/*.bib`, check them against each other, link them.
    A long-lived caller (`mtkb preview`) passes the same `parsed` each time: only changed Markdown files
    are read again (items are frozen, so they can be shared between corpora)."""
    corpus = Corpus()
    md_files, bib_files = _files(kb_dir, "*.md"), _files(references_dir, "*.bib")
    corpus.version = content_version(
        [(f, _display(f, kb_dir)) for f in md_files] + [(f, _display(f, references_dir)) for f in bib_files]
    )
    loaded = []
    for file in md_files:
        corpus.entries_seen += 1
        try:
            loaded.append(_load_item(file, _display(file, kb_dir), parsed))
        except ContentError as exc:
            corpus.problems.extend(exc.problems)
    # When two files claim one id, the file named after the id keeps it and the other is reported, so a
    # stray copy can never push the real item out (otherwise the first path in sorted order wins).
    for item in sorted(loaded, key=lambda it: Path(it.origin.path).stem != it.id):
        _add_item(corpus, item)
    bib = load_bibliography([(f, _display(f, references_dir)) for f in bib_files])
    corpus.references, corpus.entries_seen = bib.references, corpus.entries_seen + bib.entries_seen
    corpus.problems.extend(bib.problems)
    corpus.warnings.extend(bib.warnings)
    _check_links(corpus)
    _derive_relations(corpus)
    _check_pointers(corpus)
    corpus.problems.sort(key=lambda p: (p.path, p.line))
    return corpus


def _check_pointers(corpus: Corpus) -> None:
    """Report every internal pointer (see mtkb.pointers) in what the corpus would serve. The record stays:
    `mtkb check` and a strict build stop on the problem, `--keep-going` serves it as written."""
    for item in corpus.items.values():
        corpus.problems.extend(item_pointers(item))
    for ref in corpus.references.values():
        corpus.problems.extend(reference_pointers(ref))


def _line(item: Item, field_name: str, index: int | None = None) -> int:
    """The line of a field, or of one element of a list field when it has its own line."""
    if index is not None and f"{field_name}.{index}" in item.origin.field_offsets:
        return item.origin.line_of(f"{field_name}.{index}")
    return item.origin.line_of(field_name)


def _add_item(corpus: Corpus, item: Item) -> None:
    """Add `item` unless its id or one of its aliases is already an id or an alias of another item."""
    names = [
        ("id", item.id, _line(item, "id")),
        *(("alias", a, _line(item, "aliases", i)) for i, a in enumerate(item.aliases)),
    ]
    for kind, name, line in names:
        owner = corpus.items.get(name) or corpus.items.get(corpus.aliases.get(name, ""))
        if owner is not None:
            where = f"{owner.origin.path}:{owner.origin.line}"
            used = f"the id of {where}" if owner.id == name else f"an alias of {owner.id!r} ({where})"
            corpus.problems.append(
                ContentProblem(item.origin.path, line, f"{kind} {name!r} is already {used}")
            )
            return
    corpus.items[item.id] = item
    corpus.aliases.update({alias: item.id for alias in item.aliases})


def _links(item: Item) -> list[tuple[str, int, str, str]]:
    """(field, line, target id, wanted type) for every link from `item` to another knowledge item."""
    links: list[tuple[str, int, str, str]] = []
    if isinstance(item, Recommendation):
        links.append(("guideline", _line(item, "guideline"), item.guideline, "guideline"))
        for name in ("evidence_considered", "newer_evidence"):
            links += [(name, _line(item, name, i), e, "evidence") for i, e in enumerate(getattr(item, name))]
    if isinstance(item, Evidence) and item.superseded_by:
        links.append(("superseded_by", _line(item, "superseded_by"), item.superseded_by, "evidence"))
    service = getattr(item, "service", None)  # reports and facts about a service
    if service:
        links.append(("service", _line(item, "service"), service, "service"))
    return links


def _check_links(corpus: Corpus) -> None:
    """Every link resolves to an item of the right type; every listed or cited key exists. An item with
    a broken link is reported and dropped (and so, in turn, is any item linking to it), so that what is
    served never points nowhere."""
    rejected: set[str] = set()
    while True:
        broken = {item.id for item in corpus.items.values() if _report_broken_links(corpus, item, rejected)}
        if not broken:
            return
        rejected |= broken
        for item_id in broken:
            item = corpus.items.pop(item_id)
            for alias in item.aliases:
                corpus.aliases.pop(alias, None)


def _report_broken_links(corpus: Corpus, item: Item, rejected: set[str]) -> bool:
    """Report each broken link of `item`; True when it has any."""
    problems = []
    for field_name, line, target, wanted in _links(item):
        found = corpus.items.get(target)
        if target in rejected:
            problem = "was rejected (see its own problems)"
        elif found is None:
            problem = "does not exist"
        elif found.type != wanted:
            problem = f"is of type {found.type!r}, not {wanted!r}"
        elif found.id == item.id:
            problem = "is the item itself"
        else:
            continue
        problems.append((line, f"{field_name}: {wanted} {target!r} {problem}"))
    cited_lines: dict[str, int] = {}
    for citation in item.citations:
        cited_lines.setdefault(citation.key, citation.line)  # the first citation of a key
    for key in item.linked_keys():
        if key not in corpus.references:
            problems.append(
                (cited_lines.get(key) or _field_line_of_key(item, key), f"unknown reference key {key!r}")
            )
    for index, source in enumerate(item.verification.sources):
        if looks_like_key(source) and source not in corpus.references:
            line = _line(item, "verification.sources", index)
            problems.append((line, f"verification.sources: unknown reference key {source!r}"))
    corpus.problems.extend(ContentProblem(item.origin.path, line, message) for line, message in problems)
    return bool(problems)


def _field_line_of_key(item: Item, key: str) -> int:
    for name in ("references", "guideline_references", "citation_reference", "reference"):
        value = getattr(item, name, None)
        if value == key:
            return _line(item, name)
        if isinstance(value, tuple) and key in value:
            return _line(item, name, value.index(key))
    return item.origin.line


def _derive_relations(corpus: Corpus) -> None:
    """Fill the reverse links: a guideline's recommendations, what an evidence item supersedes, a
    service's reports and facts, and which items cite a reference."""
    recs: dict[str, list[str]] = {}
    about: dict[tuple[str, str], list[str]] = {}  # (service id, "report" or "fact") -> item ids
    supersedes: dict[str, list[str]] = {}
    cited_by: dict[str, list[str]] = {}
    for item in corpus.items.values():
        if isinstance(item, Recommendation):
            recs.setdefault(item.guideline, []).append(item.id)
        if isinstance(item, Evidence) and item.superseded_by:
            supersedes.setdefault(item.superseded_by, []).append(item.id)
        service = getattr(item, "service", None)
        if service:
            about.setdefault((service, item.type), []).append(item.id)
        for key in item.linked_keys():
            cited_by.setdefault(key, []).append(item.id)
    for item_id, item in corpus.items.items():
        if isinstance(item, Guideline):
            corpus.items[item_id] = replace(item, recommendations=tuple(sorted(recs.get(item_id, ()))))
        elif isinstance(item, Evidence):
            corpus.items[item_id] = replace(item, supersedes=tuple(sorted(supersedes.get(item_id, ()))))
        elif isinstance(item, Service):
            reports, facts = about.get((item_id, "report"), ()), about.get((item_id, "fact"), ())
            corpus.items[item_id] = replace(item, reports=tuple(sorted(reports)), facts=tuple(sorted(facts)))
    for key, ref in corpus.references.items():
        if key in cited_by:
            corpus.references[key] = replace(ref, cited_by=tuple(sorted(cited_by[key])))
