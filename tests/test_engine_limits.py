"""The citation engine while answering requests: a time limit well under the worker timeout, 503 with
Retry-After for a slow, busy or missing engine while everything else answers, bibliographies formatted
once (failures too), engine work under its own rate limit, note styles refused without a run. The engine
is a stand-in: a script that records each run, sleeps, then runs the real pandoc."""

from __future__ import annotations

import json
import shutil
import stat
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import create_app
from mtkb.citations.pandoc import _bundled_pandoc, use_binary
from tests.servers import gunicorn

KEY = "ghetti2022cochrane"
OTHER = "mays2008tunes"
PUBLIC = {"REMOTE_ADDR": "203.0.113.9"}


def stand_in(folder: Path, sleep: float) -> tuple[Path, Path]:
    """A pandoc that appends a line to a log per run, sleeps `sleep` s, then runs the real one."""
    log = folder / "runs.log"
    script = folder / f"slow-pandoc-{sleep:g}"
    script.write_text(f'#!/bin/sh\necho run >> "{log}"\nsleep {sleep}\nexec "{_bundled_pandoc()}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


def runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


@pytest.fixture()
def private_index(tmp_path: Path, index_dir: Path) -> Path:
    """The session's index without its shared citation cache, so that nothing is formatted already."""
    target = tmp_path / "index"
    shutil.copytree(index_dir, target, symlinks=True, ignore=shutil.ignore_patterns("cache"))
    return target


@pytest.fixture()
def engine_app(private_index: Path) -> Iterator:
    def make(**config):
        return create_app({"TESTING": True, "INDEX_DIR": str(private_index), **config})

    yield make
    use_binary(None)  # the engine is chosen per process: give the other tests the real one back


def citation(style: str, key: str = KEY) -> str:
    return f"/api/v1/references/{key}/citation?style={style}"


def test_a_slow_engine_is_a_503_with_retry_after_and_the_rest_answers(engine_app, tmp_path: Path) -> None:
    script, _ = stand_in(tmp_path, 3)
    client = engine_app(CITATION_ENGINE=str(script), ENGINE_TIME_LIMIT=0.5).test_client()
    started = time.monotonic()
    slow = client.get(citation("ieee"))
    assert time.monotonic() - started < 2.5, "stopped at the time limit"
    assert slow.status_code == 503 and slow.mimetype == "application/problem+json"
    assert int(slow.headers["Retry-After"]) >= 1
    started = time.monotonic()
    assert client.get(citation("elsevier-harvard")).status_code == 503
    assert time.monotonic() - started < 0.3, "while paused, engine work is refused at once"
    assert client.get(citation("apa")).status_code == 200, "pre-rendered styles still answer"
    assert client.get("/api/v1/search?q=musikkterapi").status_code == 200


def test_a_missing_engine_is_a_503_in_fresh_and_warm_workers(engine_app, tmp_path: Path) -> None:
    for pause in (0, 30):  # without a pause each request tries again (warm), with one it is refused
        missing_engine = str(tmp_path / "no-such-pandoc")
        client = engine_app(CITATION_ENGINE=missing_engine, ENGINE_PAUSE=pause).test_client()
        for _ in range(2):
            missing = client.get(citation("ieee"))
            assert missing.status_code == 503 and "Retry-After" in missing.headers
        body = {"keys": [KEY, OTHER], "style": "ieee"}
        assert client.post("/api/v1/bibliography", json=body).status_code == 503
        assert client.get(citation("vancouver")).status_code == 200


def test_a_bibliography_is_formatted_once_per_content_version(engine_app, tmp_path: Path) -> None:
    script, log = stand_in(tmp_path, 0)
    client = engine_app(CITATION_ENGINE=str(script)).test_client()
    body = {"keys": [KEY, OTHER], "style": "apa", "locale": "en-US"}
    first = client.post("/api/v1/bibliography", json=body)
    assert first.status_code == 200
    after_first = runs(log)
    again = client.post("/api/v1/bibliography", json={**body, "format": "html"})
    assert again.status_code == 200 and runs(log) == after_first, "the second came from the cache"
    assert again.get_json()["entries"][0]["key"] == first.get_json()["entries"][0]["key"]


def test_engine_work_has_its_own_lower_rate_limit(engine_app, tmp_path: Path) -> None:
    script, _ = stand_in(tmp_path, 0)
    client = engine_app(CITATION_ENGINE=str(script), RATELIMIT_ENGINE="2 per minute").test_client()
    keys = [[KEY], [OTHER], [KEY, OTHER]]
    statuses = [
        client.post(
            "/api/v1/bibliography", json={"keys": k, "style": "ieee"}, environ_base=PUBLIC
        ).status_code
        for k in keys
    ]
    assert statuses == [200, 200, 429]
    refused = client.post(
        "/api/v1/bibliography", json={"keys": keys[2], "style": "ieee"}, environ_base=PUBLIC
    )
    assert refused.mimetype == "application/problem+json" and int(refused.headers["Retry-After"]) > 0
    cached = client.post("/api/v1/bibliography", json={"keys": keys[0], "style": "ieee"}, environ_base=PUBLIC)
    assert cached.status_code == 200, "a cached list costs no engine run"
    assert client.get("/api/v1/facts", environ_base=PUBLIC).status_code == 200, "the rest is not limited"


def test_note_styles_are_refused_without_a_run_and_not_listed(engine_app, tmp_path: Path) -> None:
    script, log = stand_in(tmp_path, 0)
    client = engine_app(CITATION_ENGINE=str(script)).test_client()
    for _ in range(2):
        refused = client.post("/api/v1/bibliography", json={"keys": [KEY], "style": "chicago-notes"})
        assert refused.status_code == 400 and "note style" in refused.get_json()["detail"]
        assert client.get(citation("chicago-notes")).status_code == 400
    assert runs(log) == 0
    listed = client.get("/api/v1/styles?q=chicago-notes&per_page=100").get_json()["styles"]
    assert "chicago-notes" not in {s["id"] for s in listed}


def test_a_failed_bibliography_is_cached_too(engine_app, tmp_path: Path, monkeypatch) -> None:
    from mtkb.errors import CitationError

    calls = []

    def failing(refs, style, locale, accessed=None):
        calls.append(style)
        raise CitationError("the citation engine failed: no")

    monkeypatch.setattr("index.citations.format_bibliography", failing)
    client = engine_app().test_client()
    for _ in range(2):
        assert client.post("/api/v1/bibliography", json={"keys": [KEY], "style": "ieee"}).status_code == 400
    assert calls == ["ieee"]


@pytest.mark.slow
def test_a_slow_engine_does_not_hold_a_real_worker(private_index: Path, tmp_path: Path) -> None:
    """One gevent worker, a 4 s engine, a 1.5 s limit, one engine slot: requests for the engine get 503
    (timed out or busy) while health, search and pre-rendered citations answer at once."""
    script, _ = stand_in(tmp_path, 4)
    env = {
        "MTKB_INDEX_DIR": str(private_index),
        "MTKB_CITATION_ENGINE": str(script),
        "MTKB_ENGINE_TIME_LIMIT": "1.5",
        "MTKB_ENGINE_CONCURRENCY": "1",
        "MTKB_ENGINE_QUEUE_WAIT": "0.2",
    }
    statuses: list[int] = []

    def engine_request(base: str, style: str) -> None:
        try:
            with urllib.request.urlopen(base + citation(style), timeout=20) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            with exc:
                assert exc.headers["Content-Type"] == "application/problem+json"
                assert json.load(exc)["status"] == exc.code
                statuses.append(exc.code)

    with gunicorn(env, workers=1) as (base, _):
        styles = ("ieee", "nature-no-et-al")
        engine = [threading.Thread(target=engine_request, args=(base, s)) for s in styles]
        for thread in engine:
            thread.start()
        time.sleep(0.3)
        slowest = 0.0
        for path in ["/api/v1/health", "/api/v1/search?q=rus", citation("apa")] * 3:
            started = time.monotonic()
            with urllib.request.urlopen(base + path, timeout=20) as response:
                assert response.status == 200
            slowest = max(slowest, time.monotonic() - started)
        for thread in engine:
            thread.join()
    assert statuses == [503, 503]
    assert slowest < 1.0


@pytest.mark.parametrize("style", ["apa", "harvard", "chicago", "norsk-apa"])
def test_a_list_of_one_is_assembled_without_the_engine_as_the_engine_would_format_it(
    engine_app, tmp_path: Path, style: str
) -> None:
    from mtkb.citations import format_bibliography

    script, log = stand_in(tmp_path, 0)
    app = engine_app(CITATION_ENGINE=str(script))
    client = app.test_client()
    got = client.post("/api/v1/bibliography", json={"keys": [OTHER], "style": style, "format": "html"})
    assert got.status_code == 200 and runs(log) == 0, "assembled from the pre-rendered entry"
    with app.app_context():
        ref = app.extensions["mtkb_index"].current().citations.reference(OTHER)
    use_binary(None)
    entries, _, html = format_bibliography([ref], got.get_json()["style"], "nb-NO")
    body = got.get_json()
    assert body["bibliography"] == html
    assert body["entries"][0]["intext"] == entries[0].intext_html
