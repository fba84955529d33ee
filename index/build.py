"""Build an index from a corpus: a whoosh index plus the serialised records, as one numbered build."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.builds import build_lock, current_build, discard, publish, scratch_dir
from index.citations import prerender, write_sources
from index.indexing import WhooshJob
from index.reuse import Previous, history_key, record_digest, record_key, write_inputs
from mtkb.corpus import Corpus
from mtkb.history import History, annotate
from mtkb.records import Item, Reference
from mtkb.schemas import schema_for

RECORDS_FILE = "records.json"
MANIFEST_FILE = "manifest.json"
SPELLING_FILE = "spelling.json"
HISTORY_FILE = "history.json"
HISTORY_CACHE_DIR = "history"
"""Beside `builds/` and `cache/`: what mtkb.history derived, by HEAD and by blob (kept across builds)."""
WHOOSH_DIR = "whoosh"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildInfo:
    path: Path
    version: str
    counts: dict[str, int]
    seconds: float
    citations_prerendered: bool = False


def serialise(corpus: Corpus) -> dict[str, Any]:
    """Every record as its schema dumps it, by type and id, with the alias table."""
    records: dict[str, dict[str, Any]] = {t: {} for t in corpus.counts()}
    for item in corpus.items.values():
        records[item.type][item.id] = schema_for(item.type).dump(item)
    reference_schema = schema_for("reference")
    for key, ref in corpus.references.items():
        records["reference"][key] = reference_schema.dump(ref)
    return {"version": corpus.version, "aliases": corpus.aliases, "records": records}


def write_records(
    corpus: Corpus, path: Path, previous: Previous | None = None, digests: dict[str, str] | None = None
) -> None:
    """Write `json.dumps(serialise(corpus))` to `path` a record at a time: for a large corpus the whole
    document would be hundreds of megabytes in memory, twice (as text and as bytes). A record whose digest
    (`digests`, by record_key) is the one in the `previous` build is copied from there, not serialised."""

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    by_type: dict[str, list[Any]] = {t: [] for t in corpus.counts()}
    for item in corpus.items.values():
        by_type[item.type].append(item)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'{{"version": {dumps(corpus.version)}, "aliases": {dumps(corpus.aliases)}, "records": {{')
        for n, (record_type, items) in enumerate(by_type.items()):
            schema = schema_for(record_type)
            out.write(f"{', ' if n else ''}{dumps(record_type)}: {{")
            pairs = (
                ((ref.key, ref) for ref in corpus.references.values())
                if record_type == "reference"
                else ((item.id, item) for item in items)
            )
            for i, (ident, record) in enumerate(pairs):
                key = record_key(record)
                if previous and digests and previous.unchanged(key, digests[key]):
                    data = previous.record(RECORDS_FILE, record_type, ident)
                else:
                    data = schema.dump(record)
                out.write(f"{', ' if i else ''}{dumps(ident)}: {dumps(data)}")
            out.write("}")
        out.write("}}")


def write_spelling(vocabulary: Counter[str], path: Path) -> None:
    """The words seen, for spelling suggestions, each with the number of records using it."""
    words = sorted(w for w in vocabulary if w.isalpha())
    spelling = {"words": words, "counts": [vocabulary[w] for w in words]}
    path.write_text(json.dumps(spelling, ensure_ascii=False), encoding="utf-8")


def discard_contents(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()


def history_summary(history: History, version: str) -> dict[str, Any]:
    """What the manifest and /health say of the history: where versions come from, and whether the
    content built differs from the last commit (uncommitted edits are not a version)."""
    last = history.commits[-1]["content_version"] if history.commits else None
    return {
        "status": history.status,
        "head": history.head,
        "commits": len(history.commits),
        "uncommitted_changes": history.status == "git" and last != version,
    }


def build_index(
    corpus: Corpus,
    index_dir: Path,
    progress: Progress | None = None,
    prerender_citations: bool = True,
    history: History | None = None,
    citations_progress: Progress | None = None,
) -> BuildInfo:
    """Write a new build of `corpus` under `index_dir` and make it current. Raises whatever fails, and then
    the current build stays as it was. `progress(done, total)` is called every few hundred records,
    `citations_progress(done, total)` after each run of the citation engine.
    With `prerender_citations` the core citation styles are formatted into the build (else on request).
    `history` (mtkb.history) gives each record its versions; without it every record is at version 1.
    Whatever the current build holds that is unchanged is taken from it (index/reuse.py): the new build
    is the same, file for file, as a full build (only the manifest's `built_at` differs)."""
    started = time.perf_counter()
    history = history or History("none")
    corpus = annotate(corpus, history)
    with build_lock(index_dir):
        scratch = scratch_dir(index_dir)
        indexing: WhooshJob | None = None
        try:
            whoosh_dir = scratch / WHOOSH_DIR
            whoosh_dir.mkdir()
            records: list[Item | Reference] = [*corpus.items.values(), *corpus.references.values()]
            digests = {record_key(r): record_digest(r) for r in records}
            previous = Previous.of(current_build(index_dir))
            reused_index = (
                previous.same_records(digests)
                and previous.link(WHOOSH_DIR, whoosh_dir)
                and previous.link(SPELLING_FILE, scratch / SPELLING_FILE)
            )
            if not reused_index:
                discard_contents(whoosh_dir)
                # Forked workers (for a large corpus) go on indexing while this process writes the rest.
                indexing = WhooshJob(records, whoosh_dir, progress)
                indexing.start()
            write_records(corpus, scratch / RECORDS_FILE, previous, digests)
            references = list(corpus.references.values())
            write_sources(references, scratch)
            prerendered = prerender_citations and prerender(
                references, scratch, previous.build, citations_progress
            )
            if indexing is not None:
                write_spelling(indexing.finish(), scratch / SPELLING_FILE)
            elif progress:
                progress(len(records), len(records))
            derived = history_key(history)
            if not (
                previous.inputs.get("history") == derived
                and previous.link(HISTORY_FILE, scratch / HISTORY_FILE)
            ):
                (scratch / HISTORY_FILE).write_text(
                    json.dumps(history.to_json(), ensure_ascii=False), "utf-8"
                )
            write_inputs(scratch, digests, derived)
            built_at = datetime.now(UTC).isoformat(timespec="seconds")
            manifest = {
                "version": corpus.version,
                "built_at": built_at,
                "counts": corpus.counts(),
                "citations": "prerendered" if prerendered else "on request",
                "history": history_summary(history, corpus.version),
            }
            (scratch / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            final = publish(index_dir, scratch)
        except BaseException:
            if indexing is not None:
                indexing.cancel()
            discard(scratch)
            raise
    return BuildInfo(final, corpus.version, corpus.counts(), time.perf_counter() - started, prerendered)
