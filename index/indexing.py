"""Indexing records into a new whoosh index: documents, then segments, in one process or several.

For a large corpus the work is shared with worker processes (one per CPU, at most WORKERS). The records
stay in this process: it turns every record into its document (cheap next to indexing it), indexes its
own part, the first records, and sends the documents of the other parts to the workers in batches, a
little at a time between its own documents so that all keep busy. Each worker writes its documents into
segments of the same index directory; at the end this process lists every segment, in order, in the
index's table of contents, so document numbers follow the records' order as with one process.

Workers are started fresh ("spawn"), not forked: a forked worker would share the loaded corpus, and every
write to it by either process (reference counts) would copy its pages, up to a second corpus in memory.
A failing or dead worker fails the build, like any error.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
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
"""Records below which one process is quicker than starting workers."""
PARENT_SHARE = 0.4
"""This process's part of the records with two processes: it also makes every worker's documents, and
writes the records and the rest of the build while the workers finish."""
BATCH = 200
"""Documents sent to a worker at a time."""
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


class _Segments:
    """Writes documents into new segments of `ix`, SEGMENT_DOCS to a segment, without taking the index's
    lock (the owner holds it) or removing its shared temporary folder (the owner does, last)."""

    def __init__(self, ix: Any):
        self.ix = ix
        self.done: list[Any] = []
        self.writer: BufferedSegmentWriter | None = None
        self.count = 0

    def add(self, fields: dict[str, Any]) -> None:
        if self.writer is None:
            self.writer = BufferedSegmentWriter(self.ix, keep_temp=True, _lk=False)
        self.writer.add_document(**fields)
        self.count += 1
        if self.count % SEGMENT_DOCS == 0:
            self.close()

    def close(self) -> list[Any]:
        if self.writer is not None:
            self.done.append(self.writer._finalize_segment())
            self.writer._finish()
            self.writer = None
        return self.done

    def cancel(self) -> None:
        if self.writer is not None and not self.writer.is_closed:
            with suppress(Exception):
                self.writer.cancel()


def _worker(whoosh_dir: str, inbox: Any, outbox: Any) -> None:
    """A worker process: index the batches of documents from `inbox` until None, reporting ("progress", n)
    per batch, then ("done", segments), or ("error", exception) on failure."""
    gc.disable()
    segments = None
    try:
        segments = _Segments(whoosh_index.open_dir(whoosh_dir))
        while (batch := inbox.get()) is not None:
            for fields in pickle.loads(batch):
                segments.add(fields)
            outbox.put(("progress", len(batch)))
        outbox.put(("done", segments.close()))
    except BaseException as exc:  # reported to the parent, which raises it
        if segments is not None:
            segments.cancel()
        try:
            outbox.put(("error", exc))
        except Exception:  # an exception that cannot be pickled
            outbox.put(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _parts(records: Records) -> list[Records]:
    """This process's part first, then one part per worker."""
    workers = min(WORKERS, os.cpu_count() or 1)
    if len(records) < PARALLEL_FROM or workers < 2:
        return [records]
    first = int(len(records) * PARENT_SHARE * 2 / workers)
    size = -(-(len(records) - first) // (workers - 1))
    return [records[:first], *(records[i : i + size] for i in range(first, len(records), size))]


class _Worker:
    """A started worker process and its queues."""

    def __init__(self, context: Any, whoosh_dir: Path):
        self.inbox, self.outbox = context.Queue(), context.Queue()
        self.process = context.Process(
            target=_worker, args=(str(whoosh_dir), self.inbox, self.outbox), daemon=True
        )
        self.process.start()
        self.segments: list[Any] | None = None

    def drain(self, report: Callable[[int], None], wait: bool) -> None:
        """Handle the messages waiting (all, until the worker is done, if `wait`). Raises what the worker
        raised, or RuntimeError if it died."""
        while self.segments is None:
            try:
                message = self.outbox.get(timeout=1.0) if wait else self.outbox.get_nowait()
            except queue.Empty:
                if not wait:
                    return
                if not self.process.is_alive():
                    raise RuntimeError(
                        f"an indexing worker ended without a result (exit code {self.process.exitcode})"
                    ) from None
                continue
            if message[0] == "progress":
                report(message[1])
            elif message[0] == "done":
                self.segments = list(message[1])
            else:
                raise message[1]

    def stop(self) -> None:
        if self.process.is_alive() and self.segments is None:
            self.process.kill()
        self.process.join()
        for q in (self.inbox, self.outbox):
            q.close()
            q.cancel_join_thread()


class WhooshJob:
    """An index being written into `whoosh_dir`: `start` starts the workers, makes every document and
    indexes this process's part; `finish` waits for the workers and lists every segment in the index. The
    caller may do other work in between; it must call `cancel` if it does not call `finish`."""

    def __init__(self, records: Records, whoosh_dir: Path, progress: Progress | None = None):
        self.records, self.whoosh_dir, self.progress = records, whoosh_dir, progress
        self.done = 0
        self.ix: Any = None
        self.owner: Any = None
        self.workers: list[_Worker] = []
        self.own: _Segments | None = None
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
        context = multiprocessing.get_context("spawn")
        self.workers = [_Worker(context, self.whoosh_dir) for _ in others]
        feed = self._feed(others)
        own = self.own = _Segments(self.ix)
        # Send a worker's batch each time this process has done about as much of its own work.
        every = max(1, int(BATCH * len(first) / max(1, len(self.records) - len(first)) * len(others)))
        with _no_gc():
            for _ in range(2):  # a batch in hand and one waiting, for each worker
                next(feed, None)
            for n, record in enumerate(first, start=1):
                doc = document(record)
                own.add(doc.fields)
                self.vocabulary.update(doc.words)
                if n % every == 0:
                    next(feed, None)
                if n % PROGRESS_EVERY == 0:
                    self.report(PROGRESS_EVERY)
                    for worker in self.workers:
                        worker.drain(self.report, wait=False)
            self.report(len(first) % PROGRESS_EVERY)
            for _ in feed:
                pass
        return self

    def _feed(self, parts: list[Records]) -> Iterator[None]:
        """Make and send one batch of documents to each worker per step; at the end, None to each."""
        for start in range(0, max((len(p) for p in parts), default=0), BATCH):
            for worker, part in zip(self.workers, parts, strict=True):
                batch = []
                for record in part[start : start + BATCH]:
                    doc = document(record)
                    self.vocabulary.update(doc.words)
                    batch.append(doc.fields)
                if batch:  # pickled here, so that a failure is raised here and not in the queue's thread
                    worker.inbox.put(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
            yield None
        for worker in self.workers:
            worker.inbox.put(None)

    def finish(self) -> Counter[str]:
        """The folded words seen, each with the number of records using it. Raises what a worker raised."""
        assert self.own is not None
        segments = self.own.close()
        for worker in self.workers:
            worker.drain(self.report, wait=True)
            segments += worker.segments or []
        self.owner._close_segment()
        self.owner._commit_toc(segments)
        self.owner._finish()
        for worker in self.workers:
            worker.stop()
        self.ix.close()
        return self.vocabulary

    def cancel(self) -> None:
        for worker in self.workers:
            with suppress(Exception):
                worker.stop()
        if self.own is not None:
            self.own.cancel()
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
