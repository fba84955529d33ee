"""Peak memory of a process and its children, for the benchmarks."""

from __future__ import annotations

import os
import re
import resource
import threading
from pathlib import Path


class PeakMemory:
    """The peak of this process's memory plus its children's, sampled every 50 ms as the sum of their PSS
    (shared pages split between the processes that share them, so a forked worker's view of the parent's
    corpus is not counted twice). Without /proc it is this process's peak RSS."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

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

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def now_mb(self) -> float:
        """This process's memory now (PSS; RSS without /proc)."""
        pss = _pss_kb(os.getpid())
        return pss / 1024 if pss else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def _sample(self) -> None:
        pids = [os.getpid(), *_children(os.getpid())]
        self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in pids))


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


def _pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else 0
