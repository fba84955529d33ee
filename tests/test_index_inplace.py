"""whoosh's compound segments are read in place (index/inplace.py), with BytesIO's reading behaviour."""

from __future__ import annotations

import io
import random
from pathlib import Path

from whoosh.filedb import compound

from index import IndexHandle, SearchRequest
from index.inplace import ViewFile, _View


def test_an_open_build_reads_its_segments_without_copying_them(index_dir: Path) -> None:
    assert compound.BufferFile is ViewFile
    build = IndexHandle(index_dir).current()
    files = [f for r, _ in build._searcher._executor._leaves for f in (r._terms._dbfile, r._terms._postfile)]
    assert files and all(isinstance(f, ViewFile) and isinstance(f.file, _View) for f in files)
    assert build.search(SearchRequest(q="musikkterapi")).total > 0


def test_the_view_reads_as_bytesio_does() -> None:
    rng = random.Random(3)
    data = bytes(rng.choice(b"ab\ncd") for _ in range(20_000))
    view, copy = _View(memoryview(data)), io.BytesIO(data)
    for _ in range(2_000):
        action = rng.choice(["read", "readline", "seek", "tell"])
        if action == "read":
            size = rng.choice([-1, 0, 1, 7, 5000, 30_000])
            assert view.read(size) == copy.read(size)
        elif action == "readline":
            size = rng.choice([-1, 3, 10_000])
            assert view.readline(size) == copy.readline(size)
        elif action == "seek":
            offset, whence = rng.randint(0, 25_000), rng.choice([0, 1, 2])
            offset = -offset // 10 if whence else offset
            assert view.seek(offset, whence) == copy.seek(
                max(offset, -copy.tell()) if whence == 1 else offset, whence
            )
        assert view.tell() == copy.tell()
