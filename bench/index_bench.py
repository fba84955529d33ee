"""The index benchmark: mtkb's whoosh index against SQLite FTS5 over the same synthetic bibliography.

    python -m bench.index_bench --sizes 1000,10000 [--queries 100] [--work DIR] [--write-readme]

For each size it generates the BibTeX (bench.generate, cached in --work), then runs each engine in a
fresh child process so that peak memory is its own:

- whoosh: the real path of `mtkb build`: `mtkb.corpus.load_corpus` over the .bib files (timed apart as
  "load"), then `index.build_index` (the build: whoosh index, serialised records, manifest, atomic
  switch). Queries go through `IndexHandle(...).current().search(SearchRequest(q))` with the API's
  defaults: a page of 10 hits with highlighted snippets, the exact total, the five facet counts and a
  spelling suggestion when a query finds fewer than 3.
- FTS5 (stdlib sqlite3): one FTS5 table over the same references (title, body, author, with the facet
  values as unindexed columns), tokenizer `porter unicode61 remove_diacritics 2`, built from the rows
  the whoosh child read. A query does the same work as the API's: the top 10 by bm25 (title 3, body 1,
  author 2) with `snippet()`, and one GROUP BY over the facet columns that also gives the total.

Both engines answer the same queries, five kinds of `--queries` each: a single term, two terms, a
two-word phrase, an author (family name as written, with Norwegian letters), and a term with a year
range. Terms are drawn from the generator's vocabulary log-uniformly over its first 5,000 ranks, so
very common and rare words both occur; phrases are adjacent content words of generated entries, so
they always match. Every engine first answers 20 other queries to warm up. Latency is wall-clock per
query; the ratios are whoosh / FTS5 from the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from inspect import signature
from pathlib import Path
from typing import Any

from bench import generate
from bench.memory import PeakMemory

KINDS = ("single term", "two terms", "phrase", "author", "term + year range")
WARMUP = 20
VOCAB_RANKS = 5000
README = Path(__file__).with_name("README.md")
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
Query = dict[str, Any]  # {"kind", "whoosh", "fts", "years": [a, b] | None}


# ---------------------------------------------------------------- queries


def _term(rng: random.Random, lang: generate.Language) -> str:
    while True:
        rank = int(math.exp(rng.uniform(0, math.log(min(VOCAB_RANKS, len(lang.content))))))
        word = lang.content[rank - 1]
        if word.isalpha():
            return word


def _phrases(rng: random.Random, vocab: generate.Vocabulary, count: int, size: int) -> list[str]:
    content = set(vocab.en.content) | set(vocab.nb.content)
    picked = sorted(rng.sample(range(min(size, 5000)), k=min(count, size, 5000)))
    phrases = []
    wanted = iter(picked)
    target = next(wanted, None)
    for n, entry in enumerate(generate.records(min(size, 5000))):
        if n != target:
            continue
        text = entry.fields["title"] + " " + entry.fields["abstract"]
        words = re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text.lower())
        pairs = [(a, b) for a, b in zip(words, words[1:], strict=False) if a in content and b in content]
        pairs = [p for p in pairs if p[0].isalpha() and p[1].isalpha()]
        if pairs:
            phrases.append(" ".join(rng.choice(pairs)))
        target = next(wanted, None)
    while len(phrases) < count:
        phrases.append(phrases[len(phrases) % max(1, len(phrases))] if phrases else "music therapy")
    return phrases[:count]


def make_queries(count: int, size: int, seed: int = 7) -> list[Query]:
    """`count` queries of each kind, the same for both engines (and for every run with this seed)."""
    rng = random.Random(seed)
    vocab = generate.vocabulary()

    def lang() -> generate.Language:
        return vocab.en if rng.random() < generate.EN_SHARE else vocab.nb

    queries: list[Query] = []
    for _ in range(count):
        w = _term(rng, lang())
        queries.append({"kind": "single term", "whoosh": w, "fts": f'"{w}"', "years": None})
    for _ in range(count):
        language = lang()
        a, b = _term(rng, language), _term(rng, language)
        queries.append({"kind": "two terms", "whoosh": f"{a} {b}", "fts": f'"{a}" "{b}"', "years": None})
    for phrase in _phrases(rng, vocab, count, size):
        queries.append({"kind": "phrase", "whoosh": f'"{phrase}"', "fts": f'"{phrase}"', "years": None})
    for _ in range(count):
        name = rng.choices(vocab.families, cum_weights=vocab.family_weights)[0]
        queries.append(
            {"kind": "author", "whoosh": f"author:{name}", "fts": f'author : "{name}"', "years": None}
        )
    for _ in range(count):
        w = _term(rng, lang())
        start = rng.randint(generate.YEARS[0], 2020)
        end = min(generate.YEARS[1], start + rng.randint(0, 10))
        queries.append(
            {
                "kind": "term + year range",
                "whoosh": f"{w} year:[{start} TO {end}]",
                "fts": f'"{w}"',
                "years": [start, end],
            }
        )
    return queries


# ---------------------------------------------------------------- children (one engine each)


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _time_queries(
    run: Callable[[Query], object], queries: list[Query], warmup: list[Query]
) -> dict[str, list[float]]:
    for q in warmup:
        run(q)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for q in queries:
        started = time.perf_counter()
        run(q)
        times[q["kind"]].append((time.perf_counter() - started) * 1000)
    return times


def _reference_row(ref: Any) -> dict[str, Any]:
    people = [*ref.authors, *ref.editors]
    body = [
        ref.abstract,
        ref.journal,
        ref.booktitle,
        ref.institution,
        ref.publisher,
        ref.howpublished,
        ref.note,
    ]
    return {
        "key": ref.key,
        "title": ref.title or "",
        "body": "\n".join(p for p in body if p),
        "author": " ".join(p.display() for p in people),
        "year": ref.year,
        "decade": f"{ref.year // 10 * 10}s" if ref.year else None,
        "lang": ref.lang,
    }


def child_whoosh(work: Path, queries: list[Query], warmup: list[Query]) -> dict[str, Any]:
    from index import IndexHandle, SearchRequest, build_index
    from mtkb.corpus import load_corpus

    empty_kb = work / "kb-empty"
    empty_kb.mkdir(exist_ok=True)
    with PeakMemory() as memory:
        started = time.perf_counter()
        corpus = load_corpus(empty_kb, work / "bib")
        load_seconds = time.perf_counter() - started
        corpus_mb = memory.now_mb()
        if corpus.problems:
            raise SystemExit(f"the generated bibliography has problems: {corpus.problems[:3]}")
        with open(work / "rows.jsonl", "w", encoding="utf-8") as out:
            for ref in corpus.references.values():
                out.write(json.dumps(_reference_row(ref), ensure_ascii=False) + "\n")
        index_dir = work / "whoosh-index"
        started = time.perf_counter()
        # The citation styles pre-rendered into a build are the citations' cost, not the index's (README).
        options: dict[str, Any] = (
            {"prerender_citations": False}
            if "prerender_citations" in signature(build_index).parameters
            else {}
        )
        info = build_index(corpus, index_dir, **options)
        build_seconds = time.perf_counter() - started
    peak = memory.mb
    del corpus
    build = IndexHandle(index_dir).current()
    times = _time_queries(lambda q: build.search(SearchRequest(q=q["whoosh"])), queries, warmup)
    return {
        "load_s": load_seconds,
        "build_s": build_seconds,
        "size_mb": _dir_size(info.path) / 1e6,
        "peak_mb": peak,
        "corpus_mb": corpus_mb,
        "times": times,
    }


FTS_SCHEMA = (
    "CREATE VIRTUAL TABLE refs USING fts5(title, body, author, key UNINDEXED, type UNINDEXED, "
    "year UNINDEXED, decade UNINDEXED, grade UNINDEXED, strength UNINDEXED, lang UNINDEXED, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)
FTS_PAGE = (
    "SELECT key, type, title, year, snippet(refs, 1, '<mark>', '</mark>', '…', 24) FROM refs "
    "WHERE refs MATCH ? {years} ORDER BY bm25(refs, 3.0, 1.0, 2.0) LIMIT 10"
)
FTS_FACETS = (
    "SELECT type, decade, grade, strength, lang, count(*) FROM refs WHERE refs MATCH ? {years} "
    "GROUP BY type, decade, grade, strength, lang"
)


def child_fts5(work: Path, queries: list[Query], warmup: list[Query]) -> dict[str, Any]:
    db = work / "fts5.sqlite"
    for path in work.glob("fts5.sqlite*"):
        path.unlink()
    with PeakMemory() as memory:
        started = time.perf_counter()
        con = sqlite3.connect(db)
        con.execute(FTS_SCHEMA)
        with open(work / "rows.jsonl", encoding="utf-8") as rows:
            records = (json.loads(line) for line in rows)
            con.executemany(
                "INSERT INTO refs VALUES (?, ?, ?, ?, 'reference', ?, ?, NULL, NULL, ?)",
                (
                    (r["title"], r["body"], r["author"], r["key"], r["year"], r["decade"], r["lang"])
                    for r in records
                ),
            )
        con.commit()
        con.close()
        build_seconds = time.perf_counter() - started
    peak = memory.mb
    con = sqlite3.connect(db)

    def run(q: Query) -> tuple[int, list[Any]]:
        years, params = "", [q["fts"]]
        if q["years"]:
            years, params = "AND year BETWEEN ? AND ?", [q["fts"], *q["years"]]
        hits = con.execute(FTS_PAGE.format(years=years), params).fetchall()
        facets: dict[str, dict[Any, int]] = {n: {} for n in ("type", "decade", "grade", "strength", "lang")}
        total = 0
        for *values, count in con.execute(FTS_FACETS.format(years=years), params):
            total += count
            for name, value in zip(facets, values, strict=True):
                facets[name][value] = facets[name].get(value, 0) + count
        return total, hits

    times = _time_queries(run, queries, warmup)
    return {"build_s": build_seconds, "size_mb": db.stat().st_size / 1e6, "peak_mb": peak, "times": times}


# ---------------------------------------------------------------- the parent: run, tabulate


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _ensure_bib(work: Path, size: int) -> None:
    stamp = work / "bib" / "STAMP"
    wanted = f"size={size} seed={generate.SEED}"
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    generate.write(size, work / "bib")
    stamp.write_text(wanted)


def _run_child(engine: str, work: Path, code: Path | None = None) -> dict[str, Any]:
    """Run one engine in a fresh process; with `code`, import `index` and `mtkb` from that checkout."""
    here = Path(__file__).resolve().parent.parent
    cmd = [sys.executable, "-m", "bench.index_bench", "--child", engine, "--work", str(work.resolve())]
    env = dict(os.environ)
    if code is not None:  # the checkout comes first on the path; `bench` is still found here
        env["PYTHONPATH"] = os.pathsep.join([str(code.resolve()), str(here)])
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=code or here, env=env)
    if done.returncode:
        raise SystemExit(f"{engine} child failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_size(
    size: int, queries: int, work_root: Path, log: Callable[[str], None], code: Path | None = None
) -> dict[str, Any]:
    work = work_root / f"n{size}"
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]  # other work on the machine, for reading the figures
    log(f"[{size}] generating the bibliography")
    _ensure_bib(work, size)
    all_queries = make_queries(queries, size)
    warmup = make_queries(max(1, WARMUP // len(KINDS)), size, seed=99)
    (work / "queries.json").write_text(
        json.dumps({"queries": all_queries, "warmup": warmup}, ensure_ascii=False)
    )
    log(f"[{size}] whoosh: load, build, {len(all_queries)} queries")
    whoosh = _run_child("whoosh", work, code)
    log(f"[{size}] fts5: build, {len(all_queries)} queries")
    fts5 = _run_child("fts5", work)
    return {"size": size, "queries": queries, "whoosh": whoosh, "fts5": fts5, "load": load}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "n/a"


def table(result: dict[str, Any]) -> str:
    """One size's figures as a Markdown table: build rows, then median and p99 per query kind."""
    w, f = result["whoosh"], result["fts5"]

    def row(label: str, a: float, b: float, unit: str, digits: int) -> str:
        return f"| {label} | {a:.{digits}f} {unit} | {b:.{digits}f} {unit} | {_ratio(a, b)} |"

    lines = [
        f"#### {result['size']:,} references ({result['queries']} queries per kind, "
        f"load average {result['load']:.1f} at the start)",
        "",
        "| measure | whoosh | FTS5 | ratio |",
        "|---|---:|---:|---:|",
        f"| load BibTeX (whoosh side only) | {w['load_s']:.1f} s | - | - |",
        row("build time", w["build_s"], f["build_s"], "s", 2),
        row("index size", w["size_mb"], f["size_mb"], "MB", 1),
        row("peak memory", w["peak_mb"], f["peak_mb"], "MB", 0),
        f"| memory after loading the BibTeX (whoosh side only) | {w['corpus_mb']:.0f} MB | - | - |",
    ]
    for kind in [*KINDS, "all queries"]:
        wt = w["times"][kind] if kind in KINDS else [t for k in KINDS for t in w["times"][k]]
        ft = f["times"][kind] if kind in KINDS else [t for k in KINDS for t in f["times"][k]]
        lines.append(row(f"{kind}, median", statistics.median(wt), statistics.median(ft), "ms", 2))
        lines.append(row(f"{kind}, p99", _percentile(wt, 99), _percentile(ft, 99), "ms", 2))
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {datetime.now(UTC):%Y-%m-%d}, load average at the end {load}"
    )


def write_readme(tables: Iterable[str], command: str) -> None:
    block = "\n\n".join([f"Latest run: `{command}` on {machine()}.", *tables])
    text = README.read_text(encoding="utf-8") if README.is_file() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    README.write_text(f"{head}{START}\n{block}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark mtkb's whoosh index against SQLite FTS5.")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated entry counts")
    parser.add_argument("--queries", type=int, default=100, help="queries per kind")
    parser.add_argument("--work", type=Path, default=Path("var/bench"), help="folder for corpora and indexes")
    parser.add_argument("--write-readme", action="store_true", help="put the tables into bench/README.md")
    parser.add_argument(
        "--code", type=Path, help="benchmark the index and mtkb of this checkout (e.g. an older commit's)"
    )
    parser.add_argument("--child", choices=("whoosh", "fts5"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads((args.work / "queries.json").read_text(encoding="utf-8"))
        child = child_whoosh if args.child == "whoosh" else child_fts5
        print(json.dumps(child(args.work, spec["queries"], spec["warmup"])))
        return
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    tables = []
    for size in sizes:
        result = run_size(
            size, args.queries, args.work, lambda m: print(m, file=sys.stderr, flush=True), args.code
        )
        tables.append(table(result))
        print(tables[-1] + "\n", flush=True)
    if args.write_readme:
        command = "python -m bench.index_bench " + " ".join(argv if argv is not None else sys.argv[1:])
        write_readme(tables, command.replace(" --write-readme", "").strip())


if __name__ == "__main__":
    main()
