"""The build benchmark: full, no-change and one-edit builds of the real knowledge base and of 1,000 synthetic
references (every core style and locale pre-rendered), the share of each build spent in the citation engine,
and SQLite FTS5's build of the same references in the same run as the baseline.

    python -m bench.build_bench [--before COMMIT] [--write-readme]

Every build runs in a fresh process, as `mtkb build` does: reading the content (`load_corpus`) and building
(`build_index`) are timed, the interpreter's start and imports are not. The engine's share is the wall time
during which at least one engine run was going, over the build's. `--before` also runs a full build of the
real knowledge base with the code of an older commit (every build was a full build before incremental
builds). Content is copied into `--work` (the edits are made there, never in kb/ or references/); the copy
has no git history, so no versions are derived (bench/history_bench.py measures that part).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import generate
from bench.index_bench import _reference_row, machine

ROOT = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
START, END = "<!-- build-bench:start -->", "<!-- build-bench:end -->"
EDIT_ITEM = ("kb/evidence/cochrane-2022-rus.md", "\n---\n", "\n---\n\nEn ny setning.\n")
"""The one-item edit of the real knowledge base: a sentence added to an evidence summary."""
PREVIEW_EDIT = "\n---\n\nEn annen ny setning.\n"
"""The edit after that, in `mtkb preview`."""


# ---------------------------------------------------------------- the child: one build, timed


def child(kb: Path, references: Path, index_dir: Path) -> dict[str, Any]:
    import index.citations
    from index import build_index
    from mtkb.corpus import load_corpus

    intervals: list[tuple[float, float]] = []
    lock = threading.Lock()
    name = "format_many" if hasattr(index.citations, "format_many") else "format_references"
    engine = getattr(index.citations, name)

    def timed(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return engine(*args)
        finally:
            with lock:
                intervals.append((started, time.perf_counter()))

    setattr(index.citations, name, timed)
    started = time.perf_counter()
    corpus = load_corpus(kb, references)
    loaded = time.perf_counter()
    build_index(corpus, index_dir)
    built = time.perf_counter()
    return {
        "load_s": loaded - started,
        "build_s": built - loaded,
        "engine_s": _union(intervals),
        "entries": len(corpus.references),
    }


def _union(intervals: list[tuple[float, float]]) -> float:
    """The time covered by at least one of `intervals`."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def _build(kb: Path, references: Path, index_dir: Path, code: Path | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    if code is not None:  # the older checkout first on the path; `bench` still comes from here
        env["PYTHONPATH"] = os.pathsep.join([str(code), str(ROOT)])
    else:
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    # by file: an older checkout has a `bench` package of its own, without this module
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(kb), str(references), str(index_dir)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=code or ROOT, env=env, check=False)
    if done.returncode:
        raise SystemExit(f"build failed:\n{done.stderr}")
    result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    result["process_s"] = time.perf_counter() - started
    result["load_average"] = os.getloadavg()[0]
    return result


def fts5_build(references: Path, work: Path) -> float:
    """Seconds for SQLite FTS5 to index the same references (read with mtkb's reader, not timed)."""
    from bench.index_bench import FTS_SCHEMA
    from mtkb.sources.bibtex import load_bibliography

    files = sorted(references.rglob("*.bib"))
    rows = [_reference_row(r) for r in load_bibliography([(f, f.name) for f in files]).references.values()]
    db = work / "fts5.sqlite"
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute(FTS_SCHEMA)
    con.executemany(
        "INSERT INTO refs VALUES (?, ?, ?, ?, 'reference', ?, ?, NULL, NULL, ?)",
        ((r["title"], r["body"], r["author"], r["key"], r["year"], r["decade"], r["lang"]) for r in rows),
    )
    con.commit()
    con.close()
    return time.perf_counter() - started


def _edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"{file}: {old!r} not found for the edit")
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def _preview(
    kb: Path, references: Path, index_dir: Path, edit: tuple[Path, str, str], again: str
) -> dict[str, Any]:
    """A rebuild after one more edit in a long-lived `mtkb preview` (which reads again only the files that
    changed): read and build together, as the preview times them."""
    from api.preview import Preview

    preview = Preview(kb, references, index_dir)
    preview.rebuild()  # what the preview does when it starts: all files read
    file, _, edited = edit
    _edit(file, edited, again)
    preview.rebuild()
    if preview.error:
        raise SystemExit(preview.error)
    return {"build_s": preview.seconds, "load_average": os.getloadavg()[0]}


def scenario(
    label: str,
    kb: Path,
    references: Path,
    work: Path,
    edit: tuple[Path, str, str],
    log: Any,
    preview_edit: str | None = None,
) -> list[dict[str, Any]]:
    index_dir = work / "index"
    shutil.rmtree(index_dir, ignore_errors=True)
    rows = []
    for step in ("full build", "no-change rebuild", "one-edit rebuild"):
        if step == "one-edit rebuild":
            _edit(*edit)
        log(f"[{label}] {step}")
        rows.append({"scenario": label, "step": step, **_build(kb, references, index_dir)})
    if preview_edit is not None:
        log(f"[{label}] one-edit rebuild in mtkb preview")
        rows.append(
            {
                "scenario": label,
                "step": "one-edit rebuild in `mtkb preview`",
                **_preview(kb, references, index_dir, edit, preview_edit),
            }
        )
    log(f"[{label}] FTS5")
    rows.append(
        {"scenario": label, "step": "SQLite FTS5 build (baseline)", "build_s": fts5_build(references, work)}
    )
    return rows


def _fmt(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| content | build | load s | build s | engine s | engine share | outside engine | vs full "
        "| load avg |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    full: dict[str, float] = {}
    for row in rows:
        total = row.get("load_s", 0.0) + row["build_s"]
        if row["step"] == "full build":
            full.setdefault(row["scenario"], total)
        engine = row.get("engine_s")
        share = f"{engine / total:.0%}" if engine is not None and total else ""
        outside = f"{1 - engine / total:.0%}" if engine is not None and total else ""
        ratio = f"{total / full[row['scenario']]:.1%}" if row["scenario"] in full else ""
        lines.append(
            f"| {row['scenario']} | {row['step']} | {_fmt(row.get('load_s'))} | {_fmt(row['build_s'])} | "
            f"{_fmt(engine)} | {share} | {outside} | {ratio} | {_fmt(row.get('load_average'), 1)} |"
        )
    return "\n".join(lines)


def _checkout(commit: str, work: Path) -> Path:
    target = work / f"code-{commit}"
    if not target.is_dir():
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("var/build-bench"))
    parser.add_argument("--size", type=int, default=1000, help="synthetic references")
    parser.add_argument(
        "--before", help="also a full build of the real knowledge base with this commit's code"
    )
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    work = args.work.resolve()
    shutil.rmtree(work / "real", ignore_errors=True)
    real = work / "real"
    shutil.copytree(ROOT / "kb", real / "kb")
    shutil.copytree(ROOT / "references", real / "references")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    rows: list[dict[str, Any]] = []
    if args.before:
        log(f"[real KB] full build with {args.before}")
        before = _build(real / "kb", real / "references", real / "index-before", _checkout(args.before, work))
        rows.append({"scenario": "real KB", "step": f"full build, code of {args.before} (before)", **before})
    edit = (real / EDIT_ITEM[0], *EDIT_ITEM[1:])
    rows += scenario("real KB", real / "kb", real / "references", real, edit, log, PREVIEW_EDIT)
    if not args.skip_synthetic:
        synthetic = work / f"synthetic-{args.size}"
        shutil.rmtree(synthetic, ignore_errors=True)
        files = generate.write(args.size, synthetic / "references")
        (synthetic / "kb").mkdir()
        first = files[0].read_text(encoding="utf-8")
        title = first[first.index("title") :].split("\n", 1)[0]
        label = f"{args.size:,} synthetic references"
        rows += scenario(
            label,
            synthetic / "kb",
            synthetic / "references",
            synthetic,
            (files[0], title, title.replace("{", "{Edited ", 1)),
            log,
        )
    result = table(rows)
    print(result)
    if args.write_readme:
        command = "python -m bench.build_bench " + " ".join(
            a for a in (argv or sys.argv[1:]) if a != "--write-readme"
        )
        block = f"Latest run: `{command.strip()}` on {machine()}.\n\n{result}"
        text = README.read_text(encoding="utf-8")
        if START not in text:
            text += f"\n{START}\n{END}\n"
        head, rest = text.split(START, 1)
        README.write_text(f"{head}{START}\n{block}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")


if __name__ == "__main__":
    main()
