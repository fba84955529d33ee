"""Indexing records into a new whoosh index: documents, then segments, in one process or several.

A large corpus is split into contiguous parts, one per CPU (at most WORKERS): the parent indexes the
first and forked children the others, each writing its own segments into the same index directory.
The parent then lists every segment, in order, in the index's table of contents, so document numbers
follow the records' order exactly as with one process. Forking shares the loaded corpus with the
children without copying or pickling it. A failing or killed child fails the build, like any error.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from index.documents import document, make_schema
from index.writer import BufferedSegmentWriter
from mtkb.records import Item, Reference

SEGMENT_DOCS = 25_000
"""Documents per whoosh segment: a writer holds one segment's postings in memory."""
WORKERS = 2
"""Processes at most (each a CPU); more than two did not help on the machines measured."""
PARALLEL_FROM = 5_000
"""Records below which one process is quicker than forking."""
PARENT_SHARE = 0.9
"""The parent's part, relative to a worker's: it serialises the records while the workers finish."""
PROGRESS_EVERY = 500

Progress = Callable[[int, int], None]
Records = Sequence[Item | Reference]


@contextmanager
def _no_gc() -> Iterator[None]:
    """Indexing allocates millions of small objects and makes no reference cycles worth collecting; the
    cyclic collector would rescan the whole corpus again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _index_part(ix: Any, records: Records, report: Callable[[int], None]) -> tuple[list[Any], Counter[str]]:
    """Index `records` into new segments of `ix` without taking its lock (the caller holds it)."""
    segments = []
    vocabulary: Counter[str] = Counter()
    for start in range(0, len(records), SEGMENT_DOCS):
        writer = BufferedSegmentWriter(ix, keep_temp=True, _lk=False)
        try:
            for n, record in enumerate(records[start : start + SEGMENT_DOCS], start=start + 1):
                doc = document(record)
                writer.add_document(**doc.fields)
                vocabulary.update(doc.words)
                if n % PROGRESS_EVERY == 0:
                    report(PROGRESS_EVERY)
            segments.append(writer._finalize_segment())
            writer._finish()
        except BaseException:
            writer.cancel()
            raise
    report(len(records) % PROGRESS_EVERY)
    return segments, vocabulary


def _child(ix: Any, records: Records, conn: Connection) -> None:
    """A forked worker: index its part and send ("done", segments, vocabulary) or ("error", exception)."""
    try:
        gc.disable()
        segments, vocabulary = _index_part(ix, records, lambda n: conn.send(("progress", n)))
        conn.send(("done", segments, vocabulary))
    except BaseException as exc:  # reported to the parent, which raises it
        try:
            conn.send(("error", exc))
        except Exception:  # an exception that cannot be pickled
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def _parts(records: Records) -> list[Records]:
    """The parent's part first (a little smaller: it has the records to serialise afterwards), then one
    part per forked worker."""
    workers = min(WORKERS, os.cpu_count() or 1)
    if len(records) < PARALLEL_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [records]
    first = int(len(records) / workers * PARENT_SHARE)
    size = -(-(len(records) - first) // (workers - 1))
    return [records[:first], *(records[i : i + size] for i in range(first, len(records), size))]


class _Children:
    """Forked workers, one per part, and what they have sent so far."""

    def __init__(self, ix: Any, parts: Sequence[Records], report: Callable[[int], None]):
        self.report = report
        self.running: list[tuple[Any, Connection]] = []
        self.results: dict[int, tuple[list[Any], Counter[str]]] = {}
        context = multiprocessing.get_context("fork")
        gc.freeze()  # children then leave the corpus's pages shared instead of touching them to collect
        try:
            for part in parts:
                receive, send = context.Pipe(duplex=False)
                child = context.Process(target=_child, args=(ix, part, send), daemon=True)
                child.start()
                send.close()
                self.running.append((child, receive))
        finally:
            gc.unfreeze()

    def drain(self, wait: bool) -> None:
        """Handle the messages waiting (all of them, until every child is done, if `wait`). Raises what a
        child raised, or RuntimeError for a child that died."""
        for number, (child, receive) in enumerate(self.running):
            while number not in self.results and (wait or receive.poll()):
                try:
                    message = receive.recv()
                except EOFError:
                    child.join()
                    raise RuntimeError(
                        f"an indexing worker ended without a result (exit code {child.exitcode})"
                    ) from None
                if message[0] == "progress":
                    self.report(message[1])
                elif message[0] == "done":
                    self.results[number] = (list(message[1]), message[2])
                else:
                    raise message[1]

    def stop(self) -> None:
        for child, receive in self.running:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()


class WhooshJob:
    """An index being written into `whoosh_dir`: `start` forks the workers and indexes the parent's part;
    `finish` waits for the workers and lists every segment in the index. The caller may do other work in
    between; it must call `cancel` if it does not call `finish`."""

    def __init__(self, records: Records, whoosh_dir: Path, progress: Progress | None = None):
        self.records, self.whoosh_dir, self.progress = records, whoosh_dir, progress
        self.done = 0
        self.ix: Any = None
        self.owner: Any = None
        self.children: _Children | None = None
        self.segments: list[Any] = []
        self.vocabulary: Counter[str] = Counter()

    def report(self, n: int) -> None:
        self.done += n
        if self.progress and n:
            self.progress(min(self.done, len(self.records)), len(self.records))

    def start(self) -> WhooshJob:
        self.ix = whoosh_index.create_in(str(self.whoosh_dir), make_schema())
        # Holds the index's lock while the parts are written, and removes the shared temporary folder last.
        self.owner = BufferedSegmentWriter(self.ix)
        first, *others = _parts(self.records)
        children = self.children = _Children(self.ix, others, self.report)

        def report_all(n: int) -> None:
            self.report(n)
            children.drain(wait=False)

        with _no_gc():
            self.segments, self.vocabulary = _index_part(self.ix, first, report_all)
        return self

    def finish(self) -> Counter[str]:
        """The folded words seen, each with the number of records using it. Raises what a worker raised."""
        assert self.children is not None
        self.children.drain(wait=True)
        for number in range(len(self.children.running)):
            segments, vocabulary = self.children.results[number]
            self.segments += segments
            self.vocabulary.update(vocabulary)
        self.owner._close_segment()
        self.owner._commit_toc(self.segments)
        self.owner._finish()
        self.children.stop()
        self.ix.close()
        return self.vocabulary

    def cancel(self) -> None:
        if self.children is not None:
            self.children.stop()
        if self.owner is not None and not self.owner.is_closed:
            with suppress(Exception):  # the error that brought us here is the one to report
                self.owner.cancel()


def write_whoosh(records: Records, whoosh_dir: Path, progress: Progress | None = None) -> Counter[str]:
    """Index `records` into a new whoosh index in `whoosh_dir`. Returns the folded words seen, each with
    the number of records using it (for spelling suggestions). Raises whatever a worker raised."""
    job = WhooshJob(records, whoosh_dir, progress)
    try:
        return job.start().finish()
    except BaseException:
        job.cancel()
        raise
