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
from datetime import date
from pathlib import Path
from typing import Any

from mtkb.citations import (
    CORE_STYLES,
    LOCALES,
    CitationCache,
    Formatted,
    format_bibliography,
    format_references,
    resolve_locale,
    resolve_style,
    to_csl_json,
)
from mtkb.citations.cache import Bibliography
from mtkb.citations.engine import (
    csl_items,
    engine_id,
    format_lists,
    format_many,
    independent_groups,
    numbered,
    prepared_style,
)
from mtkb.citations.styles import STYLES_DIR
from mtkb.errors import CitationError, NotFound
from mtkb.records import Reference
from mtkb.sources.bibtex import reference_from_fields

SOURCES_FILE = "references.json"
CITATIONS_DIR = "citations"
ORDER_SUFFIX = ".ranks"
"""Beside `<locale>.json`: each reference's rank in the style's sorted list (JSON; author-date styles)."""
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
    _write_ranks(references, build_dir, previous, inputs)
    (build_dir / CITATIONS_DIR / INPUTS_FILE).write_text(json.dumps(inputs), encoding="utf-8")
    return True


def _write_ranks(
    references: Sequence[Reference], build_dir: Path, previous: Path | None, inputs: dict[str, Any]
) -> None:
    """Each reference's place in each author-date core style's order, so that a list whose entries cannot
    affect one another is assembled from the pre-rendered entries (see CitationStore.bibliography). The
    order depends on every reference: it is taken from `previous` only when no reference and no style
    changed, else every style and locale is sorted in one engine run."""
    pairs = [pair for pair in inputs["styles"] if not numbered(_style_locale(pair)[0])]
    try:
        assert previous is not None
        old = json.loads((previous / CITATIONS_DIR / INPUTS_FILE).read_text(encoding="utf-8"))
        same = old["references"] == inputs["references"]
    except (AssertionError, OSError, ValueError, KeyError):
        same, old = False, {}
    todo = []
    for pair in pairs:
        target = build_dir / CITATIONS_DIR / f"{pair}{ORDER_SUFFIX}"
        source = previous / CITATIONS_DIR / f"{pair}{ORDER_SUFFIX}" if previous else None
        if same and source and source.is_file() and old["styles"].get(pair) == inputs["styles"][pair]:
            target.write_bytes(source.read_bytes())
        else:
            todo.append(pair)
    requests = [(references, *_style_locale(pair)) for pair in todo]
    for pair, ordered in zip(todo, format_lists(requests), strict=True):
        ranks = {key: rank for rank, key in enumerate(ordered)}
        (build_dir / CITATIONS_DIR / f"{pair}{ORDER_SUFFIX}").write_text(json.dumps(ranks), encoding="utf-8")


class CitationStore:
    """A build's citations: references rebuilt on demand, pre-rendered core styles, the shared cache."""

    def __init__(self, build_dir: Path, cache_dir: Path, version: str):
        self.build_dir = build_dir
        self.cache = CitationCache(cache_dir, version)
        self._sources: dict[str, dict[str, Any]] | None = None
        self._rendered: dict[tuple[str, str], dict[str, Formatted]] = {}
        self._ranked: dict[tuple[str, str], dict[str, int] | None] = {}
        self._failed: dict[tuple[str, str, tuple[str, ...], date | None], CitationError] = {}
        """Lists the engine failed to format, so that asking again does not run it again."""

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

    def formatted(
        self, keys: Sequence[str], style: str, locale: str, accessed: date | None = None
    ) -> dict[str, Formatted]:
        """Each reference formatted on its own in `style` and `locale`; with `accessed` (the day web
        sources were read) formatted on request, as no build holds that day. Raises CitationError for
        an unknown style or locale and NotFound for an unknown key."""
        style, locale = resolve_style(style), resolve_locale(locale)
        refs = {key: self.reference(key) for key in dict.fromkeys(keys)}
        if accessed is not None:
            return format_references(list(refs.values()), style, locale, accessed)
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

    def bibliography(
        self, keys: Sequence[str], style: str, locale: str, accessed: date | None = None
    ) -> Bibliography:
        """The references of `keys` (in citation order) as one list formatted by its style: sorted,
        disambiguated (two "Helsedirektoratet (2016)" become 2016a and 2016b) or numbered. The engine
        runs once per distinct list per content version; the result is cached on disk for all workers.
        Raises CitationError for an unknown style or locale and NotFound for an unknown key."""
        style, locale = resolve_style(style), resolve_locale(locale)
        keys = list(dict.fromkeys(keys))
        refs = [self.reference(key) for key in keys]
        assembled = None if accessed else self._assembled(refs, style, locale)
        if assembled is not None:
            return assembled
        cached = self.cache.get_list(style, locale, keys, accessed)
        if cached is not None:
            return cached
        failed = self._failed.get((style, locale, tuple(keys), accessed))
        if failed is not None:
            raise failed
        try:
            made = format_bibliography(refs, style, locale, accessed)
        except CitationError as exc:
            self._failed[style, locale, tuple(keys), accessed] = exc
            raise
        self.cache.put_list(style, locale, keys, made, accessed)
        return made

    def _ranks(self, style: str, locale: str) -> dict[str, int] | None:
        if (style, locale) not in self._ranked:
            path = self.build_dir / CITATIONS_DIR / style / f"{locale}{ORDER_SUFFIX}"
            self._ranked[style, locale] = json.loads(path.read_text("utf-8")) if path.is_file() else None
        return self._ranked[style, locale]

    def _assembled(self, refs: Sequence[Reference], style: str, locale: str) -> Bibliography | None:
        """The list put together from the build's pre-rendered entries, in the style's order, when
        that is what the engine would print: an author-date style, and no two entries sharing a name
        (so no year suffix, added initials or repeated-author form can arise). Else None."""
        rendered, ranks = self._prerendered(style, locale), self._ranks(style, locale)
        if rendered is None or ranks is None or any(r.key not in ranks for r in refs):
            return None
        if len(independent_groups(csl_items(refs), numbered_style=False)) > 1:
            return None
        entries = sorted((rendered[r.key] for r in refs), key=lambda f: ranks[f.key])
        text = "\n".join(f.bibliography_text for f in entries)
        html = "".join(f'<div class="csl-entry">{f.bibliography_html}</div>' for f in entries)
        return entries, text, html
