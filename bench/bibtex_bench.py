"""The real-world BibTeX benchmark: build time and peak memory per 1,000 real entries.

    python -m bench.bibtex_bench [--code DIR] [--bib DIR] [--repeat N]

Reads the public .bib files of `tests/data/realworld/` (see its README) as `mtkb build` does
(`mtkb.corpus.load_corpus` over an empty kb/, then `index.build_index` without pre-rendered citations)
in a fresh child process, so that peak memory is its own. `--code DIR` runs another checkout of mtkb
(for example the commit before a change, exported with `git archive`) over the same files, so that
"before" and "after" are measured on the same machine in the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REALWORLD = Path(__file__).resolve().parent.parent / "tests" / "data" / "realworld"


def child(bib_dir: Path) -> dict[str, Any]:
    from bench.memory import PeakMemory
    from index import build_index
    from mtkb.corpus import load_corpus

    with tempfile.TemporaryDirectory() as work, PeakMemory() as memory:
        empty_kb = Path(work, "kb")
        empty_kb.mkdir()
        started = time.perf_counter()
        corpus = load_corpus(empty_kb, bib_dir)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        build_index(corpus, Path(work, "index"), prerender_citations=False)
        build_s = time.perf_counter() - started
    return {
        "indexed": len(corpus.references),
        "problems": len(corpus.problems),
        "load_s": load_s,
        "build_s": build_s,
        "peak_mb": memory.mb,
    }


def run(code: Path, bib_dir: Path) -> dict[str, Any]:
    """One measurement in a fresh interpreter running the mtkb at `code`."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(bib_dir)],
        env=env,
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build time and peak memory over the real-world .bib files.")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--bib", type=Path, default=REALWORLD)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the fastest is reported")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)))
        return
    runs = [run(args.code.resolve(), args.bib.resolve()) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["load_s"] + r["build_s"])
    entries = sum(
        p.read_text(encoding="utf-8", errors="replace").count("\n@") for p in args.bib.glob("*.bib")
    )
    per = 1000 / max(best["indexed"], 1)
    print(json.dumps({**best, "blocks_starting_with_at": entries}, indent=1))
    print(
        f"per 1,000 indexed entries: load {best['load_s'] * per:.2f} s, build {best['build_s'] * per:.2f} s, "
        f"peak {best['peak_mb']:.0f} MB (whole run, {best['indexed']} indexed, {best['problems']} problems)"
    )


if __name__ == "__main__":
    main()
