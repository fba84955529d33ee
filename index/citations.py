"""Citations stored with a build: each reference's BibTeX source (so its record can be rebuilt), the core
styles pre-rendered in every locale, and the disk cache for every other style.

A build holds `references.json` (key -> entry type and resolved fields) and, when pre-rendered,
`citations/<style>/<locale>.json` (key -> formatted entry). Any other style is formatted on first request
into a CitationCache shared by all workers and keyed by content version, so each distinct citation is
formatted once per content version.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mtkb.citations import (
    CORE_STYLES,
    LOCALES,
    CitationCache,
    Formatted,
    format_references,
    resolve_locale,
    resolve_style,
    to_csl_json,
)
from mtkb.citations.engine import engine_id, format_many, prepared_style
from mtkb.citations.styles import STYLES_DIR
from mtkb.errors import NotFound
from mtkb.records import Reference
from mtkb.sources.bibtex import reference_from_fields

SOURCES_FILE = "references.json"
CITATIONS_DIR = "citations"
RENDER_THREADS = os.cpu_count() or 2
"""pandoc runs as a child process, so a thread per core keeps every core busy."""
PRERENDER_LIMIT = 1000
"""Pre-render only bibliographies up to this size: formatting costs about 10 ms per reference per style
and locale (24 combinations), so a 10,000-entry bibliography would add 20 minutes to a build. Larger
ones are formatted on first request, each citation once per content version."""
RUN_ENTRIES = 400
"""Entries (a reference in a style and locale) per pandoc run at most, so that every run stays well inside
the engine's time limit on a loaded machine (about 8 ms of CPU each)."""
INPUTS_FILE = "inputs.json"
"""In `citations/`: what every entry was made from, so that the next build can reuse what is unchanged."""


def write_sources(references: Sequence[Reference], build_dir: Path) -> None:
    """Write `json.dumps({key: {"entry_type": ..., "fields": ...}})` a reference at a time: the whole
    document would be about the size of the BibTeX in memory, two or three times over (the encoder's
    pieces, the joined text, its UTF-8 bytes), the largest allocation of a build."""
    with open(build_dir / SOURCES_FILE, "w", encoding="utf-8") as out:
        out.write("{")
        for i, ref in enumerate(references):
            source = {"entry_type": ref.entry_type, "fields": ref.fields}
            out.write(f"{', ' if i else ''}{_dumps(ref.key)}: {_dumps(source)}")
        out.write("}")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]


def _inputs(references: Sequence[Reference]) -> dict[str, Any]:
    """What each pre-rendered entry is made from: per style and locale the engine (mtkb's and pandoc's
    versions: pandoc holds the locale files), the style and locale ids and the style file as given to the
    engine; per reference its CSL-JSON. An entry depends on nothing else: each is formatted as if it were
    the only one cited (mtkb.citations.engine)."""
    engine = engine_id()
    styles = {
        f"{style}/{locale}": _digest([engine, style, locale, _style_digest(style)])
        for style in CORE_STYLES
        for locale in LOCALES
    }
    return {"styles": styles, "references": {ref.key: _digest(to_csl_json(ref)) for ref in references}}


def _style_digest(style: str) -> str:
    """A digest of the style's file: the installed file of an independent style (the code that prepares
    it for the engine is the build's own, see index/reuse.py), else the prepared file's name, which holds
    the digest of its content. Reading the file is quicker than preparing it."""
    installed = STYLES_DIR / f"{style}.csl"
    if installed.is_file():
        return hashlib.sha256(installed.read_bytes()).hexdigest()
    return prepared_style(style).name


def _reusable(previous: Path | None, inputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """From the build `previous`, each style/locale's entries whose inputs are the same as now."""
    try:
        assert previous is not None
        old = json.loads((previous / CITATIONS_DIR / INPUTS_FILE).read_text(encoding="utf-8"))
    except (AssertionError, OSError, ValueError):
        return {}
    same = {key for key, digest in inputs["references"].items() if old["references"].get(key) == digest}
    reused: dict[str, dict[str, Any]] = {}
    for pair, digest in inputs["styles"].items():
        if old["styles"].get(pair) != digest:
            continue
        try:
            entries = json.loads((previous / CITATIONS_DIR / f"{pair}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        reused[pair] = {key: value for key, value in entries.items() if key in same}
    return reused


def _style_locale(pair: str) -> tuple[str, str]:
    style, locale = pair.split("/")
    return style, locale


def _runs(todo: list[tuple[str, Reference]]) -> list[list[tuple[str, list[Reference]]]]:
    """The entries to format cut into engine runs of at most RUN_ENTRIES, at least one per core (so a
    full build keeps every core busy), each run's entries grouped by style/locale."""
    if not todo:
        return []
    count = max(min(RENDER_THREADS, len(todo)), -(-len(todo) // RUN_ENTRIES))
    size = -(-len(todo) // count)
    runs = []
    for start in range(0, len(todo), size):
        grouped: dict[str, list[Reference]] = {}
        for pair, ref in todo[start : start + size]:
            grouped.setdefault(pair, []).append(ref)
        runs.append(list(grouped.items()))
    return runs


def prerender(
    references: Sequence[Reference],
    build_dir: Path,
    previous: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Format every reference in every core style and locale into the build, taking from the build
    `previous` every entry whose inputs (see `_inputs`) are unchanged; the rest is formatted in engine
    runs, in parallel up to RENDER_THREADS. The files are the same, byte for byte, as without `previous`.
    `progress(done, total)` is told the entries formatted after each engine run.
    Returns False (and does nothing) when there are more than PRERENDER_LIMIT references."""
    if len(references) > PRERENDER_LIMIT:
        return False
    inputs = _inputs(references)
    done = _reusable(previous, inputs)
    todo = [
        (pair, ref)
        for pair in inputs["styles"]
        for ref in references
        if ref.key not in done.setdefault(pair, {})
    ]

    finished = 0
    lock = threading.Lock()

    def render(run: list[tuple[str, list[Reference]]]) -> None:
        nonlocal finished
        requests = [(refs, *_style_locale(pair)) for pair, refs in run]
        for (pair, _), formatted in zip(run, format_many(requests), strict=True):
            done[pair].update({key: asdict(f) for key, f in formatted.items()})
        with lock:
            finished += sum(len(refs) for _, refs in run)
            if progress:
                progress(finished, len(todo))

    with ThreadPoolExecutor(RENDER_THREADS) as pool:
        list(pool.map(render, _runs(todo)))
    for pair, entries in done.items():
        file = build_dir / CITATIONS_DIR / f"{pair}.json"
        file.parent.mkdir(parents=True, exist_ok=True)
        body = {ref.key: entries[ref.key] for ref in references}
        file.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    (build_dir / CITATIONS_DIR / INPUTS_FILE).write_text(json.dumps(inputs), encoding="utf-8")
    return True


class CitationStore:
    """A build's citations: references rebuilt on demand, pre-rendered core styles, the shared cache."""

    def __init__(self, build_dir: Path, cache_dir: Path, version: str):
        self.build_dir = build_dir
        self.cache = CitationCache(cache_dir, version)
        self._sources: dict[str, dict[str, Any]] | None = None
        self._rendered: dict[tuple[str, str], dict[str, Formatted]] = {}

    def _source(self, key: str) -> dict[str, Any]:
        if self._sources is None:
            self._sources = json.loads((self.build_dir / SOURCES_FILE).read_text(encoding="utf-8"))
        source = self._sources.get(key)
        if source is None:
            raise NotFound("reference", key)
        return source

    def reference(self, key: str) -> Reference:
        """The reference's record, rebuilt from its BibTeX fields. Raises NotFound."""
        source = self._source(key)
        return reference_from_fields(key, source["entry_type"], source["fields"])

    def _prerendered(self, style: str, locale: str) -> dict[str, Formatted] | None:
        if (style, locale) not in self._rendered:
            path = self.build_dir / CITATIONS_DIR / style / f"{locale}.json"
            if not path.is_file():
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
            self._rendered[style, locale] = {key: Formatted(**value) for key, value in data.items()}
        return self._rendered[style, locale]

    def formatted(self, keys: Sequence[str], style: str, locale: str) -> dict[str, Formatted]:
        """Each reference formatted on its own in `style` and `locale`. Raises CitationError for an
        unknown style or locale and NotFound for an unknown key."""
        style, locale = resolve_style(style), resolve_locale(locale)
        refs = {key: self.reference(key) for key in dict.fromkeys(keys)}
        rendered = self._prerendered(style, locale)
        if rendered is not None and all(key in rendered for key in refs):
            return {key: rendered[key] for key in refs}
        found = self.cache.get_many(style, locale, list(refs))
        missing = [ref for key, ref in refs.items() if key not in found]
        if missing:
            fresh = format_references(missing, style, locale)
            self.cache.put_many(style, locale, list(fresh.values()))
            found.update(fresh)
        return {key: found[key] for key in refs}
