"""What a search is asked and what it answers (index.search runs it), and the limits on both."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mtkb import ALL_TYPES
from mtkb.errors import QueryError

SORTS = ("relevance", "year", "-year")
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000
"""No page may reach past this many hits (deep paging costs the same as fetching them all)."""
SEARCH_TIME_LIMIT = 3.0
"""Seconds one search may run before it is stopped and answered with "query too expensive"."""


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
    """One search. `suggest`: offer a spelling suggestion when few hits, and search the correction instead
    when the query finds nothing and the correction does. The filters (`type`, `doi`, `grade`, `strength`,
    `lang`, `decade`) take the values the API displays (index/filters.py); an unknown one is a QueryError."""

    q: str = ""
    type: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    facets: bool = True
    highlights: bool = True
    suggest: bool = True
    doi: str | None = None
    grade: str | None = None
    strength: str | None = None
    lang: str | None = None
    decade: str | None = None


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
    corrected: str | None = None
    """The corrected query that was searched instead of `query`, which found nothing."""
    relaxed: dict[str, int] | None = None
    """Set when requiring every word found nothing: {"minimum_should_match": m, "words": n}, the hits have
    at least m of the n content words."""
    ignored: list[str] = field(default_factory=list)
    """Stop words of the query that were not required."""

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data. Shallow (dataclasses.asdict deep-copies every dict and list, a
        tenth of a search's time): nothing here is shared with the index, a search builds it afresh."""
        data = dict(vars(self))
        data["hits"] = [dict(vars(hit)) for hit in self.hits]
        return data


def validate(request: SearchRequest) -> None:
    if request.type is not None and request.type not in ALL_TYPES:
        raise QueryError(f"unknown type {request.type!r}; types are: {', '.join(ALL_TYPES)}")
    if request.sort not in SORTS:
        raise QueryError(f"unknown sort {request.sort!r}; sorts are: {', '.join(SORTS)}")
    if request.page < 1 or not 1 <= request.per_page <= MAX_PER_PAGE:
        raise QueryError(f"page must be 1 or more and per_page 1 to {MAX_PER_PAGE}")
    if request.page * request.per_page > MAX_RESULT_WINDOW:
        raise QueryError(f"results past the first {MAX_RESULT_WINDOW} cannot be paged to; narrow the query")
