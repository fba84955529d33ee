"""Searching one build: parse, filter, rank (BM25F), page, count facets, highlight, suggest."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from whoosh import qparser, query, sorting
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.index import Index
from whoosh.searching import Searcher

from index.analysis import fold
from index.querytext import check, clean, plain_words, rewrite
from mtkb import ALL_TYPES
from mtkb.errors import QueryError

DEFAULT_FIELDS = ("title_nb", "title_en", "body_nb", "body_en", "author")
FACETS = ("type", "decade", "grade", "strength", "lang")
SORTS = ("relevance", "year", "-year")
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000
"""No page may reach past this many hits (deep paging costs the same as fetching them all)."""
_MARK = re.compile(r'<mark class="[^"]*">')
FEW_HITS = 3
"""Below this many hits a spelling suggestion is offered."""


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    type: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    facets: bool = True
    highlights: bool = True
    suggest: bool = True


@dataclass
class Hit:
    type: str
    id: str
    title: str
    snippet: str
    score: float | None
    year: int | None


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None


def _validate(request: SearchRequest) -> None:
    if request.type is not None and request.type not in ALL_TYPES:
        raise QueryError(f"unknown type {request.type!r}; types are: {', '.join(ALL_TYPES)}")
    if request.sort not in SORTS:
        raise QueryError(f"unknown sort {request.sort!r}; sorts are: {', '.join(SORTS)}")
    if request.page < 1 or not 1 <= request.per_page <= MAX_PER_PAGE:
        raise QueryError(f"page must be 1 or more and per_page 1 to {MAX_PER_PAGE}")
    if request.page * request.per_page > MAX_RESULT_WINDOW:
        raise QueryError(f"results past the first {MAX_RESULT_WINDOW} cannot be paged to; narrow the query")


class IndexSearcher:
    """One open whoosh index and a searcher reused across queries (one per worker)."""

    def __init__(self, ix: Index):
        self._ix = ix
        self._searcher: Searcher = ix.searcher()
        self._parser = qparser.QueryParser(None, ix.schema)
        self._parser.add_plugin(qparser.MultifieldPlugin(DEFAULT_FIELDS))
        self._parser.remove_plugin_class(qparser.BoostPlugin)

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def parse(self, text: str) -> query.Query:
        """The whoosh query for `text` (empty text matches everything). Raises QueryError."""
        text = clean(text)
        if not text:
            return query.Every()
        check(text)
        try:
            parsed = self._parser.parse(rewrite(text))
        except Exception as exc:  # whoosh raises assorted errors for odd ranges and terms
            raise QueryError(f"cannot read the query: {exc}") from None
        if parsed is query.NullQuery:
            raise QueryError("the query has no searchable words")
        return parsed

    def search(self, request: SearchRequest) -> SearchResult:
        """Run `request`. Raises QueryError for a query or parameter that cannot be used."""
        _validate(request)
        q = self.parse(request.q)
        flt = query.Term("type", request.type) if request.type else None
        kwargs: dict[str, Any] = {"filter": flt, "terms": request.highlights}
        if request.sort != "relevance":
            kwargs["sortedby"] = sorting.FieldFacet("year", reverse=request.sort == "-year")
        if request.facets:
            kwargs["groupedby"] = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
        try:
            page = self._searcher.search_page(q, request.page, pagelen=request.per_page, **kwargs)
        except ValueError as exc:
            raise QueryError(str(exc)) from None
        results = page.results
        results.fragmenter = ContextFragmenter(maxchars=240, surround=60)
        results.formatter = HtmlFormatter(tagname="mark", classname="", termclass="")
        hits = [self._hit(hit, request.highlights, request.sort == "relevance") for hit in page]
        facets = {}
        if request.facets:
            facets = {name: _counts(results.groups(name)) for name in FACETS}
        suggestion = None
        if request.suggest and request.q and page.total < FEW_HITS:
            suggestion = self.suggest(request.q)
        return SearchResult(
            clean(request.q), page.total, request.page, request.per_page, hits, facets, suggestion
        )

    def _hit(self, hit: Any, highlights: bool, scored: bool) -> Hit:
        stored = hit.fields()
        display = stored["display"]
        snippet = ""
        if highlights:
            for name in ("body_nb", "body_en"):
                snippet = _MARK.sub("<mark>", hit.highlights(name, text=display["text"], top=2))
                if snippet:
                    break
        if not snippet:
            text = display["text"]
            snippet = html.escape(text[:240] + ("…" if len(text) > 240 else ""))
        return Hit(
            stored["type"],
            stored["id"],
            display["title"],
            snippet,
            round(hit.score, 4) if scored and hit.score is not None else None,
            stored.get("year"),
        )

    def suggest(self, text: str) -> str | None:
        """The query with each unknown word replaced by the closest indexed word, or None."""
        corrector = self._searcher.corrector("words")
        reader = self._searcher.reader()
        changed = text
        for word in plain_words(text):
            folded = fold(word)
            if not folded.isalpha() or reader.doc_frequency("words", folded):
                continue
            options = corrector.suggest(folded, limit=1, maxdist=2)
            if options:
                changed = changed.replace(word, options[0], 1)
        return changed if changed != text else None

    def count(self) -> int:
        return self._searcher.doc_count()


def _counts(groups: dict[Any, int]) -> dict[str, int]:
    return {
        str(name): count
        for name, count in sorted(groups.items(), key=lambda kv: (-kv[1], str(kv[0])))
        if name is not None
    }
