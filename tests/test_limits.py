"""Rate limits per client (429 problem with Retry-After), loopback exempt, client address from
X-Forwarded-For only behind a configured number of trusted proxies; request size limits."""

from __future__ import annotations

from pathlib import Path

from api import create_app

PUBLIC = {"REMOTE_ADDR": "203.0.113.5"}


def make_client(index_dir: Path, **config):
    return create_app(
        {"TESTING": True, "INDEX_DIR": str(index_dir), "RATELIMIT_DEFAULT": "3 per minute", **config}
    ).test_client()


def test_a_client_over_its_limit_gets_429_problem_with_retry_after(index_dir: Path) -> None:
    client = make_client(index_dir)
    statuses = [client.get("/api/v1/facts", environ_base=PUBLIC).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/facts", environ_base=PUBLIC)
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "rate limit" in response.get_json(force=True)["detail"]
    other = client.get("/api/v1/facts", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200, "limits are per client"


def test_loopback_is_exempt_by_default_and_can_be_limited(index_dir: Path) -> None:
    loop = {"REMOTE_ADDR": "127.0.0.1"}
    client = make_client(index_dir)
    assert all(client.get("/api/v1/facts", environ_base=loop).status_code == 200 for _ in range(6))
    strict = make_client(index_dir, RATELIMIT_EXEMPT_LOOPBACK=False)
    assert [strict.get("/api/v1/facts", environ_base=loop).status_code for _ in range(4)][-1] == 429


def test_x_forwarded_for_is_ignored_without_trusted_proxies(index_dir: Path) -> None:
    client = make_client(index_dir)
    for i in range(4):  # a client cannot dodge its limit by inventing addresses
        response = client.get(
            "/api/v1/facts", environ_base=PUBLIC, headers={"X-Forwarded-For": f"192.0.2.{i}"}
        )
    assert response.status_code == 429


def test_behind_one_trusted_proxy_the_forwarded_client_is_limited(index_dir: Path) -> None:
    client = make_client(index_dir, TRUSTED_PROXIES=1)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    first = [
        client.get("/api/v1/facts", environ_base=proxy, headers={"X-Forwarded-For": "192.0.2.10"}).status_code
        for _ in range(4)
    ]
    assert first[-1] == 429
    other = client.get("/api/v1/facts", environ_base=proxy, headers={"X-Forwarded-For": "192.0.2.11"})
    assert other.status_code == 200, "each forwarded client has its own limit"


def test_request_bodies_are_size_limited(client) -> None:
    response = client.post("/api/v1/bibliography", data=b"x" * (128 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert client.post("/api/v1/search", data=b"{}", content_type="application/json").status_code == 405


def test_limited_clients_see_their_budget_and_memo_hits_count(index_dir: Path) -> None:
    client = make_client(index_dir)
    remaining = [
        client.get("/api/v1/facts", environ_base=PUBLIC).headers["X-RateLimit-Remaining"] for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"], "the second and third were answered from the memo and still counted"
    refused = client.get("/api/v1/facts", environ_base=PUBLIC)
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Limit"] == "3"
    assert "X-RateLimit-Limit" not in client.get("/api/v1/facts").headers, "loopback is not limited"


def test_every_limit_of_several_is_applied(index_dir: Path) -> None:
    client = make_client(index_dir, RATELIMIT_DEFAULT="100 per minute; 2 per hour")
    statuses = [client.get("/api/v1/facts", environ_base=PUBLIC).status_code for _ in range(3)]
    assert statuses == [200, 200, 429], "the second, tighter limit counts too"


def test_unreachable_counters_let_requests_through(index_dir: Path, monkeypatch) -> None:
    from limits.strategies import FixedWindowRateLimiter

    def down(*args, **kwargs):
        raise ConnectionError("storage down")

    monkeypatch.setattr(FixedWindowRateLimiter, "hit", down)
    response = make_client(index_dir).get("/api/v1/facts", environ_base=PUBLIC)
    assert response.status_code == 200 and "X-RateLimit-Limit" not in response.headers
