"""The load benchmark: the real service under wrk, beside a bare Flask endpoint (the ceiling) and Datasette.

    python -m bench.load_bench [--duration 10] [--connections 16] [--rounds 3] [--size 10000]
                               [--smoke] [--write-readme] [--profile SECONDS] [--max-other 0.15]

It starts, all on 127.0.0.1 and all at once (an idle server costs nothing):

- mtkb's gunicorn (gunicorn.conf.py, sync workers = CPU cores) over (a) the real knowledge base and (b) a
  synthetic bibliography of --size references from bench.generate, each index built as `mtkb build` does
  (for (b) without pre-rendered citations: pandoc cannot format 10,000 references within its time limit);
  over (b) also one gunicorn for the all-distinct lists alone (so that one-off queries do not evict the
  Zipf queries from a shared response memo), and single-worker servers (bare, Zipf, all-distinct) for
  1 against N workers;
- the bare Flask app bench/bare_app.py under the same gunicorn settings: the ceiling;
- Datasette 0.65 (a private venv under bench/out/, not the app's) over an SQLite FTS5 table of the same
  references, answering a canned query that returns the top 10 ordered by FTS5's bm25 rank. (Its table
  view, `/refs/refs.json?_search=`, is measured too; in 0.65 it orders by rowid, not rank, and counts.)

Then, in --rounds rounds, each starting at the next target so that drift affects every target alike, it
drives each target with wrk (2 threads, --connections, --duration) through bench/wrk/rotate.lua, which
rotates through a file of request paths. Query lists (seeded, from the generator's vocabulary): a fixed
list of 200 queries requested with Zipf weights 1/rank (what real traffic looks like), and all-distinct
queries, each run taking its own slice so that no query repeats anywhere in the run (the uncached path).
The machine may be shared: each run measures the CPU share other processes took meanwhile, and a run
above --max-other is repeated (at most --retries times; the least disturbed attempt counts).
It prints req/s, p50 and p99 (medians over the rounds), the ratios to the bare endpoint and to Datasette,
the peak memory (VmHWM) of every worker, and with --write-readme puts the figures in bench/README.md.
With --profile it then samples the workers of a few targets with py-spy (bench/out/load/profiles/).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "load"
LUA = ROOT / "bench" / "wrk" / "rotate.lua"
README = ROOT / "bench" / "README.md"
START, END = "<!-- load-bench:start -->", "<!-- load-bench:end -->"
DATASETTE = "datasette>=0.65,<0.66"
WRK_THREADS = 2
ZIPF_QUERIES, ZIPF_REQUESTS = 200, 20_000
LEAN = {"facets": "false", "highlight": "false", "per_page": "10"}
EXPAND = "evidence,references,guideline"
PROFILED = ("bare", "rec", "citation", "zipf_full", "distinct_lean", "distinct_full")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
Log = Callable[[str], None]


# ---------------------------------------------------------------- artefacts (cached under bench/out/load)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _stamped(folder: Path, stamp: str) -> bool:
    return (folder / "STAMP").is_file() and (folder / "STAMP").read_text() == stamp


def _sources_hash() -> str:
    """What a cached index depends on: the domain and index code and the generator."""
    files = sorted([*ROOT.glob("mtkb/**/*.py"), *ROOT.glob("index/**/*"), ROOT / "bench" / "generate.py"])
    digest = hashlib.sha1(usedforsecurity=False)
    for f in (f for f in files if f.is_file()):
        digest.update(str(f.relative_to(ROOT)).encode() + f.read_bytes())
    return digest.hexdigest()[:16]


BUILD_WITHOUT_CITATIONS = """
import sys
from inspect import signature
from pathlib import Path
from index import build_index
from mtkb.corpus import load_corpus
corpus = load_corpus(Path(sys.argv[1]), Path(sys.argv[2]))
corpus.raise_for_problems()
options = {"prerender_citations": False} if "prerender_citations" in signature(build_index).parameters else {}
build_index(corpus, Path(sys.argv[3]), **options)
"""
"""`mtkb build` without the pre-rendered citations, which pandoc cannot format for 10,000 references within
its time limit; the search index and records are the same (as in bench/index_bench.py)."""


def mtkb_build(index: Path, kb: Path | None = None, references: Path | None = None) -> None:
    """`mtkb build` into a fresh `index` folder: the real command for the real knowledge base; for a
    synthetic bibliography the same build without pre-rendered citations (BUILD_WITHOUT_CITATIONS)."""
    shutil.rmtree(index, ignore_errors=True)
    cmd = [sys.executable, "-m", "api.cli", "build", "--index", str(index)]
    if kb and references:
        cmd = [sys.executable, "-c", BUILD_WITHOUT_CITATIONS, str(kb), str(references), str(index)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode:
        raise SystemExit(f"mtkb build failed:\n{done.stdout}\n{done.stderr}")


def synthetic(size: int, work: Path, log: Log) -> tuple[Path, Path]:
    """The generated BibTeX folder and its mtkb index, rebuilt only when size, seed or code changed."""
    folder = work / f"n{size}"
    with _locked(work / f"n{size}.lock"):
        bib, index, kb = folder / "bib", folder / "index", folder / "kb-empty"
        if not _stamped(bib, f"{size} {generate.SEED}"):
            log(f"generating {size} references")
            generate.write(size, bib)
            (bib / "STAMP").write_text(f"{size} {generate.SEED}")
        stamp = f"{size} {generate.SEED} {_sources_hash()}"
        if not _stamped(index, stamp):
            log(f"building the index of {size} references (cached afterwards)")
            kb.mkdir(parents=True, exist_ok=True)
            mtkb_build(index, kb, bib)
            (index / "STAMP").write_text(stamp)
    return bib, index


def fts_database(size: int, bib: Path, work: Path, log: Log) -> Path:
    """An SQLite db with table `refs` (key, title, authors, year, abstract) and FTS5 `refs_fts` over title,
    abstract and authors, from the same references mtkb indexed (read with mtkb's own BibTeX reader)."""
    db = work / f"n{size}" / "refs.db"
    with _locked(work / f"n{size}.lock"):
        stamp = db.with_suffix(".stamp")
        if db.is_file() and stamp.is_file() and stamp.read_text() == _sources_hash():
            return db
        log("building the FTS5 database for Datasette")
        from mtkb.corpus import load_corpus

        corpus = load_corpus(bib.parent / "kb-empty", bib)
        db.unlink(missing_ok=True)
        con = sqlite3.connect(db)
        con.execute(
            "CREATE TABLE refs (key TEXT PRIMARY KEY, title TEXT, authors TEXT, year INTEGER, abstract TEXT)"
        )
        con.executemany(
            "INSERT INTO refs VALUES (?, ?, ?, ?, ?)",
            (
                (r.key, r.title or "", "; ".join(p.display() for p in r.authors), r.year, r.abstract or "")
                for r in corpus.references.values()
            ),
        )
        con.execute(
            'CREATE VIRTUAL TABLE refs_fts USING fts5(title, abstract, authors, content="refs", '
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        con.execute(
            "INSERT INTO refs_fts (rowid, title, abstract, authors) "
            "SELECT rowid, title, abstract, authors FROM refs"
        )
        con.commit()
        con.close()
        stamp.write_text(_sources_hash())
    return db


def datasette_venv(work: Path, log: Log, extra: tuple[str, ...] = ()) -> Path:
    """The bin folder of the benchmark's own venv with Datasette (and `extra` packages) installed."""
    venv = work.parent / "datasette-venv"
    with _locked(work / "venv.lock"):
        stamp = venv / "STAMP"
        have = set(stamp.read_text().split("\n")) if stamp.is_file() else set()
        wanted = {DATASETTE, *extra}
        if not (venv / "bin" / "datasette").is_file() or not wanted <= have:
            log(f"installing {' '.join(sorted(wanted))} into {venv}")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *sorted(wanted | have)]
            subprocess.run(pip, check=True, timeout=600, capture_output=True)
            stamp.write_text("\n".join(sorted(wanted | have)))
    return venv / "bin"


# ---------------------------------------------------------------- queries and request paths


def corpus_words(size: int) -> set[str]:
    words: set[str] = set()
    for entry in generate.records(size):
        words.update(_WORD.findall((entry.fields["title"] + " " + entry.fields["abstract"]).lower()))
    return words


def _draw(rng: random.Random, vocab: generate.Vocabulary, allowed: set[str]) -> str:
    """One query of one (60 %) or two words of one language, Zipf-weighted as the generator writes them."""
    lang = vocab.en if rng.random() < generate.EN_SHARE else vocab.nb
    words: list[str] = []
    while len(words) < (1 if rng.random() < 0.6 else 2):
        word = rng.choices(lang.content, cum_weights=lang.cumulative)[0]
        if word in allowed and word.isalpha() and word not in words:
            words.append(word)
    return " ".join(words)


def query_lists(allowed: set[str], distinct: int, seed: int = 11) -> tuple[list[str], list[str]]:
    """(200 Zipf queries ranked by draw order, `distinct` all-different queries in shuffled order)."""
    rng, vocab = random.Random(seed), generate.vocabulary()
    zipf: dict[str, None] = {}
    while len(zipf) < ZIPF_QUERIES:
        zipf[_draw(rng, vocab, allowed)] = None
    unique: dict[str, None] = {}
    while len(unique) < distinct:
        q = _draw(rng, vocab, allowed)
        if q not in zipf:
            unique[q] = None
    shuffled = list(unique)
    rng.shuffle(shuffled)
    return list(zipf), shuffled


def zipf_sequence(queries: list[str], seed: int = 12) -> list[str]:
    weights = [1 / rank for rank in range(1, len(queries) + 1)]
    return random.Random(seed).choices(queries, weights=weights, k=ZIPF_REQUESTS)


def search_path(q: str, lean: bool) -> str:
    return "/api/v1/search?" + urlencode({"q": q, **(LEAN if lean else {})})


def fts_match(q: str) -> str:
    """The query as FTS5 MATCH text: each word quoted (as Datasette's escape_fts does), implicitly ANDed."""
    return " ".join(f'"{w}"' for w in q.split())


def datasette_ranked(q: str) -> str:
    return "/refs/search.json?" + urlencode({"q": fts_match(q), "_shape": "array"})


def datasette_table(q: str) -> str:
    return "/refs/refs.json?" + urlencode({"_search": q, "_size": "10", "_shape": "array"})


RANKED_SQL = (
    "select refs.key, refs.title, refs.authors, refs.year from refs_fts "
    "join refs on refs.rowid = refs_fts.rowid where refs_fts match :q order by refs_fts.rank limit 10"
)


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        return [self.process.pid, *(w for w in self.workers() if w != self.process.pid)]

    def workers(self) -> list[int]:
        """The gunicorn workers (children of the master), or the process itself when it has none."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(c) for c in children] or [pid]


def memory_mb(pid: int) -> tuple[float, float]:
    """(Peak resident memory VmHWM, anonymous memory now) of a process, MB. The difference is mostly the
    index files that whoosh maps into memory: page cache, shared by every worker that maps them."""
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    anon = re.search(r"Anonymous:\s+(\d+) kB", rollup.read_text() if rollup.is_file() else "")
    peak = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return (int(peak.group(1)) / 1024 if peak else 0.0, int(anon.group(1)) / 1024 if anon else 0.0)


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by `pids` and, for this process, by its waited-for children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    times = os.times()
    return total + times.user + times.system + times.children_user + times.children_system


def busy_seconds() -> float:
    """CPU time all CPUs spent busy since boot (everything but idle and iowait), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serve(
    name: str, cmd: list[str], env: dict[str, str], port: int, ready: str, log: Path
) -> Iterator[Server]:
    """Start `cmd` in its own session, wait until GET `ready` answers, stop the whole group afterwards."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        server = Server(name, f"http://127.0.0.1:{port}", process)
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited with {process.returncode}; see {log}")
                try:
                    with urllib.request.urlopen(server.base + ready, timeout=5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"{name} did not answer within 120 s; see {log}") from None
                    time.sleep(0.2)
            yield server
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def gunicorn(
    stack: contextlib.ExitStack, name: str, app: str, index: Path, workers: int, run: Path
) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTKB_")}
    env |= {"MTKB_INDEX_DIR": str(index), "WEB_CONCURRENCY": str(workers), "PORT": str(port)}
    cmd = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"), "--chdir", str(ROOT)]
    cmd += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), app]
    ready = "/bare" if app.startswith("bench.") else "/api/v1/health"
    return stack.enter_context(serve(name, cmd, env, port, ready, run / f"{name}.log"))


def datasette(stack: contextlib.ExitStack, bin_dir: Path, db: Path, run: Path) -> Server:
    port = free_port()
    metadata = run / "datasette-metadata.json"
    canned = {"sql": RANKED_SQL, "title": "Ranked full-text search, top 10"}
    tables = {"refs": {"fts_table": "refs_fts", "fts_pk": "rowid"}}
    metadata.write_text(
        json.dumps({"databases": {"refs": {"tables": tables, "queries": {"search": canned}}}})
    )
    cmd = [str(bin_dir / "datasette"), "serve", "-i", str(db), "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--metadata", str(metadata)]
    return stack.enter_context(
        serve("datasette", cmd, dict(os.environ), port, "/-/versions.json", run / "datasette.log")
    )


COLD_START = """
import time
started = time.monotonic()
from wsgi import app
response = app.test_client().get(PATH)
assert response.status_code == 200, response.status_code
print(time.monotonic() - started)
"""


def cold_start(index: Path, path: str, times: int = 3) -> float:
    """Seconds a fresh worker needs without the preloaded master (import, create_app, open the index, the
    first response to `path`), measured inside a new interpreter; the median of `times` runs. With
    gunicorn's preload_app a replaced worker skips the import and the app set-up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MTKB_")} | {"MTKB_INDEX_DIR": str(index)}
    code = COLD_START.replace("PATH", repr(path))
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(times)
    ]
    return statistics.median(runs)


def probe(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


# ---------------------------------------------------------------- wrk


@dataclass
class Target:
    key: str
    label: str
    corpus: str
    server: Server | None  # None: not measured (n/a)
    paths: Path
    versus: str = ""  # the Datasette row this one is compared with
    slices: int | None = None  # all-distinct lists: the first slice of this target's own queries


def wrk(base: str, paths: Path, start: int, seconds: int, connections: int) -> dict[str, Any]:
    threads = min(WRK_THREADS, connections)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    cmd += ["--timeout", "5s", "-s", str(LUA), base, "--", str(paths), str(start), str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    rps = raw["requests"] / (raw["duration_us"] / 1e6) if raw["duration_us"] else 0.0
    return {"rps": rps, "p50": raw["p50_us"] / 1000, "p99": raw["p99_us"] / 1000, "errors": errors, **raw}


def summarise(runs: list[dict[str, Any]], capacity: int | None) -> dict[str, Any]:
    """Medians over the rounds; `repeats` when a distinct run sent more requests than its slice holds."""
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "other": statistics.median(r.get("other", 0.0) for r in runs),
        "repeats": capacity is not None and any(r["requests"] > capacity for r in runs),
    }


def profile(target: Target, seconds: int, bin_dir: Path, start: int, connections: int, out: Path) -> Path:
    """Sample every worker of `target`'s gunicorn with py-spy while wrk loads it; the share of request time
    spent in each function (inclusive and self) goes to out/<key>.md, the raw stacks to out/<key>.txt."""
    assert target.server is not None
    threads = min(WRK_THREADS, connections)
    load = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds + 3}s", "-s", str(LUA)]
    load += [target.server.base, "--", str(target.paths), str(start), str(threads)]
    raw = out / f"{target.key}.txt"
    with subprocess.Popen(load, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as wrk_process:
        time.sleep(1)
        spy = [str(bin_dir / "py-spy"), "record", "--pid", str(target.server.process.pid), "--subprocesses"]
        spy += [
            "--duration",
            str(seconds),
            "--rate",
            "250",
            "--nonblocking",
            "--format",
            "raw",
            "-o",
            str(raw),
        ]
        subprocess.run(spy, capture_output=True, timeout=seconds + 60, check=False)
        wrk_process.wait(timeout=seconds + 30)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";") if not f.startswith("process ")]
        if not any("handle_request" in f for f in frames):
            continue  # a worker waiting in accept(): not request work
        total += int(count)
        for frame in dict.fromkeys(frames):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
    lines = [f"# {target.label} ({target.corpus}): {total} samples in requests"]
    for title, counts in (("inclusive", inclusive), ("self", own)):
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:50]
        lines += [f"\n## {title}\n"] + [f"{100 * n / max(1, total):5.1f} %  {name}" for name, n in ranked]
    summary = out / f"{target.key}.md"
    summary.write_text("\n".join(lines) + "\n")
    return summary


# ---------------------------------------------------------------- the report


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "-"


def table(targets: list[Target], results: dict[str, dict[str, Any]]) -> str:
    bare = results.get("bare", {}).get("rps")
    lines = [
        "| target | corpus | req/s | p50 | p99 | × bare | × Datasette | errors | other CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in targets:
        r = results.get(t.key)
        if r is None:
            lines.append(f"| {t.label} | {t.corpus} | n/a | n/a | n/a | n/a | n/a | - | - |")
            continue
        ds = results.get(t.versus, {}).get("rps")
        note = " (list wrapped: some queries repeated)" if r["repeats"] else ""
        lines.append(
            f"| {t.label}{note} | {t.corpus} | {r['rps']:,.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | "
            f"{_ratio(r['rps'], bare)} | {_ratio(r['rps'], ds)} | {r['errors']} | {r['other']:.0%} |"
        )
    return "\n".join(lines)


def verdicts(results: dict[str, dict[str, Any]], memory: float, corpus: str, cold: float) -> list[str]:
    """The issue's targets, each with its figures and met / NOT met (n/a when not measured)."""

    def get(key: str, field: str = "rps") -> float | None:
        return results[key][field] if key in results else None

    bare, ds_zipf, ds_distinct = get("bare"), get("ds_zipf"), get("ds_distinct")
    zipf, lean, p99 = get("zipf_full"), get("distinct_lean"), get("distinct_lean", "p99")
    checks: list[tuple[str, bool | None, str]] = [
        (
            f"{name} GET ≥ 0.8 × bare",
            None if get(key) is None or not bare else (get(key) or 0) / bare >= 0.8,
            f"{_ratio(get(key), bare)} × bare",
        )
        for key, name in (("rec", "recommendation"), ("citation", "citation"))
    ]
    checks.append(
        (
            f"search, Zipf-200 full at {corpus} ≥ 0.5 × bare and ≥ 4 × Datasette",
            None if not (zipf and bare and ds_zipf) else zipf / bare >= 0.5 and zipf / ds_zipf >= 4,
            f"{_ratio(zipf, bare)} × bare, {_ratio(zipf, ds_zipf)} × Datasette",
        )
    )
    checks.append(
        (
            f"search, all-distinct lean at {corpus} ≥ 1.0 × Datasette, p99 < 100 ms",
            None if not (lean and ds_distinct and p99) else lean / ds_distinct >= 1.0 and p99 < 100,
            f"{_ratio(lean, ds_distinct)} × Datasette, p99 {p99 or 0:.0f} ms",
        )
    )
    checks.append((f"peak memory per worker at {corpus} < 250 MB", memory < 250, f"{memory:.0f} MB"))
    checks.append(("cold start of a worker on the real knowledge base < 1 s", cold < 1, f"{cold:.2f} s"))
    return [f"- {n}: {f}: **{'n/a' if ok is None else 'met' if ok else 'NOT met'}**" for n, ok, f in checks]


def _version(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    return (done.stdout.strip().splitlines() or ["?"])[0]


def machine(datasette_version: str) -> str:
    cpu = re.findall(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()) or ["unknown CPU"]
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    debian = Path("/etc/debian_version")
    changed = _version(
        ["git", "status", "--porcelain", "--", "api", "index", "mtkb", "wsgi.py", "gunicorn.conf.py"]
    )
    dirty = " with uncommitted changes to the service" if changed != "?" else ""
    return (
        f"{os.cpu_count()} cores ({cpu[0].strip()}), {int(mem.group(1)) / 1024**2 if mem else 0:.0f} GB RAM, "
        f"Debian {debian.read_text().strip() if debian.is_file() else '?'}, "
        f"Python {platform.python_version()}, "
        f"{_version([sys.executable, '-m', 'gunicorn', '--version'])}, "
        f"{_version(['wrk', '--version']).split(' [')[0]}, {datasette_version}, "
        f"SQLite {sqlite3.sqlite_version}, "
        f"git {_version(['git', 'rev-parse', '--short', 'HEAD'])}{dirty}, {datetime.now(UTC):%Y-%m-%d}"
    )


def write_readme(block: str) -> None:
    """Put `block` between the load-bench markers of bench/README.md (read right before writing)."""
    text = README.read_text(encoding="utf-8") if README.is_file() else "# Benchmarks\n"
    if START not in text:
        text = text.rstrip("\n") + f"\n\n## Load benchmark\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else "\n"
    README.write_text(f"{head}{START}\n{block}\n{END}{tail}", encoding="utf-8")


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Load-test mtkb with wrk beside a bare Flask app and Datasette."
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per target per round")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds over all targets (medians are reported)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="seconds of unrecorded load per target first")
    parser.add_argument("--size", type=int, default=10_000, help="synthetic references")
    parser.add_argument(
        "--max-other", type=float, default=0.15, help="repeat a run if other processes used more of the CPUs"
    )
    parser.add_argument("--retries", type=int, default=2, help="at most this many repeats per run")
    parser.add_argument(
        "--smoke", action="store_true", help="one 1 s round on 1,000 references (for the tests)"
    )
    parser.add_argument("--profile", type=int, default=0, metavar="SECONDS", help="then sample with py-spy")
    parser.add_argument("--work", type=Path, default=OUT, help="folder for corpora, indexes and logs")
    parser.add_argument("--write-readme", action="store_true", help="put the figures into bench/README.md")
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    args.command = " ".join(["python -m bench.load_bench", *(a for a in given if a != "--write-readme")])
    if args.smoke:
        args.size, args.duration, args.rounds, args.warmup, args.retries = 1000, 1, 1, 0, 0
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    log: Log = lambda message: print(f"[load_bench] {message}", file=sys.stderr, flush=True)  # noqa: E731
    args.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    bin_dir = datasette_venv(work, log, ("py-spy",) if args.profile else ())
    bib, synthetic_index = synthetic(args.size, work, log)
    db = fts_database(args.size, bib, work, log)
    run = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    try:
        measure(args, log, bin_dir, synthetic_index, db, run)
    except BaseException:
        log(f"failed: the servers' logs are in {run}")
        raise
    shutil.rmtree(run, ignore_errors=True)


def measure(
    args: argparse.Namespace, log: Log, bin_dir: Path, synthetic_index: Path, db: Path, run: Path
) -> None:
    from index import IndexHandle

    log("building the real knowledge base's index and the request lists")
    mtkb_build(run / "index-real")
    build = IndexHandle(run / "index-real").current()
    recommendations, keys = sorted(build.records["recommendation"]), sorted(build.records["reference"])
    build.close()
    cold = cold_start(run / "index-real", f"/api/v1/recommendations/{recommendations[0]}?expand={EXPAND}")
    log(f"cold start of a worker: {cold:.2f} s")
    per_slice = max(1000, args.duration * 1500)
    attempts = 1 + args.retries
    slices = (
        2 + args.rounds * attempts
    )  # per all-distinct target: warm-up, each attempt of each round, profile
    zipf, distinct = query_lists(corpus_words(args.size), 2 * slices * per_slice)
    zipf_real, _ = query_lists({w.lower() for w in (*generate.EN_DOMAIN, *generate.NB_DOMAIN)}, 0)
    zipf_seq, real_seq = zipf_sequence(zipf), zipf_sequence(zipf_real)
    lists = {
        "bare": ["/bare"],
        "rec": [f"/api/v1/recommendations/{r}?expand={EXPAND}" for r in recommendations],
        "citation": [f"/api/v1/references/{k}/citation" for k in keys],
        "zipf_real": [search_path(q, False) for q in real_seq],
        "zipf_full": [search_path(q, False) for q in zipf_seq],
        "zipf_lean": [search_path(q, True) for q in zipf_seq],
        "distinct_lean": [search_path(q, True) for q in distinct],
        "distinct_full": [search_path(q, False) for q in distinct],
        "ds_zipf": [datasette_ranked(q) for q in zipf_seq],
        "ds_distinct": [datasette_ranked(q) for q in distinct],
        "ds_table": [datasette_table(q) for q in zipf_seq],
    }
    files = {}
    for name, lines in lists.items():
        files[name] = run / f"{name}.paths"
        files[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    cores, n = os.cpu_count() or 2, f"{args.size:,} refs"
    ds_name = _version([str(bin_dir / "datasette"), "--version"]).replace("datasette, version", "Datasette")
    with contextlib.ExitStack() as stack:
        log(f"starting gunicorn ×7 ({cores} workers, and 1 for the 1-worker targets) and Datasette")
        bare = gunicorn(stack, "bare", "bench.bare_app:app", run / "index-real", cores, run)
        real = gunicorn(stack, "mtkb-real", "wsgi:app", run / "index-real", cores, run)
        synth = gunicorn(stack, "mtkb-synthetic", "wsgi:app", synthetic_index, cores, run)
        # The all-distinct lists get a server of their own: one-off queries would push the Zipf queries out
        # of the response memo of a shared one, and 1 against 2 workers would compare unlike caches.
        unique = gunicorn(stack, "mtkb-synthetic-distinct", "wsgi:app", synthetic_index, cores, run)
        single = gunicorn(stack, "mtkb-synthetic-1", "wsgi:app", synthetic_index, 1, run)
        unique1 = gunicorn(stack, "mtkb-synthetic-distinct-1", "wsgi:app", synthetic_index, 1, run)
        bare1 = gunicorn(stack, "bare-1", "bench.bare_app:app", run / "index-real", 1, run)
        ds = datasette(stack, bin_dir, db, run)
        servers = (bare, bare1, real, synth, unique, single, unique1, ds)
        status = probe(real.base + lists["citation"][0])
        citation = real if status == 200 else None
        if citation is None:
            log(f"GET {lists['citation'][0]} answers {status}, not 200: reported as n/a")
        z, d, top = "GET /search, Zipf-200", "GET /search, all-distinct", f"{ds_name} FTS5 ranked top 10"
        rows = [  # key, label, corpus, server, request list, compared with, first all-distinct slice
            ("bare", f"bare Flask JSON endpoint, {cores} workers (the ceiling)", "-", bare, "bare", "", None),
            ("rec", f"GET /recommendations/{{id}}?expand={EXPAND}", "real kb", real, "rec", "", None),
            ("citation", "GET /references/{key}/citation", "real kb", citation, "citation", "", None),
            ("zipf_real", f"{z}, full", "real kb", real, "zipf_real", "", None),
            ("zipf_full", f"{z}, full", n, synth, "zipf_full", "ds_zipf", None),
            ("zipf_lean", f"{z}, lean", n, synth, "zipf_lean", "ds_zipf", None),
            ("distinct_lean", f"{d}, lean", n, unique, "distinct_lean", "ds_distinct", 0),
            ("distinct_full", f"{d}, full", n, unique, "distinct_full", "ds_distinct", slices),
            ("bare_1", "bare Flask JSON endpoint, 1 worker", "-", bare1, "bare", "", None),
            ("zipf_full_1", f"{z}, full, 1 worker", n, single, "zipf_full", "ds_zipf", None),
            ("distinct_lean_1", f"{d}, lean, 1 worker", n, unique1, "distinct_lean", "ds_distinct", 0),
            ("ds_zipf", f"{top}, Zipf-200", n, ds, "ds_zipf", "", None),
            ("ds_distinct", f"{top}, all-distinct", n, ds, "ds_distinct", "", 0),
            (
                "ds_table",
                f"{ds_name} table ?_search= (unranked, counted), Zipf-200",
                n,
                ds,
                "ds_table",
                "",
                None,
            ),
        ]
        targets = [Target(k, label, c, srv, files[f], vs, sl) for k, label, c, srv, f, vs, sl in rows]
        active = [t for t in targets if t.server is not None]
        for t in active:
            assert t.server is not None
            status = probe(t.server.base + lists[t.paths.stem][0])
            if status != 200:
                raise SystemExit(f"{t.label}: the first request answered {status}, not 200")

        def offset(t: Target, slot: int) -> int:
            return (t.slices + slot) * per_slice if t.slices is not None else 0

        def load(t: Target, slot: int, seconds: int) -> dict[str, Any]:
            """One wrk run, with the share of the CPUs that other processes used meanwhile ("other")."""
            assert t.server is not None
            pids = [pid for server in servers for pid in server.pids()]
            busy, ours, started = busy_seconds(), cpu_seconds(pids), time.monotonic()
            result = wrk(t.server.base, t.paths, offset(t, slot), seconds, args.connections)
            other = busy_seconds() - busy - (cpu_seconds(pids) - ours)
            result["other"] = max(0.0, other / ((time.monotonic() - started) * cores))
            return result

        if args.warmup:
            log(f"warm-up: {args.warmup} s per target")
            for t in active:
                load(t, 0, args.warmup)
        runs: dict[str, list[dict[str, Any]]] = {t.key: [] for t in active}
        for number in range(args.rounds):
            order = active[number % len(active) :] + active[: number % len(active)]
            log(f"round {number + 1}/{args.rounds}: {len(order)} targets × {args.duration} s")
            for t in order:
                tries = [load(t, 1 + number * attempts, args.duration)]
                while tries[-1]["other"] > args.max_other and len(tries) < attempts:
                    log(f"  {t.label}: other processes used {tries[-1]['other']:.0%} of the CPUs; again")
                    tries.append(load(t, 1 + number * attempts + len(tries), args.duration))
                r = min(tries, key=lambda x: x["other"])
                runs[t.key].append(r)
                log(
                    f"  {t.label} [{t.corpus}]: {r['rps']:.0f} req/s, "
                    f"p50 {r['p50']:.1f}, p99 {r['p99']:.1f} ms, other {r['other']:.0%}"
                )
        memory = {s.name: [memory_mb(pid) for pid in s.workers()] for s in servers}
        profiles = []
        if args.profile:
            out = args.work.resolve() / "profiles"
            out.mkdir(exist_ok=True)
            for t in (t for t in active if t.key in PROFILED):
                log(f"profiling {t.label} [{t.corpus}] for {args.profile} s")
                profiles.append(
                    profile(t, args.profile, bin_dir, offset(t, slices - 1), args.connections, out)
                )
    results = {t.key: summarise(runs[t.key], per_slice if t.slices is not None else None) for t in active}
    scaling = []
    for key, label in (
        ("bare", "bare endpoint"),
        ("zipf_full", "search Zipf-200 full"),
        ("distinct_lean", "search all-distinct lean"),
    ):
        one, two = results.get(f"{key}_1"), results.get(key)
        if one and two:
            scaling.append(
                f"{label} {one['rps']:,.0f} → {two['rps']:,.0f} req/s ({_ratio(two['rps'], one['rps'])}×)"
            )
    worst = max(v[0] for name, values in memory.items() if name.startswith("mtkb-synthetic") for v in values)
    block = "\n".join(
        [
            f"Latest run: `{args.command}`: {args.rounds} round(s) of {args.duration} s per target after "
            f"{args.warmup} s of warm-up, {args.connections} connections, wrk with {WRK_THREADS} threads "
            "on the same cores; req/s, p50 and p99 are medians over the rounds. A run during which other "
            f"processes used more than {args.max_other:.0%} of the CPUs was repeated (at most "
            f'{args.retries} times) and the least disturbed attempt counts; "other CPU" is that share '
            "(median over the rounds).",
            "",
            f"Machine: {machine(ds_name)}; load average (1, 5, 15 min) before / after: {args.load_before} / "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
            + ".",
            "",
            table(targets, results),
            "",
            f"1 → {cores} workers (search over {n}): " + ("; ".join(scaling) or "n/a") + ".",
            "",
            "Peak memory (VmHWM) per process after the run, MB, with its anonymous part now in brackets "
            "(the rest is mostly whoosh's memory-mapped index files, page cache shared by the workers): "
            + "; ".join(
                f"{name} " + " / ".join(f"{peak:.0f} ({anon:.0f})" for peak, anon in values)
                for name, values in memory.items()
            )
            + ".",
            "",
            "Targets:",
            "",
            *verdicts(results, worst, n, cold),
        ]
    )
    print(block, flush=True)
    for path in profiles:
        print(f"profile: {path}", flush=True)
    if args.write_readme:
        write_readme(block)


if __name__ == "__main__":
    main()
