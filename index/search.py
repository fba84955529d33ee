"""Searching one build: parse, filter, rank (BM25F), page, count facets, highlight, suggest.

whoosh parses the query (plain words are built directly, as its parser would) and holds the index;
`index.execute` finds, scores and counts with numpy operations over whole posting lists, which is many
times faster than whoosh's matchers in Python.
"""

from __future__ import annotations

import json
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import qparser, query
from whoosh.index import Index
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector

from index.analysis import LanguageText, fold
from index.documents import FACET_FIELDS, TEXT_FIELDS
from index.execute import Executor, positive_terms
from index.highlight import Highlighter, plain_snippet
from index.querytext import OPERATORS, check, clean, plain_words, rewrite
from mtkb import ALL_TYPES
from mtkb.errors import QueryError
from mtkb.prose import with_placeholders

DEFAULT_FIELDS = TEXT_FIELDS
FACETS = FACET_FIELDS
SORTS = ("relevance", "year", "-year")
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000
"""No page may reach past this many hits (deep paging costs the same as fetching them all)."""
FEW_HITS = 3
"""Below this many hits a spelling suggestion is offered."""
SUGGEST_MAX_DISTANCE = 2
SUGGEST_PREFIX = 1
"""Suggestions keep the first letter: misspellings rarely change it, and it keeps the search small."""
_NO_YEAR = 1 << 30
MAX_EXPANSIONS = 500
"""Most index words one wildcard, prefix or fuzzy term may stand for (`a*` would otherwise read the
postings of every word starting with a)."""
MIN_PREFIX = 2
"""Letters a wildcard term must start with (`mu*` is fine, `*`, `?*` and `a*` alone are not)."""
SEARCH_TIME_LIMIT = 3.0
"""Seconds one search may run before it is stopped and answered with "query too expensive"."""
STORED_CACHE = 2048
"""Documents whose stored fields (the hit's title, text and ids; 1-3 KB each) a searcher keeps decoded."""
_PLAIN = re.compile(r"[^\W_]+")
"""A word of letters and digits: no query syntax (whether each field makes one token of it is checked)."""
_MULTI = (query.Prefix, query.Wildcard, query.FuzzyTerm, query.Regex)


class SearchTimeout(QueryError):
    """A search ran past SEARCH_TIME_LIMIT."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise SearchTimeout in this thread when the block runs longer than `seconds`. Enforced with a real
    timer signal, so it interrupts pure-Python loops; only possible in a process's main thread (a sync
    gunicorn worker's, or a gevent worker's, whose greenlets all run there), elsewhere the block runs
    unbounded. Under gevent the signal may arrive while another greenlet runs (the search waiting for
    something): then it is tried again shortly, so that it only ever interrupts the search itself."""
    if seconds <= 0:
        yield
        return
    owner = threading.get_ident()  # a greenlet's own id when gevent has patched threading

    def expire(signum: int, frame: Any) -> None:
        if threading.get_ident() != owner:
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        raise SearchTimeout(f"query too expensive: it ran longer than {seconds:g} s; narrow it")

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:  # not the main thread (signal handlers can only be set there)
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data. Shallow (dataclasses.asdict deep-copies every dict and list, a
        tenth of a search's time): nothing here is shared with the index, a search builds it afresh."""
        data = dict(vars(self))
        data["hits"] = [dict(vars(hit)) for hit in self.hits]
        return data


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
    """One open whoosh index and a searcher reused across queries (one per worker). `spelling` is the
    build's word list for suggestions (see index.build)."""

    def __init__(self, ix: Index, spelling: Path | None = None, time_limit_seconds: float | None = None):
        self._ix = ix
        self.time_limit_seconds = SEARCH_TIME_LIMIT if time_limit_seconds is None else time_limit_seconds
        self._searcher: Searcher = ix.searcher()
        self._executor = Executor(self._searcher)
        # A hit's stored fields are a zlib block and a pickle to decode; hits recur across queries.
        self._stored = lru_cache(maxsize=STORED_CACHE)(self._searcher.stored_fields)
        self._spelling_file = spelling
        self._lock = threading.Lock()
        self._schema = ix.schema  # (a property that reads the index's table of contents from disk)
        self._parser = qparser.QueryParser(None, self._schema)
        self._parser.add_plugin(qparser.MultifieldPlugin(DEFAULT_FIELDS))
        self._parser.remove_plugin_class(qparser.BoostPlugin)
        self._nb: LanguageText = self._schema["body_nb"].analyzer
        self._en: LanguageText = self._schema["body_en"].analyzer

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def parse(self, text: str) -> query.Query:
        """The whoosh query for `text` (empty text matches everything). Raises QueryError."""
        text = clean(text)
        if not text:
            return query.Every()
        check(text)
        rewritten = rewrite(text)
        plain = self._plain_words(text) if rewritten == text else None
        if plain is not None:
            return plain
        try:
            parsed = self._parser.parse(rewritten)
        except Exception as exc:  # whoosh raises assorted errors for odd ranges and terms
            raise QueryError(f"cannot read the query: {exc}") from None
        if parsed is query.NullQuery:
            raise QueryError("the query has no searchable words")
        self._check_cost(parsed)
        return parsed

    def _plain_words(self, text: str) -> query.Query | None:
        """The query for words of letters and digits only (the most common query) built as whoosh's parser
        builds it, an And of one Or over DEFAULT_FIELDS per word, in under half the parser's time; None
        for anything else (a test compares the two on thousands of queries)."""
        words = text.split()
        if any(word in OPERATORS or not _PLAIN.fullmatch(word) for word in words):
            return None
        groups = []
        for word in words:
            terms = []
            for fieldname in DEFAULT_FIELDS:
                texts = list(self._schema[fieldname].process_text(word, mode="query"))
                if len(texts) > 1:  # the parser would combine several tokens its own way
                    return None
                terms += [query.Term(fieldname, t) for t in texts]
            groups.append(query.Or(terms))
        parsed = query.And(groups).normalize()
        if parsed is query.NullQuery:
            raise QueryError("the query has no searchable words")
        return parsed

    def _check_cost(self, parsed: query.Query) -> None:
        """Refuse wildcard, prefix and fuzzy terms that would stand for too many words."""
        reader = self._searcher.reader()
        for leaf in parsed.leaves():
            if not isinstance(leaf, _MULTI):
                continue
            text = str(leaf.text)
            if isinstance(leaf, query.Prefix):
                literal, shown = len(text), text + "*"
            else:
                literal, shown = len(re.split(r"[*?]", text, maxsplit=1)[0]), text
            if isinstance(leaf, query.Prefix | query.Wildcard) and literal < MIN_PREFIX:
                raise QueryError(
                    f"query too expensive: {shown!r} needs at least {MIN_PREFIX} letters before * or ?"
                )
            expanded = sum(1 for _ in islice(leaf._btexts(reader), MAX_EXPANSIONS + 1))
            if expanded > MAX_EXPANSIONS:
                raise QueryError(
                    f"query too expensive: {shown!r} stands for more than {MAX_EXPANSIONS} words; "
                    "make it more specific"
                )

    def search(self, request: SearchRequest) -> SearchResult:
        """Run `request`. Raises QueryError for a query or parameter that cannot be used. Thread-safe (one
        search at a time: whoosh's readers and the posting cache are shared)."""
        with self._lock, time_limit(self.time_limit_seconds):
            return self._search(request)

    def _search(self, request: SearchRequest) -> SearchResult:
        _validate(request)
        q = self.parse(request.q)
        run = self._executor
        docs = run.matching(q)
        if request.type:
            docs &= run.docs(query.Term("type", request.type))
        wanted = request.page * request.per_page
        candidates = np.flatnonzero(docs)
        scores = None
        if request.sort == "relevance":
            scores = run.scores(q)
            ranked = candidates[:wanted] if scores is None else _smallest(candidates, -scores, wanted)
        else:
            ranked = _smallest(candidates, self._year_key(request.sort), wanted)
        page = ranked[(request.page - 1) * request.per_page :].tolist()
        highlighter = None
        if request.highlights:
            highlighter = Highlighter.for_terms(self._nb, self._en, positive_terms(q))
        hits = [
            self._hit(doc, float(scores[doc]) if scores is not None else None, highlighter) for doc in page
        ]
        facets = {}
        if request.facets:
            facets = {name: _ordered(counts) for name, counts in run.counts(FACETS, docs).items()}
        suggestion = None
        if request.suggest and request.q and len(candidates) < FEW_HITS:
            suggestion = self.suggest(request.q)
        return SearchResult(
            clean(request.q), len(candidates), request.page, request.per_page, hits, facets, suggestion
        )

    def _year_key(self, sort: str) -> NDArray[np.int64]:
        """Per document, a number that orders by year (or by year descending); no year comes last."""
        cache = self.__dict__.setdefault("_year_keys", {})
        if sort not in cache:
            sign = -1 if sort == "-year" else 1
            years = self._executor.years()
            cache[sort] = np.array([_NO_YEAR if y is None else sign * y for y in years], np.int64)
        keys: NDArray[np.int64] = cache[sort]
        return keys

    def _hit(self, doc: int, score: float | None, highlighter: Highlighter | None) -> Hit:
        stored = self._stored(doc)
        display = stored["display"]
        snippet = highlighter.snippet(display["text"]) if highlighter else plain_snippet(display["text"])
        if display.get("cites"):  # citation groups stay placeholders until the API formats them
            snippet = with_placeholders(snippet, display["cites"])
        return Hit(
            stored["type"],
            stored["id"],
            display["title"],
            snippet,
            round(score, 4) if score is not None else None,
            stored.get("year"),
        )

    @cached_property
    def _spelling(self) -> tuple[ListCorrector, dict[str, int]]:
        words: list[str] = []
        counts: list[int] = []
        if self._spelling_file is not None and self._spelling_file.is_file():
            data = json.loads(self._spelling_file.read_text(encoding="utf-8"))
            words, counts = data["words"], data["counts"]
        return ListCorrector(words), dict(zip(words, counts, strict=True))

    def suggest(self, text: str) -> str | None:
        """The query with each unknown word replaced by the closest indexed word (the most used of equally
        close ones), or None when there is nothing to change."""
        corrector, counts = self._spelling
        changed = text
        for word in plain_words(text):
            folded = fold(word)
            if not folded.isalpha() or folded in counts:
                continue
            options = [
                (-score, -counts.get(option, 0), option)
                for score, option in corrector._suggestions(folded, SUGGEST_MAX_DISTANCE, SUGGEST_PREFIX)
            ]
            if options:
                changed = changed.replace(word, min(options)[2], 1)
        return changed if changed != text else None

    def count(self) -> int:
        return int(self._searcher.doc_count())


def _smallest(candidates: NDArray[np.intp], keys: NDArray[Any], wanted: int) -> NDArray[np.intp]:
    """The `wanted` candidates with the smallest keys, in key order; equal keys in document order."""
    if len(candidates) > wanted > 0:
        own = keys[candidates]
        last = np.partition(own, wanted - 1)[wanted - 1]
        candidates = candidates[own <= last]  # the wanted smallest and any that tie with the last of them
    order = np.argsort(keys[candidates], kind="stable")[:wanted]
    return candidates[order]


def _ordered(counts: dict[Any, int]) -> dict[str, int]:
    return {str(name): n for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}
