"""Fault benchmark: the service as `make serve` runs it (gunicorn with gunicorn.conf.py, 2 workers) under
the faults the hardening issues named, each scenario with a bounded load of ordinary requests beside it:

1. 200 slowloris connections (each sent half a request and stalls);
2. a citation engine that takes 45 s (a stand-in: a script that sleeps, then runs the real pandoc), with
   clients asking for styles that need it beside the ordinary load;
3. 3 rebuilds of the index under load, 1 of them failing on purpose;
4. a worker killed with SIGKILL under load;
5. 30,000 crafted requests (8 KB Accept headers, distinct query strings): the response memo's bytes (in
   this process, with the service's own app and settings) and the workers' resident memory (on the server).

It prints one table: requests sent and failed per scenario. "Failed" is a request without an answer, or
with a 5xx other than the 503 + Retry-After the API gives for engine work it cannot do now (those are
counted apart). Run: `python -m bench.fault_bench` (about 3 minutes; `--quick` for a smaller round).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from tests.load import Load, Outcome
from tests.servers import gunicorn

ROOT = Path(__file__).resolve().parent.parent
KB_DIR, REFERENCES_DIR = ROOT / "kb", ROOT / "references"
PATHS = [
    "/api/v1/health",
    "/api/v1/search?q=musikkterapi",
    "/api/v1/recommendations/musikkterapi-rusbehandling?expand=evidence,references",
    "/api/v1/references/ghetti2022cochrane/citation?style=apa",
    "/api/v1/references?per_page=100",
]
ENGINE_STYLES = ["ieee", "elsevier-harvard", "american-medical-association", "modern-language-association"]


@dataclass
class Row:
    scenario: str
    sent: int
    failed: int
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def failed(outcomes: list[Outcome], engine_paths: Collection[str] = ()) -> list[Outcome]:
    """Outcomes without an answer or with a 5xx; for engine paths a 503 (with Retry-After) is an answer."""
    return [
        o
        for o in outcomes
        if o.status is None or (o.status >= 500 and not (o.path in engine_paths and o.status == 503))
    ]


def build(
    index_dir: Path, kb: Path = KB_DIR, refs: Path = REFERENCES_DIR
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "api.cli", "build", "--kb", str(kb), "--references", str(refs)]
    return subprocess.run([*command, "--index", str(index_dir)], capture_output=True, text=True, timeout=600)


def workers_of(master: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def slowloris(index_dir: Path, connections: int, seconds: float) -> Row:
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=2) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        stalled = []
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n")
            stalled.append(sock)
        try:
            with Load(base, PATHS, threads=4, max_seconds=seconds, max_requests=100_000) as load:
                time.sleep(seconds)
        finally:
            for sock in stalled:
                sock.close()
    latencies = sorted(o.seconds for o in load.outcomes if o.seconds is not None)
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else float("nan")
    return Row(
        f"{connections} slowloris connections",
        len(load.outcomes),
        len(failed(load.outcomes)),
        f"p99 {p99 * 1000:.0f} ms",
    )


def stand_in_engine(folder: Path, sleep: float) -> Path:
    from mtkb.citations.pandoc import _bundled_pandoc

    script = folder / "slow-pandoc"
    script.write_text(f'#!/bin/sh\nsleep {sleep}\nexec "{_bundled_pandoc()}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def slow_engine(index_dir: Path, work: Path, sleep: float, seconds: float) -> Row:
    private = work / "engine-index"
    shutil.copytree(index_dir, private, symlinks=True, ignore=shutil.ignore_patterns("cache"))
    env = {"MTKB_INDEX_DIR": str(private), "MTKB_CITATION_ENGINE": str(stand_in_engine(work, sleep))}
    engine_paths = [f"/api/v1/references/ghetti2022cochrane/citation?style={s}" for s in ENGINE_STYLES]
    with (
        gunicorn(env, workers=2) as (base, _),
        Load(base, PATHS, threads=4, max_seconds=seconds, max_requests=100_000) as ordinary,
        Load(base, engine_paths, threads=2, max_seconds=seconds, max_requests=100_000, timeout=60) as engine,
    ):
        time.sleep(seconds)
    outcomes = ordinary.outcomes + engine.outcomes
    refused = sum(1 for o in engine.outcomes if o.status == 503)
    return Row(
        f"a {sleep:g} s citation engine",
        len(outcomes),
        len(failed(outcomes, set(engine_paths))),
        f"{len(engine.outcomes)} asked for the engine: {refused} answered 503 + Retry-After",
    )


def rebuilds(work: Path, seconds_between: float) -> Row:
    kb, refs, index_dir = work / "kb", work / "references", work / "rebuild-index"
    shutil.copytree(KB_DIR, kb)
    shutil.copytree(REFERENCES_DIR, refs)
    if build(index_dir, kb, refs).returncode != 0:
        raise RuntimeError("the first build failed")
    env = {"MTKB_INDEX_DIR": str(index_dir), "MTKB_KB_DIR": str(kb), "MTKB_REFERENCES_DIR": str(refs)}
    fact = kb / "facts" / "musikkterapeututdanning-femarig.md"
    results = []
    with (
        gunicorn(env, workers=2) as (base, _),
        Load(base, PATHS, threads=4, max_seconds=900, max_requests=1_000_000) as load,
    ):
        time.sleep(seconds_between)
        for n in range(3):
            if n == 1:
                broken = kb / "facts" / "broken.md"
                broken.write_text("---\nid: broken\ntype: fact\n---\nno title\n", encoding="utf-8")
                results.append(build(index_dir, kb, refs).returncode)
                broken.unlink()
            else:
                fact.write_text(
                    fact.read_text(encoding="utf-8") + f"\n<!-- revision {n} -->\n", encoding="utf-8"
                )
                results.append(build(index_dir, kb, refs).returncode)
            time.sleep(seconds_between)
    versions = {o.version for o in load.outcomes if o.version}
    return Row(
        "3 rebuilds, 1 failing",
        len(load.outcomes),
        len(failed(load.outcomes)),
        f"build exit codes {results}; {len(versions)} content versions served",
    )


def sigkill(index_dir: Path, seconds: float) -> Row:
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=2) as (base, master):
        with Load(base, PATHS, threads=4, max_seconds=seconds, max_requests=100_000) as load:
            time.sleep(seconds / 3)
            victim = workers_of(master)[0]
            os.kill(victim, signal.SIGKILL)
            time.sleep(seconds * 2 / 3)
        replaced = victim not in workers_of(master) and len(workers_of(master)) == 2
    return Row(
        "a worker killed with SIGKILL",
        len(load.outcomes),
        len(failed(load.outcomes)),
        "worker replaced" if replaced else "worker NOT replaced",
    )


def crafted_paths(count: int) -> list[tuple[str, dict[str, str]]]:
    """Requests a client could send to fill the memo: 8 KB Accept headers, distinct query strings."""
    return [
        (
            f"/api/v1/facts?per_page={1 + i % 100}&page=1&_={i}",
            {"Accept": f"application/json, text/x-{i}" + ", text/x-y" * 800},
        )
        for i in range(count)
    ]


def crafted(index_dir: Path, count: int) -> Row:
    """The memo's bytes after `count` crafted requests in this process, and the workers' memory on a server
    after the same requests."""
    from api import create_app

    app = create_app({"INDEX_DIR": str(index_dir)})
    client = app.test_client()
    memo = app.extensions["mtkb_memo"]
    requests = crafted_paths(count)
    for path, headers in requests:
        client.get(path, headers=headers)
    memo_bytes, memo_entries, budget = memo.size, len(memo), app.config["RESPONSE_MEMO_BYTES"]
    sent = failures = 0
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=2) as (base, master):
        before = rss_mb(workers_of(master))
        lock = threading.Lock()

        def send(share: list[tuple[str, dict[str, str]]]) -> None:
            nonlocal sent, failures
            for path, headers in share:
                request = urllib.request.Request(base + path, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        ok = response.status == 200
                        response.read()
                except (urllib.error.URLError, OSError):
                    ok = False
                with lock:
                    sent, failures = sent + 1, failures + (not ok)

        threads = [threading.Thread(target=send, args=(requests[n::4],)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = rss_mb(workers_of(master))
    return Row(
        f"{count:,} crafted requests (8 KB Accept)",
        sent,
        failures,
        f"memo {memo_bytes:,} bytes in {memo_entries} entries (budget {budget:,}); "
        f"workers' RSS {before} MB before, {after} MB after",
    )


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small round (for the smoke test)")
    args = parser.parse_args(argv)
    quick = args.quick
    with tempfile.TemporaryDirectory(prefix="mtkb-fault-") as temporary:
        work = Path(temporary)
        index_dir = work / "index"
        if build(index_dir).returncode != 0:
            raise RuntimeError("the index could not be built")
        rows = [
            slowloris(index_dir, 20 if quick else 200, 3 if quick else 10),
            slow_engine(index_dir, work, 3 if quick else 45, 4 if quick else 20),
            rebuilds(work, 1 if quick else 2),
            sigkill(index_dir, 3 if quick else 9),
            crafted(index_dir, 300 if quick else 30_000),
        ]
    print("| scenario | requests sent | failed | notes |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.scenario} | {row.sent:,} | {row.failed:,} | {row.notes} |")
    out = ROOT / "var" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    figures = [row.__dict__ for row in rows]
    (out / "fault_bench.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
