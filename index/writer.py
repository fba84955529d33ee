"""A whoosh segment writer that keeps postings grouped in memory instead of in whoosh's sorting pool.

whoosh's SegmentWriter turns every posting into a (field, term, doc, weight, value) tuple, pushes it through
an external merge sort, looks each document's field length up again from disk once per posting, and adds
postings to a block one call at a time. This writer groups postings by field and term as documents come
(in order, so every posting list is already sorted), keeps them compactly in arrays (positions rather
than encoded values for FastPositions fields), and hands each block of 128 postings to whoosh's own
posting writer at once. The files are whoosh's own codec's, byte for byte what SegmentWriter writes
(a test compares them), so any whoosh reader reads them. A build bounds memory by writing a segment every
`SEGMENT_DOCS` documents.

It supports what mtkb's schema uses: indexed, stored and column fields. Term vectors, separate spelling
fields and per-document boosts raise ValueError rather than being dropped.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Sequence
from typing import Any

from whoosh.analysis import IDTokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import W3FieldWriter, W3PostingsWriter, W3Segment
from whoosh.fields import FieldType
from whoosh.filedb.compound import CompoundStorage
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter


class _Postings:
    """One term's postings in one segment: document numbers, then per document either the positions
    (`counts` of them, end to end in `positions`) or a weight and an encoded value."""

    __slots__ = ("docs", "counts", "positions", "weights", "sizes", "values")

    def __init__(self, with_positions: bool):
        self.docs = array("I")
        if with_positions:
            self.counts = array("I")
            self.positions = array("I")
        else:
            self.weights = array("d")
            self.sizes = array("I")
            self.values = bytearray()


class BufferedSegmentWriter(SegmentWriter):
    """A SegmentWriter whose postings stay in memory, grouped by field and term, until the segment is
    written. Raises ValueError for a schema with term vectors or separate spelling fields."""

    def __init__(self, ix: Any, keep_temp: bool = False, segment_id: str | None = None, **kwargs: Any):
        """`keep_temp`: leave the index's temporary folder (shared by all writers) for another writer,
        which must finish last, to remove. `segment_id`: the new segment's id (whoosh draws a random one),
        so that the same documents give the same files."""
        if segment_id is not None:
            kwargs["codec"] = _NamedSegment(segment_id)
        super().__init__(ix, **kwargs)
        self._keep_temp = keep_temp
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r}: term vectors and spelling fields are not supported")
        self._postings: dict[str, dict[str | bytes, _Postings]] = {}
        self._lengths: dict[str, array[int]] = {}
        # ID fields index their whole value as one term; whoosh's generator chain costs more than the rest.
        self._whole_value = {
            name for name, field in self.schema.items() if field.indexed and _indexes_whole_value(field)
        }

    def _finish(self) -> None:
        if not self._keep_temp:
            super()._finish()
            return
        if self.writelock:
            self.writelock.release()
        self.is_closed = True

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        if any(k.endswith("_boost") for k in fields):
            raise ValueError("document and field boosts are not supported; boost the field in the schema")
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(self.schema, names)
        perdoc, docnum = self.perdocwriter, self.docnum
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field: FieldType = self.schema[name]
                length = self._index(name, field, value, docnum - self.docbase) if field.indexed else 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdoc.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, name: str, field: FieldType, value: Any, doc: int) -> int:
        """Add the postings of one field of document `doc` (segment-local); its length (0 if unscored)."""
        terms = self._postings.get(name)
        if terms is None:
            terms = self._postings[name] = {}
            self._lengths[name] = array("I")
        positional = getattr(field.format, "term_positions", None)
        length = 0
        # Terms are kept as text where the analyser gives text (UTF-8 bytes sort as the text does) and
        # encoded once per term when written.
        if name in self._whole_value and isinstance(value, str):
            postings = terms.get(value)
            if postings is None:
                postings = terms[value] = _Postings(False)
            postings.docs.append(doc)
            postings.weights.append(field.format.field_boost)
            postings.sizes.append(0)
            length = 1
        elif positional is not None and isinstance(value, str):
            get = terms.get
            for term, positions in positional(value, field.analyzer).items():
                postings = get(term)
                if postings is None:
                    postings = terms[term] = _Postings(True)
                n = len(positions)
                postings.docs.append(doc)
                postings.counts.append(n)
                postings.positions.extend(positions)
                length += n
        elif type(field.format) in (Existence, Frequency) and hasattr(field.analyzer, "index_terms"):
            boost, frequency = field.format.field_boost, type(field.format) is Frequency
            for term, positions in field.analyzer.index_terms(value).items():
                postings = terms.get(term)
                if postings is None:
                    postings = terms[term] = _Postings(False)
                freq = len(positions)
                vbytes = pack_uint(freq) if frequency else b""
                postings.docs.append(doc)
                postings.weights.append(freq * boost if frequency else boost)
                postings.sizes.append(len(vbytes))
                postings.values += vbytes
                length += freq if frequency else 1
        else:
            for btext, freq, weight, vbytes in field.index(value):
                postings = terms.get(btext)
                if postings is None:
                    postings = terms[btext] = _Postings(False)
                postings.docs.append(doc)
                postings.weights.append(weight)
                postings.sizes.append(len(vbytes))
                postings.values += vbytes
                length += freq
        if not field.scorable:
            length = 0
        lengths = self._lengths[name]
        lengths.extend([0] * (doc - len(lengths)))  # documents without this field have length 0
        lengths.append(length)
        return length

    def _assemble_segment(self) -> None:
        """whoosh's compound file, made the same from the same files: whoosh takes them in the order the
        directory lists them and records each one's modification time."""
        if not self.compound:
            return
        segment, storage = self.get_segment(), self.storage
        names = sorted(segment.list_files(storage))
        for name in names:
            os.utime(os.path.join(storage.folder, name), (0, 0))
        CompoundStorage.assemble(segment.create_file(storage, segment.COMPOUND_EXT), storage, names)
        for name in names:
            storage.delete_file(name)
        segment.compound = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        writer = self.fieldwriter
        count = self.docnum - self.docbase
        level = getattr(self.codec, "_compression", 3)
        for name in sorted(self._postings):
            field = self.schema[name]
            terms = self._postings.pop(name)
            # The length as the segment stores it (one byte, lossy), which is what SegmentWriter passes.
            lengths = [byte_to_length(length_to_byte(n)) for n in self._lengths.pop(name)]
            lengths.extend([0] * (count - len(lengths)))
            writer.start_field(name, field)
            for term in sorted(terms, key=_as_bytes):
                postings = terms.pop(term)
                weights, values = _weights_and_values(postings, field)
                writer.start_term(_as_bytes(term))
                doc_lengths = [lengths[d] for d in postings.docs]
                _add_postings(writer, postings.docs, weights, values, doc_lengths, level)
                writer.finish_term()
            writer.finish_field()
        writer.close()


class _NamedSegment:
    """whoosh's default codec, except that the new segment has the id given. A stand-in handed to the
    writer only: the segment keeps the real codec, so the index's table of contents pickles nothing of
    ours."""

    def __init__(self, segment_id: str):
        self._codec = default_codec()
        self._segment_id = segment_id

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return W3Segment(self._codec, indexname, segid=self._segment_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codec, name)


def segment_id(part: int, number: int) -> str:
    """The id of the `number`th segment written by part `part` of a build (whoosh ids are 16 characters)."""
    return f"p{part:03d}s{number:011d}"


def _as_bytes(term: str | bytes) -> bytes:
    return term.encode("utf-8") if isinstance(term, str) else term


def _indexes_whole_value(field: FieldType) -> bool:
    """Whether `field` indexes a string as exactly one term, itself, with no value (an ID field)."""
    return type(field.format) is Existence and type(field.analyzer) is IDTokenizer


def _weights_and_values(postings: _Postings, field: FieldType) -> tuple[Sequence[float], list[bytes]]:
    docs = postings.docs
    if hasattr(postings, "counts"):
        encode, boost = field.format.encode, field.format.field_boost
        counts, positions = postings.counts, postings.positions
        # Most postings hold one position, whose encoding (Positions') is the same every time.
        one = _one_position(max(positions)) if type(field.format).encode is Positions.encode else None
        values: list[bytes] = []
        weights: list[float] = []
        start = 0
        for n in counts:
            if n == 1 and one is not None:
                values.append(one[positions[start]])
            else:
                values.append(encode(positions[start : start + n].tolist()))
            weights.append(n * boost)
            start += n
        return weights, values
    blob, start, values = bytes(postings.values), 0, []
    for size in postings.sizes:
        values.append(blob[start : start + size])
        start += size
    assert len(values) == len(docs)
    return postings.weights, values


_ONE_POSITION: list[bytes] = []
"""Positions.encode([p]) for p = 0, 1, ...: the value of most postings."""


def _one_position(highest: int) -> list[bytes]:
    while len(_ONE_POSITION) <= highest:
        _ONE_POSITION.append(Positions.encode(None, [len(_ONE_POSITION)]))
    return _ONE_POSITION


COMPRESS_FROM = 32
"""Posting lists shorter than this are written uncompressed."""


def _add_postings(
    writer: W3FieldWriter,
    docs: array[int],
    weights: Sequence[float],
    values: list[bytes],
    lengths: list[int],
    level: int,
) -> None:
    """Add one term's postings, a block at a time when the posting writer is whoosh 3's, else one by one.
    The block's statistics are what W3PostingsWriter.add_posting would have gathered."""
    postwriter = getattr(writer, "_postwriter", None)
    if not isinstance(postwriter, W3PostingsWriter) or not hasattr(postwriter, "_write_block"):
        for doc, weight, value, length in zip(docs, weights, values, lengths, strict=True):
            writer.add(doc, weight, value, length)
        return
    limit = postwriter._blocklimit
    # zlib costs tens of microseconds a call, and a block of a few postings does not shrink: compress only
    # the blocks worth it (each block records whether it is compressed, and readers honour that).
    postwriter._compression = level if len(docs) >= COMPRESS_FROM else 0
    for start in range(0, len(docs), limit):
        if start:
            postwriter._write_block()  # a full block; finish_term writes the last one
        end = start + limit
        block_weights = weights[start:end]
        block_lengths = [n for n in lengths[start:end] if n]
        postwriter._ids = array("I", docs[start:end])
        postwriter._weights = array("f", block_weights)
        postwriter._values = [v for v in values[start:end] if v]
        postwriter._maxweight = max(0, max(block_weights))
        postwriter._minlength = min(block_lengths) if block_lengths else None
        postwriter._maxlength = max(block_lengths) if block_lengths else 0
