"""Peak memory of a process and its children, for the benchmarks."""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class PeakMemory:
    """The peak of this process's resident memory plus its children's, sampled every 50 ms from
    /proc/<pid>/statm (cheap: sampling must not slow down what it measures; children are looked for once a
    second). The index's workers are fresh interpreters, so they share little more than libraries with
    this process and the sum is close to what the machine has to provide. Without /proc it is this
    process's peak RSS."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._children: list[int] = []
        self._looked = 0.0

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def mb(self) -> float:
        if not self.peak_kb:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return self.peak_kb / 1024

    def now_mb(self) -> float:
        """This process's resident memory now (its peak without /proc)."""
        rss = _rss_kb(os.getpid())
        return rss / 1024 if rss else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def _sample(self) -> None:
        if time.monotonic() - self._looked > 1.0:
            self._children, self._looked = _children(os.getpid()), time.monotonic()
        total = _rss_kb(os.getpid()) + sum(_rss_kb(pid) for pid in self._children)
        self.peak_kb = max(self.peak_kb, total)


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _rss_kb(pid: int) -> int:
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident * PAGE // 1024
