"""An indexing worker process, started by index.indexing as `python -c "... main(WHOOSH_DIR, PART)"`.

It reads batches of documents (whoosh field dicts) from stdin, writes them into new segments of the index
in WHOOSH_DIR, SEGMENT_DOCS to a segment, and reports on stdout: ("progress", n) per batch, then ("done",
segments) after the end of input, or ("error", exception). Every message, both ways, is a pickle preceded by
its length. It never takes the index's lock nor removes its temporary folder: the process that started it
holds the one and removes the other.

A fresh interpreter rather than multiprocessing: a forked worker would share the loaded corpus and copy its
pages as both processes touched them, and multiprocessing's "spawn" re-imports the caller's main script,
which runs a build again if the script is not guarded by `if __name__ == "__main__"`.
"""

from __future__ import annotations

import gc
import pickle
import struct
import sys
from contextlib import suppress
from typing import IO, Any

from whoosh import index as whoosh_index

from index.writer import BufferedSegmentWriter, segment_id

SEGMENT_DOCS = 25_000
"""Documents per whoosh segment: a writer holds one segment's postings in memory."""
_LENGTH = struct.Struct("!Q")


def send(stream: IO[bytes], data: bytes) -> None:
    """One message (already pickled) on `stream`."""
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """The next message on `stream`, unpickled. Raises EOFError at the end of the stream."""
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        raise EOFError
    (length,) = _LENGTH.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        raise EOFError
    return pickle.loads(data)


class Segments:
    """Writes documents into new segments of `ix`, SEGMENT_DOCS to a segment, without taking the index's
    lock (its owner holds it) or removing its shared temporary folder (the owner does, last)."""

    def __init__(self, ix: Any, part: int):
        """`part`: which part of the build this is, for the segments' ids."""
        self.ix = ix
        self.part = part
        self.done: list[Any] = []
        self.writer: BufferedSegmentWriter | None = None
        self.count = 0

    def add(self, fields: dict[str, Any]) -> None:
        if self.writer is None:
            ident = segment_id(self.part, len(self.done))
            self.writer = BufferedSegmentWriter(self.ix, keep_temp=True, segment_id=ident, _lk=False)
        self.writer.add_document(**fields)
        self.count += 1
        if self.count % SEGMENT_DOCS == 0:
            self.close()

    def close(self) -> list[Any]:
        """Write the segment being filled; every segment written, in order."""
        if self.writer is not None:
            self.done.append(self.writer._finalize_segment())
            self.writer._finish()
            self.writer = None
        return self.done

    def cancel(self) -> None:
        if self.writer is not None and not self.writer.is_closed:
            with suppress(Exception):
                self.writer.cancel()


def main(whoosh_dir: str, part: str) -> None:
    gc.disable()  # short-lived, and its millions of small objects make no cycles worth collecting
    messages, batches = sys.stdout.buffer, sys.stdin.buffer
    sys.stdout = sys.stderr  # anything printed must not end up among the messages
    segments = None
    try:
        segments = Segments(whoosh_index.open_dir(whoosh_dir), int(part))
        while (batch := receive(batches)) is not None:
            for fields in batch:
                segments.add(fields)
            send(messages, pickle.dumps(("progress", len(batch))))
        send(messages, pickle.dumps(("done", segments.close())))
    except BaseException as exc:  # reported to the parent, which raises it
        if segments is not None:
            segments.cancel()
        try:
            report = pickle.dumps(("error", exc))
        except Exception:  # an exception that cannot be pickled
            report = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        send(messages, report)
