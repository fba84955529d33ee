"""A bounded load generator for tests against a real server on 127.0.0.1: a few threads, each making
requests in a loop until told to stop, a request budget or a time limit runs out."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field


@dataclass
class Outcome:
    path: str
    status: int | None  # None: the connection failed
    version: str | None
    body: bytes = b""
    started: float = 0.0
    seconds: float | None = None  # how long the answer took (None: no answer)


@dataclass
class Load:
    base: str
    paths: list[str]
    threads: int = 4
    max_requests: int = 5000
    max_seconds: float = 60.0
    timeout: float = 10.0  # seconds a client waits for an answer
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self, offset: int) -> None:
        deadline = time.monotonic() + self.max_seconds
        i = offset
        while not self._stop.is_set() and time.monotonic() < deadline:
            with self._lock:
                if len(self.outcomes) >= self.max_requests:
                    return
            path = self.paths[i % len(self.paths)]
            i += 1
            started = time.monotonic()
            try:
                with urllib.request.urlopen(self.base + path, timeout=self.timeout) as response:
                    outcome = Outcome(
                        path,
                        response.status,
                        response.headers.get("X-Content-Version"),
                        response.read(),
                        started,
                    )
            except urllib.error.HTTPError as exc:
                outcome = Outcome(path, exc.code, exc.headers.get("X-Content-Version"), exc.read(), started)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, http.client.HTTPException):
                # no answer, or one cut off (IncompleteRead: the worker was killed while sending it)
                outcome = Outcome(path, None, None, b"", started)
            if outcome.status is not None:
                outcome.seconds = time.monotonic() - started
            with self._lock:
                self.outcomes.append(outcome)

    def __enter__(self) -> Load:
        self._workers = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=15)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is None or o.status >= 500]


def record(name: str, **figures: object) -> None:
    """Keep a test's figures in var/reliability/<name>.json (RELIABILITY.md quotes the last run)."""
    import json
    from pathlib import Path

    out = Path(__file__).resolve().parent.parent / "var" / "reliability"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
