"""Versions from git history: what deriving them adds to a build, cold (no cache: the history is read and
every blob parsed) and on a rebuild without new commits (the cache answers), beside the baseline of one
`git rev-parse HEAD` in the same run (the least any derivation must do).

    python -m bench.history_bench [--repeat 20]

Target (issue: websites that stay in sync): a rebuild without new commits adds under 0.2 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mtkb import history

ROOT = Path(__file__).resolve().parent.parent


def _timed(run: Callable[[], None], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    kb, refs = ROOT / "kb", ROOT / "references"
    cache = Path(tempfile.mkdtemp(prefix="mtkb-history-bench-"))
    try:

        def cold() -> None:
            shutil.rmtree(cache, ignore_errors=True)
            history.derive(kb, refs, cache)

        def warm() -> None:
            history.derive(kb, refs, cache)

        def baseline() -> None:
            subprocess.run(["git", "-C", str(kb), "rev-parse", "HEAD"], capture_output=True, check=True)

        cold_times = _timed(cold, max(3, args.repeat // 5))
        warm_times = _timed(warm, args.repeat)
        base_times = _timed(baseline, args.repeat)
        derived = history.derive(kb, refs, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    records = sum(len(by_id) for by_id in derived.versions.values())
    print(f"history: {derived.status}, {len(derived.commits)} commits, {records} records with versions")
    print(f"{'run':32} {'median s':>9} {'max s':>7} {'x baseline':>11}")
    base = statistics.median(base_times)
    for name, times in (
        ("baseline: git rev-parse HEAD", base_times),
        ("derive, no new commit (cache)", warm_times),
        ("derive, cold (no cache)", cold_times),
    ):
        median = statistics.median(times)
        print(f"{name:32} {median:9.3f} {max(times):7.3f} {median / base:11.1f}")
    met = "met" if statistics.median(warm_times) < 0.2 else "NOT met"
    print(f"target: no-change rebuild adds < 0.2 s: {met}")


if __name__ == "__main__":
    main()
