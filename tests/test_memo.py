"""The per-worker response memo: identical GETs are answered from memory, per build and representation."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import create_app
from index import OpenBuild

REC = "/api/v1/recommendations/musikkterapi-rusbehandling?expand=evidence"


@pytest.fixture()
def fresh_client(index_dir: Path):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir)}).test_client()


def test_second_identical_request_does_not_run_the_resource(fresh_client, monkeypatch) -> None:
    first = fresh_client.get("/api/v1/search?q=musikkterapi&per_page=3")
    monkeypatch.setattr(OpenBuild, "search", lambda self, request: pytest.fail("searched again"))
    second = fresh_client.get("/api/v1/search?per_page=3&q=musikkterapi")  # same query, other order
    assert second.status_code == 200 and second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Access-Control-Allow-Origin"] == "*"
    assert (
        fresh_client.get(
            "/api/v1/search?q=musikkterapi&per_page=3", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 304
    )


def test_representations_are_kept_apart(fresh_client) -> None:
    json_body = fresh_client.get(REC).get_data()
    ld = fresh_client.get(REC, headers={"Accept": "application/ld+json"})
    assert ld.mimetype == "application/ld+json" and ld.get_data() != json_body
    assert fresh_client.get(REC).get_data() == json_body


def test_errors_and_uncacheable_responses_are_not_kept(fresh_client) -> None:
    fresh_client.get("/api/v1/health")
    fresh_client.get("/api/v1/recommendations/nope")
    memo = fresh_client.application.extensions["mtkb_memo"]
    assert len(memo) == 0


def test_a_new_build_is_answered_afresh(tmp_path: Path, corpus) -> None:
    from index import build_index

    build_index(corpus, tmp_path)
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path)}).test_client()
    first = client.get("/api/v1/facts")
    build_index(corpus, tmp_path)
    second = client.get("/api/v1/facts")
    assert first.get_data() == second.get_data()
    memo = client.application.extensions["mtkb_memo"]
    assert len(memo) == 2, "one entry per build"
