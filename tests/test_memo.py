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


def test_a_hit_answers_head_and_conditional_requests_like_flask(fresh_client) -> None:
    first = fresh_client.get(REC)
    head = fresh_client.head(REC)
    assert head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == str(len(first.get_data()))
    assert head.headers["ETag"] == first.headers["ETag"]
    weak = fresh_client.get(REC, headers={"If-None-Match": f'W/{first.headers["ETag"]}, "other"'})
    assert weak.status_code == 304 and weak.get_data() == b""
    assert weak.headers["ETag"] == first.headers["ETag"] and "Content-Type" not in weak.headers
    assert fresh_client.get(REC, headers={"If-None-Match": '"other"'}).get_data() == first.get_data()


def test_the_memo_is_bounded_by_bytes_and_forgets_the_least_recently_used() -> None:
    from api.memo import ResponseMemo

    def key(path: str) -> tuple[str, str, str, str, str, str]:
        return ("000001", "http", "localhost", path, "", "")

    from api.memo import _cost

    size = _cost(key("a"), ([], b"xxxx", "e")) + 28  # (and the int holding it)
    memo = ResponseMemo(max_bytes=2 * size + 3)  # room for two 4-byte bodies, not three
    for name in "abc":
        memo.put(key(name), ([], b"xxxx", "e"))
    assert len(memo) == 2 and memo.size == 2 * size and memo.get(key("a")) is None
    memo.put(key("big"), ([], b"x" * (2 * size), "e"))
    assert memo.get(key("big")) is None, "an entry larger than the memo is not kept"
    assert memo.get(key("c")) is not None


def test_the_memo_charges_every_byte_it_keeps_and_skips_large_keys(index_dir: Path) -> None:
    """Crafted requests (8 KB Accept headers) are not kept at all; ordinary distinct
    ones fill the memo to its budget and not past it, as tracemalloc counts what the memo holds."""
    import gc
    import tracemalloc

    budget = 256 * 1024
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "RESPONSE_MEMO_BYTES": budget})
    client = app.test_client()
    memo = app.extensions["mtkb_memo"]
    for i in range(20):
        crafted = {"Accept": f"application/json, text/x-{i}" + ", text/x-y" * 800}
        assert client.get(f"/api/v1/facts?per_page={i + 1}", headers=crafted).status_code == 200
    assert len(memo) == 0 and memo.size == 0
    client.get("/api/v1/facts?per_page=1")  # what is allocated once (caches, the build) is not counted
    gc.collect()  # (and what requests leave in reference cycles is freed before each count)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(400):
        response = client.get("/api/v1/facts?per_page=3", headers={"Accept": f"application/json;q=0.{i:03d}"})
        assert response.status_code == 200
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert budget * 0.8 < memo.size <= budget, "filled to its budget, not past it"
    # what tracemalloc sees beyond the charged bytes is the allocator's own overhead per object (larger pages
    # since the content grew: fewer, bigger entries); 15 % of the budget at most
    assert held < budget * 1.15, f"the memo holds {held} bytes for a budget of {budget}"


def test_each_host_gets_its_own_links_and_no_stale_date(index_dir: Path) -> None:
    config = {"TESTING": True, "INDEX_DIR": str(index_dir), "ALLOWED_HOSTS": "one.example,two.example"}
    fresh_client = create_app(config).test_client()
    first = fresh_client.get("/api/v1/facts", base_url="https://one.example")
    other = fresh_client.get("/api/v1/facts", base_url="https://two.example")
    assert "https://one.example/" in first.headers["Link"]
    assert "https://two.example/" in other.headers["Link"] and b"one.example" not in other.get_data()
    entries = fresh_client.application.extensions["mtkb_memo"]._entries.values()
    assert all(name.lower() != "date" for (headers, _, _), _ in entries for name, _ in headers)


def test_if_match_is_answered_by_flask_on_hits_too(fresh_client) -> None:
    first = fresh_client.get(REC)
    for _ in range(2):  # a miss stored it; now the memo holds it
        assert fresh_client.get(REC, headers={"If-Match": '"nope"'}).status_code == 412
    assert fresh_client.get(REC, headers={"If-Match": first.headers["ETag"]}).status_code == 200


def test_a_build_that_cannot_be_opened_is_a_problem_not_a_crash(fresh_client, monkeypatch) -> None:
    from index import IndexHandle

    def broken(self):
        raise FileNotFoundError("records.json")

    monkeypatch.setattr(IndexHandle, "current", broken)
    response = fresh_client.get("/api/v1/facts")
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert "records.json" not in response.get_data(as_text=True)
