"""Running a parsed whoosh query over one open index with set and list operations.

whoosh answers a query by stepping matchers through the postings one document at a time in Python,
which for a common word costs milliseconds per thousand documents, and it counts facets the same way.
This module reads each term's posting list a block at a time (whoosh's own files: one zlib and one pickle
call per 128 postings) into lists, answers the boolean structure with set operations, checks phrases on
the positions of the candidates only, scores with whoosh's BM25F formula and statistics in list
comprehensions, and counts facets from per-document value lists built once per open index from the
facet fields' own postings. The documents a query finds are whoosh's (a test compares them); the scores
are whoosh's BM25F summed over the query's terms.

Query types without a fast path here (fuzzy terms, spans, ...) are simplified against the index, and if
still unknown answered by whoosh itself.
"""

from __future__ import annotations

from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

K1, B = 1.2, 0.75
"""whoosh's BM25F defaults, which the searcher uses."""
CACHE_POSTINGS = 2_000_000
"""Postings kept decoded across queries (12 bytes each, in arrays), least recently used first out."""
CACHE_POSITIONS = 200_000
"""Decoded posting values kept (a value encodes the positions of a term in a document)."""


@dataclass(frozen=True)
class Postings:
    """One term's postings over the whole index: global document numbers, weights, encoded values."""

    docs: array[int]
    weights: array[float]
    values: list[bytes] | None = None

    def size(self) -> int:
        """What it counts for against CACHE_POSTINGS (a value takes some ten times a document number)."""
        return len(self.docs) * (11 if self.values is not None else 1)


_EMPTY = Postings(array("I"), array("d"), [])


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
        self._norms: dict[str, list[float]] = {}
        self._values: dict[str, list[Any]] = {}
        self._by_year: dict[int, list[int]] | None = None
        self._combos: dict[tuple[str, ...], tuple[list[int], list[tuple[Any, ...]]]] = {}
        reader = searcher.reader()
        # mtkb's builds never delete, but a whoosh index may hold deleted documents still in its segments.
        self.deleted = (
            {d for d in range(self.doc_count) if reader.is_deleted(d)} if reader.has_deletions() else set()
        )

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
        docs, weights, values = array("I"), array("d"), []
        for reader, offset in self._leaves:
            if (fieldname, btext) in reader:
                d, w, v = _read_leaf(reader.postings(fieldname, btext), offset, with_values)
                docs.extend(d)
                weights.extend(w)
                values += v
        found = Postings(docs, weights, values if with_values else None)
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

    def matching(self, q: query.Query) -> set[int]:
        """The (not deleted) document numbers `q` matches."""
        return self.docs(q) - self.deleted if self.deleted else self.docs(q)

    def docs(self, q: query.Query) -> set[int]:
        """The document numbers `q` matches (deleted ones included)."""
        if isinstance(q, query.Term):
            return set(self.postings(q.fieldname, q.text).docs)
        if isinstance(q, query.And):
            return self._and(q.subqueries)
        if isinstance(q, query.Or) and not isinstance(q, query.DisjunctionMax):
            found: set[int] = set()
            for sub in q.subqueries:
                found |= self.docs(sub)
            return found
        if isinstance(q, query.AndNot):
            return self.docs(q.a) - self.docs(q.b)
        if isinstance(q, query.AndMaybe):
            return self.docs(q.a)
        if isinstance(q, query.Not):
            return set(range(self.doc_count)) - self.docs(q.query)
        if isinstance(q, query.Every):
            return set(range(self.doc_count))
        if q is query.NullQuery:
            return set()
        if isinstance(q, query.Phrase):
            return self._phrase(q)
        if isinstance(q, query.NumericRange) and q.fieldname == "year":
            return self._years_between(q)
        simpler = q.simplify(self.searcher.reader())
        if type(simpler) is not type(q) or simpler != q:
            return self.docs(simpler)
        return set(self.searcher.docs_for_query(q))

    def _and(self, subqueries: Iterable[query.Query]) -> set[int]:
        subs = list(subqueries)
        negative = [s.query for s in subs if isinstance(s, query.Not)]
        years = [s for s in subs if isinstance(s, query.NumericRange) and s.fieldname == "year"]
        positive = [s for s in subs if not isinstance(s, query.Not) and s not in years]
        if positive:
            sets = sorted((self.docs(s) for s in positive), key=len)
            found = sets[0].intersection(*sets[1:])
            if years:  # filter the (usually few) candidates rather than collect the range
                table = self.years()
                found = {d for d in found if all(_in_range(table[d], r) for r in years)}
        elif years:
            found = self._years_between(years[0])
            for r in years[1:]:
                found &= self._years_between(r)
        else:
            found = set(range(self.doc_count))
        for s in negative:
            found -= self.docs(s)
        return found

    def _phrase(self, q: query.Phrase) -> set[int]:
        if not q.words:
            return set()
        field = self.schema[q.fieldname]
        if len(q.words) == 1:
            return set(self.postings(q.fieldname, q.words[0]).docs)
        if not field.format.supports("positions"):
            return set(self.searcher.docs_for_query(q))
        lists = [self.postings(q.fieldname, word, with_values=True) for word in q.words]
        candidates = set(lists[0].docs).intersection(*(p.docs for p in lists[1:]))
        if not candidates:
            return set()
        by_doc = [dict(zip(p.docs, p.values or (), strict=True)) for p in lists]
        positions, name = self.positions, q.fieldname
        slop = max(1, q.slop)
        found = set()
        for doc in candidates:
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
                found.add(doc)
        return found

    # ------------------------------------------------------------ scoring

    def _norm(self, fieldname: str) -> list[float]:
        """K1 * (1 - B + B * length / average length) per document: BM25's length normalisation."""
        norm = self._norms.get(fieldname)
        if norm is None:
            average = self.searcher.avg_field_length(fieldname) or 1
            lengths: list[int] = []
            for reader, _ in self._leaves:
                lengths += _field_lengths(reader, fieldname)
            norm = self._norms[fieldname] = [K1 * (1 - B + B * n / average) for n in lengths]
        return norm

    def scores(self, q: query.Query) -> list[float] | None:
        """BM25F per document number (0 for documents without any of `q`'s positive terms): the sum over
        those terms. None when `q` has no positive terms in the index (nothing to rank by)."""
        totals: list[float] | None = None
        for fieldname, text in set(positive_terms(q)):
            postings = self.postings(fieldname, text)
            if not postings.docs:
                continue
            if totals is None:
                totals = [0.0] * self.doc_count
            if self.schema[fieldname].scorable:
                scale = self.searcher.idf(fieldname, text) * (K1 + 1)
                norm = self._norm(fieldname)
                for doc, w in zip(postings.docs, postings.weights, strict=True):
                    totals[doc] += scale * w / (w + norm[doc])
            else:  # whoosh scores an unscored field (the concepts) by the posting's weight
                for doc, w in zip(postings.docs, postings.weights, strict=True):
                    totals[doc] += w
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

    def _years_between(self, r: query.NumericRange) -> set[int]:
        if self._by_year is None:
            self._by_year = {}
            for doc, year in enumerate(self.years()):
                if year is not None:
                    self._by_year.setdefault(year, []).append(doc)
        found: set[int] = set()
        for year, docs in self._by_year.items():
            if _in_range(year, r):
                found.update(docs)
        return found

    def counts(self, fieldnames: Sequence[str], docs: Iterable[int]) -> dict[str, Counter[Any]]:
        """For each field, how many of `docs` have each of its values (documents without one are not
        counted). One pass: each document's combination of values is numbered once per open index."""
        key = tuple(fieldnames)
        combos = self._combos.get(key)
        if combos is None:
            columns = [self.values(name) for name in fieldnames]
            numbers: dict[tuple[Any, ...], int] = {}
            per_doc = [numbers.setdefault(combo, len(numbers)) for combo in zip(*columns, strict=True)]
            combos = self._combos[key] = (per_doc, list(numbers))
        per_doc, values = combos
        counted: dict[str, Counter[Any]] = {name: Counter() for name in fieldnames}
        for number, n in Counter(map(per_doc.__getitem__, docs)).items():
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


def _in_range(value: int | None, r: query.NumericRange) -> bool:
    if value is None:
        return False
    if r.start is not None and (value < r.start or (r.startexcl and value == r.start)):
        return False
    return r.end is None or not (value > r.end or (r.endexcl and value == r.end))


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
