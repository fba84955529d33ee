"""Reading whoosh's compound segment files in place, instead of a private copy per process.

whoosh memory-maps a compound segment file and opens each file inside it as a `BufferFile`, whose
constructor copies the file's bytes into a `BytesIO`. Every reading process so held the whole index in its
own memory (40 MB per worker at 10,000 references), while the mapped pages it copied from are page cache
that all workers share. `ViewFile` is the same `BufferFile` over a file object that reads the mapped
bytes where they are. whoosh looks `BufferFile` up in its compound module when it opens a subfile; `use()`
points that name at `ViewFile` (whoosh-reloaded 2.7.5 is pinned, and a test checks the result).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile


class _View:
    """A read-only file over a memoryview: what BytesIO offers for reading, without copying the bytes."""

    def __init__(self, view: memoryview):
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos : end])
        self._pos = max(self._pos, end)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        for start in range(self._pos, end, 4096):  # look for the newline a slice at a time
            found = bytes(self._view[start : min(end, start + 4096)]).find(b"\n")
            if found >= 0:
                return self.read(start + found + 1 - self._pos)
        return self.read(end - self._pos)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._view.release()


class ViewFile(BufferFile):
    """whoosh's BufferFile over a `_View`. (Its `get` copies only the range it is asked for.)"""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None):
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _View(memoryview(buf))


def use() -> None:
    """Make whoosh open the files inside compound segments as `ViewFile`s."""
    compound.BufferFile = ViewFile
