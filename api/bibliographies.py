"""A per-worker cache of formatted bibliographies, so that the same list in the same style is formatted by
the engine once per content version and worker, not once per request.

Keyed by (content version, keys in citation order, style, locale): a new build has a new version, so its
lists are formatted afresh and the old ones age out. A list that cannot be formatted (a CitationError, say
a style that cannot format it) is kept too and answered again without running the engine; an engine that
is slow, busy or missing (EngineUnavailable) is not, it may answer the next time. Bounded by the bytes its
entries hold (their text; `cachetools` would do the LRU but not this count of every string kept).
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable

from mtkb.citations import Formatted
from mtkb.errors import CitationError

BibliographyKey = tuple[str, tuple[str, ...], str, str]
Result = tuple[list[Formatted], str, str]


def _cost(key: BibliographyKey, value: Result | CitationError) -> int:
    size = sum(sys.getsizeof(k) for k in key[1]) + 3 * sys.getsizeof(key[0]) + 256
    if isinstance(value, CitationError):
        return size + sys.getsizeof(str(value))
    entries, text, html = value
    fields = (
        sys.getsizeof(f.key)
        + sys.getsizeof(f.bibliography_text)
        + sys.getsizeof(f.bibliography_html)
        + sys.getsizeof(f.intext_text)
        + sys.getsizeof(f.intext_html)
        + 100
        for f in entries
    )
    return size + sum(fields) + sys.getsizeof(text) + sys.getsizeof(html)


class BibliographyCache:
    """An LRU of formatted bibliographies (or the CitationError formatting one gave) holding at most
    `max_bytes`."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[BibliographyKey, tuple[Result | CitationError, int]] = OrderedDict()

    def get_or_format(self, key: BibliographyKey, format_list: Callable[[], Result]) -> Result:
        """The cached result for `key`, or `format_list()`'s, kept. Raises the CitationError it gave."""
        found = self._entries.get(key)
        if found is None:
            try:
                value: Result | CitationError = format_list()
            except CitationError as exc:
                value = exc
            found = (value, _cost(key, value))
            self._put(key, found)
        else:
            self._entries.move_to_end(key)
        if isinstance(found[0], CitationError):
            raise CitationError(str(found[0]))
        return found[0]

    def _put(self, key: BibliographyKey, entry: tuple[Result | CitationError, int]) -> None:
        if entry[1] > self.max_bytes:
            return
        self._entries[key] = entry
        self.size += entry[1]
        while self.size > self.max_bytes:
            _, (_, cost) = self._entries.popitem(last=False)
            self.size -= cost

    def __len__(self) -> int:
        return len(self._entries)
