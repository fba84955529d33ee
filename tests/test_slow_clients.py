"""Slow and stalled clients against gunicorn started as `make serve` starts it (gunicorn.conf.py): 200
connections that sent half a request do not delay anyone else, and the search time limit still holds in
the worker class the config chooses."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import gunicorn

pytestmark = pytest.mark.slow

STALLED = 200


def stall(port: int, count: int) -> list[socket.socket]:
    """`count` connections that each send a request line and a header but never the blank line."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n")
        sockets.append(sock)
    return sockets


def test_stalled_connections_do_not_delay_other_clients(index_dir: Path) -> None:
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=1) as (base, _):
        stalled = stall(int(base.rsplit(":", 1)[1]), STALLED)
        try:
            time.sleep(0.3)
            latencies = []
            for path in ["/api/v1/health", "/api/v1/search?q=musikkterapi"] * 20:
                started = time.perf_counter()
                with urllib.request.urlopen(base + path, timeout=10) as response:
                    assert response.status == 200
                latencies.append(time.perf_counter() - started)
        finally:
            for sock in stalled:
                sock.close()
    latencies.sort()
    assert latencies[int(len(latencies) * 0.99)] < 1.0, latencies[-5:]


def test_the_search_time_limit_holds_in_a_real_worker(index_dir: Path) -> None:
    env = {"MTKB_INDEX_DIR": str(index_dir), "MTKB_SEARCH_TIME_LIMIT": "0.00001"}  # every search is too slow
    with gunicorn(env, workers=1) as (base, _):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/api/v1/search?q=musikkterapi+OR+rus*", timeout=10)
        with refused.value as error:
            assert error.code == 400 and "too expensive" in json.load(error)["detail"]
        with urllib.request.urlopen(base + "/api/v1/health", timeout=10) as response:
            assert response.status == 200, "the worker answers again"
