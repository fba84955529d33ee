"""Running a parsed whoosh query over one open index with array operations (numpy).

whoosh answers a query by stepping matchers through the postings one document at a time in Python,
which for a common word costs milliseconds per thousand documents, and it counts facets the same way.
This module reads each term's posting list a block at a time (whoosh's own files: one zlib and one pickle
call per 128 postings) into numpy arrays, answers the boolean structure with boolean masks over all
documents (one byte each: 10 KB at 10,000 documents), checks phrases on the positions of the candidates
only, scores with whoosh's BM25F formula and statistics as array arithmetic, and counts facets from
per-document value numbers built once per open index from the facet fields' own postings. The documents
a query finds are whoosh's (a test compares them); the scores are whoosh's BM25F summed over the query's
terms.

Query types without a fast path here (fuzzy terms, spans, ...) are simplified against the index, and if
still unknown answered by whoosh itself.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

K1, B = 1.2, 0.75
"""whoosh's BM25F defaults, which the searcher uses."""
CACHE_POSTINGS = 2_000_000
"""Postings kept decoded across queries (12 bytes each, in arrays), least recently used first out."""

Mask = NDArray[np.bool_]
"""One flag per document number: the documents a query matches."""
ENTRY_COST = 32
"""What one cached term costs besides its postings, counted in postings (most terms have a few)."""
CACHE_POSITIONS = 200_000
"""Decoded posting values kept (a value encodes the positions of a term in a document)."""


@dataclass(frozen=True)
class Postings:
    """One term's postings over the whole index: global document numbers, weights, encoded values."""

    docs: NDArray[np.int32]
    weights: NDArray[np.float64]
    values: list[bytes] | None = None

    def size(self) -> int:
        """What it counts for against CACHE_POSTINGS: its postings (a value takes some ten times a document
        number) and the arrays and cache entry themselves (about 400 bytes, as much as 32 postings)."""
        return len(self.docs) * (11 if self.values is not None else 1) + ENTRY_COST


_EMPTY = Postings(np.zeros(0, np.int32), np.zeros(0, np.float64), [])


def _read_leaf(matcher: Any, offset: int, with_values: bool) -> tuple[list[int], list[float], list[bytes]]:
    """All postings of a leaf matcher: block by block for whoosh 3's, else one at a time."""
    docs: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    if isinstance(matcher, W3LeafMatcher) and hasattr(matcher, "_read_data"):
        while True:
            matcher._read_data()
            deltas, block_weights, _ = matcher._data
            block = list(accumulate(deltas))
            docs.extend([d + offset for d in block] if offset else block)
            count = len(block)
            if block_weights is None:
                weights.extend([1.0] * count)
            elif isinstance(block_weights, float):
                weights.extend([block_weights] * count)
            else:
                weights.extend(block_weights)
            if with_values:
                matcher._read_values()
                values.extend(matcher._values)
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        return docs, weights, values
    while matcher.is_active():
        docs.append(matcher.id() + offset)
        weights.append(matcher.weight())
        if with_values:
            values.append(matcher.value())
        matcher.next()
    return docs, weights, values


class Executor:
    """Evaluates queries over one open whoosh searcher (which it does not close)."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.schema = searcher.schema
        self.doc_count = searcher.doc_count_all()
        self._leaves = [(s.reader(), offset) for s, offset in searcher.leaf_searchers()]
        self._cache: OrderedDict[tuple[str, bytes], Postings] = OrderedDict()
        self._positions: dict[bytes, frozenset[int]] = {}
        self._cached = 0
        self._norms: dict[str, NDArray[np.float64]] = {}
        self._values: dict[str, list[Any]] = {}
        self._year_array: NDArray[np.int64] | None = None
        self._combos: dict[tuple[str, ...], tuple[NDArray[np.intp], list[tuple[Any, ...]]]] = {}
        reader = searcher.reader()
        # mtkb's builds never delete, but a whoosh index may hold deleted documents still in its segments.
        self.deleted: Mask | None = None
        if reader.has_deletions():
            self.deleted = self._mask(d for d in range(self.doc_count) if reader.is_deleted(d))

    # ------------------------------------------------------------ postings

    def postings(self, fieldname: str, text: Any, with_values: bool = False) -> Postings:
        """The postings of one term (its text as the field indexes it, or already as bytes); their encoded
        values too if `with_values`."""
        if fieldname not in self.schema:
            return _EMPTY
        btext = text if isinstance(text, bytes) else self.schema[fieldname].to_bytes(text)
        key = (fieldname, btext)
        cached = self._cache.get(key)
        if cached is not None and (cached.values is not None or not with_values):
            self._cache.move_to_end(key)
            return cached
        docs: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        for reader, offset in self._leaves:
            try:  # (asking `in reader` first would look the term up twice)
                matcher = reader.postings(fieldname, btext)
            except TermNotFound:
                continue
            d, w, v = _read_leaf(matcher, offset, with_values)
            docs += d
            weights += w
            values += v
        found = Postings(
            np.array(docs, np.int32), np.array(weights, np.float64), values if with_values else None
        )
        if cached is not None:
            self._cached -= cached.size()
        self._cache[key] = found
        self._cached += found.size()
        while self._cached > CACHE_POSTINGS and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= dropped.size()
        return found

    def positions(self, fieldname: str, value: bytes) -> frozenset[int]:
        """The positions in an encoded posting value. Most values (one position) recur, so they are kept."""
        found = self._positions.get(value)
        if found is None:
            if len(self._positions) > CACHE_POSITIONS:
                self._positions.clear()
            found = self._positions[value] = frozenset(self.schema[fieldname].format.decode_positions(value))
        return found

    # ------------------------------------------------------------ matching

    def matching(self, q: query.Query) -> Mask:
        """The (not deleted) documents `q` matches."""
        found = self.docs(q)
        return found & ~self.deleted if self.deleted is not None else found

    def docs_with(self, fieldname: str, text: str) -> Mask:
        """The documents with one term (a facet or id value)."""
        return self._mask(self.postings(fieldname, text).docs)

    def none(self) -> Mask:
        return np.zeros(self.doc_count, np.bool_)

    def every(self) -> Mask:
        return np.ones(self.doc_count, np.bool_)

    def _mask(self, docs: Iterable[int] | NDArray[np.int32]) -> Mask:
        found = self.none()
        found[np.fromiter(docs, np.int64) if not isinstance(docs, np.ndarray) else docs] = True
        return found

    def docs(self, q: query.Query) -> Mask:
        """The documents `q` matches (deleted ones included)."""
        if isinstance(q, query.Term):
            return self._mask(self.postings(q.fieldname, q.text).docs)
        if isinstance(q, query.And):
            return self._and(q.subqueries)
        if isinstance(q, query.Or) and q.minmatch > 1:
            return self.at_least(q.minmatch, [self.docs(sub) for sub in q.subqueries])
        if isinstance(q, query.Or) and not isinstance(q, query.DisjunctionMax):
            found = self.none()
            for sub in q.subqueries:
                if isinstance(sub, query.Term):  # the common case, without a mask of its own
                    found[self.postings(sub.fieldname, sub.text).docs] = True
                else:
                    found |= self.docs(sub)
            return found
        if isinstance(q, query.AndNot):
            return self.docs(q.a) & ~self.docs(q.b)
        if isinstance(q, query.AndMaybe):
            return self.docs(q.a)
        if isinstance(q, query.Not):
            return ~self.docs(q.query)
        if isinstance(q, query.Every):
            return self.every()
        if q is query.NullQuery:
            return self.none()
        if isinstance(q, query.Phrase):
            return self._phrase(q)
        if isinstance(q, query.NumericRange) and q.fieldname == "year":
            return self._years_between(q)
        simpler = q.simplify(self.searcher.reader())
        if type(simpler) is not type(q) or simpler != q:
            return self.docs(simpler)
        return self._mask(self.searcher.docs_for_query(q))

    def at_least(self, minimum: int, masks: Sequence[Mask]) -> Mask:
        """The documents in at least `minimum` of `masks`. (whoosh's Or takes `minmatch` but does not
        implement it; it means what it says here, as Elasticsearch's minimum_should_match.)"""
        if not masks:
            return self.none()
        counts: NDArray[np.int32] = np.sum(masks, axis=0, dtype=np.int32)
        return np.greater_equal(counts, minimum)

    def _and(self, subqueries: Iterable[query.Query]) -> Mask:
        found = self.every()
        for sub in subqueries:
            if isinstance(sub, query.Not):
                found &= ~self.docs(sub.query)
            else:
                found &= self.docs(sub)
        return found

    def phrase_within(self, q: query.Phrase, candidates: NDArray[np.intp]) -> Mask:
        """The documents among `candidates` where the phrase `q` occurs. Positions are read only when some
        candidate has all its words (the postings without positions are usually cached already)."""
        among = candidates
        for word in q.words:
            among = np.intersect1d(among, self.postings(q.fieldname, word).docs)
            if not len(among):
                return self.none()
        return self._phrase(q, among)

    def _phrase(self, q: query.Phrase, among: NDArray[np.intp] | None = None) -> Mask:
        if not q.words:
            return self.none()
        field = self.schema[q.fieldname]
        if len(q.words) == 1:
            return self._mask(self.postings(q.fieldname, q.words[0]).docs)
        if not field.format.supports("positions"):
            return self._mask(self.searcher.docs_for_query(q))
        lists = [self.postings(q.fieldname, word, with_values=True) for word in q.words]
        candidates = lists[0].docs if among is None else np.intersect1d(lists[0].docs, among)
        for p in lists[1:]:
            candidates = np.intersect1d(candidates, p.docs, assume_unique=True)
        if not len(candidates):
            return self.none()
        by_doc = [dict(zip(p.docs.tolist(), p.values or (), strict=True)) for p in lists]
        positions, name = self.positions, q.fieldname
        slop = max(1, q.slop)
        found = []
        for doc in candidates.tolist():
            current: Iterable[int] = positions(name, by_doc[0][doc])
            for word in by_doc[1:]:
                following = positions(name, word[doc])
                if slop == 1:
                    current = {p for p in following if p - 1 in current}
                else:
                    current = {p for p in following if any(1 <= p - c <= slop for c in current)}
                if not current:
                    break
            if current:
                found.append(doc)
        return self._mask(found)

    # ------------------------------------------------------------ scoring

    def _norm(self, fieldname: str) -> NDArray[np.float64]:
        """K1 * (1 - B + B * length / average length) per document: BM25's length normalisation."""
        norm = self._norms.get(fieldname)
        if norm is None:
            average = self.searcher.avg_field_length(fieldname) or 1
            lengths: list[int] = []
            for reader, _ in self._leaves:
                lengths += _field_lengths(reader, fieldname)
            norm = self._norms[fieldname] = K1 * (1 - B + B * np.array(lengths, np.float64) / average)
        return norm

    def scores(self, q: query.Query) -> NDArray[np.float64] | None:
        """BM25F per document number (0 for documents without any of `q`'s positive terms): the sum over
        those terms. None when `q` has no positive terms in the index (nothing to rank by)."""
        totals: NDArray[np.float64] | None = None
        for fieldname, text in set(positive_terms(q)):
            postings = self.postings(fieldname, text)
            if not len(postings.docs):
                continue
            if totals is None:
                totals = np.zeros(self.doc_count, np.float64)
            w = postings.weights
            if self.schema[fieldname].scorable:
                scale = self.searcher.idf(fieldname, text) * (K1 + 1)
                # a term's documents are distinct, so one fancy-indexed addition adds each once
                totals[postings.docs] += scale * w / (w + self._norm(fieldname)[postings.docs])
            else:  # whoosh scores an unscored field (the concepts) by the posting's weight
                totals[postings.docs] += w
        return totals

    # ------------------------------------------------------------ per-document values

    def values(self, fieldname: str) -> list[Any]:
        """Each document's value of a one-term field (None where it has none), from the field's postings."""
        table = self._values.get(fieldname)
        if table is None:
            table = [None] * self.doc_count
            field = self.schema[fieldname]
            reader = self.searcher.reader()
            terms = field.sortable_terms(reader, fieldname) if field.sortable_typecode else None
            for btext in terms if terms is not None else reader.lexicon(fieldname):
                value = field.from_bytes(btext)
                for doc in self.postings(fieldname, btext).docs:
                    table[doc] = value
            self._values[fieldname] = table
        return table

    def years(self) -> list[int | None]:
        return self.values("year")

    def _years_between(self, r: query.NumericRange) -> Mask:
        if self._year_array is None:  # a document without a year is below every range
            self._year_array = np.array([-1 if y is None else y for y in self.years()], np.int64)
        years = self._year_array
        found = years >= 0
        if r.start is not None:
            found &= years > r.start if r.startexcl else years >= r.start
        if r.end is not None:
            found &= years < r.end if r.endexcl else years <= r.end
        return found

    def counts(self, fieldnames: Sequence[str], docs: Mask) -> dict[str, Counter[Any]]:
        """For each field, how many of `docs` have each of its values (documents without one are not
        counted). One pass: each document's combination of values is numbered once per open index."""
        key = tuple(fieldnames)
        combos = self._combos.get(key)
        if combos is None:
            columns = [self.values(name) for name in fieldnames]
            numbers: dict[tuple[Any, ...], int] = {}
            per_doc = [numbers.setdefault(combo, len(numbers)) for combo in zip(*columns, strict=True)]
            combos = self._combos[key] = (np.array(per_doc, np.intp), list(numbers))
        per_doc_array, values = combos
        counted: dict[str, Counter[Any]] = {name: Counter() for name in fieldnames}
        tally = np.bincount(per_doc_array[docs], minlength=len(values))
        for number in np.flatnonzero(tally).tolist():
            n = int(tally[number])
            for name, value in zip(fieldnames, values[number], strict=True):
                if value is not None:
                    counted[name][value] += n
        return counted


_LENGTHS = [1] + [byte_to_length(b) for b in range(1, 256)]
"""A stored length byte as the scorer reads it (a document without one counts as length 1)."""


def _field_lengths(reader: Any, fieldname: str) -> list[int]:
    """Every document's length of the field in one segment, read in one go where whoosh 3 stores them as
    a column of bytes."""
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    column = None
    if isinstance(perdoc, W3PerDocReader):
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None or getattr(column, "_typecode", None) != "B" or not hasattr(column, "_count"):
        return [reader.doc_field_length(d, fieldname, 1) for d in range(count)]
    stored = column._dbfile.get(column._basepos, column._count)
    return [_LENGTHS[b] for b in stored] + [1] * (count - len(stored))


def positive_terms(q: query.Query) -> Iterable[tuple[str, Any]]:
    """The (field, text) terms whose presence raises a document's score: not those under NOT."""
    if isinstance(q, query.Term):
        yield q.fieldname, q.text
    elif isinstance(q, query.Phrase):
        for word in q.words:
            yield q.fieldname, word
    elif isinstance(q, query.Not):
        return
    elif isinstance(q, query.AndNot):
        yield from positive_terms(q.a)
    elif isinstance(q, query.CompoundQuery):
        for sub in q.subqueries:
            yield from positive_terms(sub)
