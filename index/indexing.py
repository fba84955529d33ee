"""Indexing records into a new whoosh index: documents, then segments, in one process or several.

For a large corpus the work is shared with worker processes (one per CPU, at most WORKERS). The records
stay in this process: it turns every record into its document (cheap next to indexing it), indexes its
own part, the first records, and sends the documents of the other parts to the workers in batches, a
little at a time between its own documents so that all keep busy. Each worker writes its documents into
segments of the same index directory; at the end this process lists every segment, in order, in the
index's table of contents, so document numbers follow the records' order as with one process.

Workers are fresh interpreters (index/worker.py says why), fed through pipes. A failing or dead worker fails
the build, like any error.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from index.documents import document, make_schema
from index.worker import Segments, receive, send
from index.writer import BufferedSegmentWriter, segment_id
from mtkb.records import Item, Reference

WORKERS = 2
"""Processes at most, one per CPU (the machine this was measured on has two)."""
PARALLEL_FROM = 5_000
"""Records below which one process is quicker than starting workers."""
PARENT_SHARE = 0.35
"""This process's part of the records with two processes: it also makes every worker's documents, and
writes the records and the rest of the build while the workers finish. At 10,000 references both then
take about the same CPU time (4.8 s and 4.5 s; with 0.45 this process took 5.3 s, the worker 4.0 s, and
the build waited for this process)."""
BATCH = 200
"""Documents sent to a worker at a time."""
IN_FLIGHT = 2
"""Batches a worker has at a time: one it works on and one waiting."""
TOP_UP_EVERY = 25
"""Documents of its own this process indexes between looking at the workers."""
PROGRESS_EVERY = 500
OWNER_PART = 999
"""The part number of the writer that holds the index's lock (and writes no documents)."""

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


def _parts(records: Records) -> list[Records]:
    """This process's part first, then one part per worker."""
    workers = min(WORKERS, os.cpu_count() or 1)
    if len(records) < PARALLEL_FROM or workers < 2:
        return [records]
    first = int(len(records) * PARENT_SHARE * 2 / workers)
    size = -(-(len(records) - first) // (workers - 1))
    return [records[:first], *(records[i : i + size] for i in range(first, len(records), size))]


class _Worker:
    """A worker process (`python -m index.worker`), with a thread that feeds it batches and one that
    collects its messages, so that neither side waits on a full pipe."""

    def __init__(self, whoosh_dir: Path, part: int):
        root = str(Path(__file__).resolve().parent.parent)  # where this `index` package comes from
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from index.worker import main; main(sys.argv[1], sys.argv[2])",
                str(whoosh_dir),
                str(part),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        self.outgoing: queue.Queue[bytes] = queue.Queue()
        self.incoming: queue.Queue[Any] = queue.Queue()
        self.segments: list[Any] | None = None
        self.sent = self.finished = 0
        self.ended = False  # the end of its part has been sent
        self.threads = [
            threading.Thread(target=self._send, daemon=True),
            threading.Thread(target=self._receive, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def put(self, batch: list[dict[str, Any]] | None) -> None:
        """Queue a batch (None: the end). Pickled here, so that a failure is raised here."""
        self.outgoing.put(pickle.dumps(batch, pickle.HIGHEST_PROTOCOL))
        if batch is None:
            self.ended = True
        else:
            self.sent += 1

    def wait(self, report: Callable[[int], None]) -> None:
        """Handle the worker's next message, waiting for it."""
        self._handle(self.incoming.get(), report)

    def _send(self) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        with suppress(OSError):  # the worker died: _receive reports it
            while True:
                data = self.outgoing.get()
                send(stdin, data)
                if data == _END:
                    stdin.close()
                    return

    def _receive(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                self.incoming.put(receive(stdout))
        except EOFError:
            self.incoming.put(("ended",))
        except Exception as exc:
            self.incoming.put(("error", exc))

    def drain(self, report: Callable[[int], None], wait: bool) -> None:
        """Handle the messages waiting (all, until the worker is done, if `wait`). Raises what the worker
        raised, or RuntimeError if it ended without a result."""
        while self.segments is None:
            try:
                message = self.incoming.get() if wait else self.incoming.get_nowait()
            except queue.Empty:
                return
            self._handle(message, report)

    def _handle(self, message: tuple[Any, ...], report: Callable[[int], None]) -> None:
        if message[0] == "progress":
            self.finished += 1
            report(message[1])
        elif message[0] == "done":
            self.segments = list(message[1])
        elif message[0] == "ended":
            code = self.process.wait()
            raise RuntimeError(f"an indexing worker ended without a result (exit code {code})")
        else:
            raise message[1]

    def stop(self) -> None:
        if self.process.poll() is None and self.segments is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with suppress(OSError):
                    stream.close()


_END = pickle.dumps(None, pickle.HIGHEST_PROTOCOL)


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
        self.own: Segments | None = None
        self.vocabulary: Counter[str] = Counter()

    def report(self, n: int) -> None:
        self.done += n
        if self.progress and n:
            self.progress(min(self.done, len(self.records)), len(self.records))

    def start(self) -> WhooshJob:
        self.ix = whoosh_index.create_in(str(self.whoosh_dir), make_schema())
        # Holds the index's lock while the parts are written, and removes the shared temporary folder last.
        # Its own segment stays empty and is never listed; its id is the last part's.
        self.owner = BufferedSegmentWriter(self.ix, segment_id=segment_id(OWNER_PART, 0))
        first, *others = _parts(self.records)
        self.workers = [_Worker(self.whoosh_dir, part) for part in range(1, len(others) + 1)]
        batches = [iter([part[i : i + BATCH] for i in range(0, len(part), BATCH)]) for part in others]
        own = self.own = Segments(self.ix, 0)
        with _no_gc():
            self._top_up(batches)
            for n, record in enumerate(first, start=1):
                doc = document(record)
                own.add(doc.fields)
                self.vocabulary.update(doc.words)
                if n % TOP_UP_EVERY == 0:
                    self._top_up(batches)
                if n % PROGRESS_EVERY == 0:
                    self.report(PROGRESS_EVERY)
            self.report(len(first) % PROGRESS_EVERY)
            while self._top_up(batches):  # this part is done: keep the workers fed
                next(w for w in self.workers if not w.ended).wait(self.report)
        return self

    def _top_up(self, batches: list[Iterator[Records]]) -> bool:
        """Give each worker documents until it has IN_FLIGHT batches it has not finished (the end of its
        part when there are no more). Whether some worker still has batches to come."""
        more = False
        for worker, pending in zip(self.workers, batches, strict=True):
            worker.drain(self.report, wait=False)
            while not worker.ended and worker.sent - worker.finished < IN_FLIGHT:
                records = next(pending, None)
                if records is None:
                    worker.put(None)
                    break
                batch = []
                for record in records:
                    doc = document(record)
                    self.vocabulary.update(doc.words)
                    batch.append(doc.fields)
                worker.put(batch)
            more = more or not worker.ended
        return more

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
