"""Citations stored with a build: each reference's BibTeX source (so its record can be rebuilt), the core
styles pre-rendered in every locale, and the disk cache for every other style.

A build holds `references.json` (key -> entry type and resolved fields) and, when pre-rendered,
`citations/<style>/<locale>.json` (key -> formatted entry). Any other style is formatted on first request
into a CitationCache shared by all workers and keyed by content version, so each distinct citation is
formatted once per content version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
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
)
from mtkb.citations.cache import Bibliography
from mtkb.citations.engine import csl_items, independent_groups, numbered
from mtkb.errors import CitationError, NotFound
from mtkb.records import Reference
from mtkb.sources.bibtex import reference_from_fields

SOURCES_FILE = "references.json"
CITATIONS_DIR = "citations"
ORDER_SUFFIX = ".ranks"
"""Beside `<locale>.json`: each reference's rank in the style's sorted list (JSON; author-date styles)."""
RENDER_THREADS = 2
"""pandoc runs as a child process, so two threads keep two cores busy."""
PRERENDER_LIMIT = 1000
"""Pre-render only bibliographies up to this size: formatting costs about 10 ms per reference per style
and locale (24 combinations), so a 10,000-entry bibliography would add 20 minutes to a build. Larger
ones are formatted on first request, each citation once per content version."""
CHUNK = 250
"""References per pandoc run, so that every run stays well inside the engine's time limit."""


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


def prerender(references: Sequence[Reference], build_dir: Path) -> bool:
    """Format every reference in every core style and locale into the build. Returns False (and does
    nothing) when there are more than PRERENDER_LIMIT references."""
    if len(references) > PRERENDER_LIMIT:
        return False

    def render(style_locale: tuple[str, str]) -> None:
        style, locale = style_locale
        formatted: dict[str, Formatted] = {}
        for start in range(0, len(references), CHUNK):
            formatted.update(format_references(references[start : start + CHUNK], style, locale))
        folder = build_dir / CITATIONS_DIR / style
        folder.mkdir(parents=True, exist_ok=True)
        body = {key: asdict(f) for key, f in formatted.items()}
        (folder / f"{locale}.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        if not numbered(style):
            # Each reference's place in the style's order, so that a list whose entries cannot affect
            # one another is assembled from the entries above (see CitationStore.bibliography).
            entries, _, _ = format_bibliography(references, style, locale)
            ranks = {f.key: rank for rank, f in enumerate(entries)}
            (folder / f"{locale}{ORDER_SUFFIX}").write_text(json.dumps(ranks), encoding="utf-8")

    with ThreadPoolExecutor(RENDER_THREADS) as pool:
        list(pool.map(render, [(s, loc) for s in CORE_STYLES for loc in LOCALES]))
    return True


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
