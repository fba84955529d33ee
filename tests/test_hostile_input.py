"""Input that once answered 500 or echoed itself: deep JSON, lone surrogates, oversized chunked bodies,
a flood of unknown parameters, a failed If-Match, markup in parameters; and rate limiting behind proxies
with addresses parsed as addresses."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.limits import is_loopback
from tests.servers import gunicorn

REC = "/api/v1/recommendations/musikkterapi-rusbehandling"


def test_json_nested_a_thousand_deep_is_a_400(client: FlaskClient) -> None:
    body = '{"keys": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post("/api/v1/bibliography", data=body, content_type="application/json")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_a_lone_surrogate_is_a_400_with_a_body_that_is_utf8(client: FlaskClient) -> None:
    for body in (
        '{"keys": ["\\ud800"]}',
        '{"keys": ["x"], "style": "\\udfff"}',
        '{"keys": ["\\ud800"], "x": 1}',
    ):
        response = client.post("/api/v1/bibliography", data=body, content_type="application/json")
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
        json.loads(response.get_data().decode("utf-8"))


def test_a_flood_of_unknown_parameters_lists_a_few(client: FlaskClient) -> None:
    query = "&".join(f"p{i}=1" for i in range(1500))
    response = client.get(f"/api/v1/facts?{query}")
    assert response.status_code == 400
    body = response.get_json(force=True)
    assert len(body["errors"]) == 20 and body["errors_not_listed"] == 1480
    assert len(response.get_data()) < 8000


def test_a_failed_if_match_is_a_412_problem_without_caching_headers(client: FlaskClient) -> None:
    for _ in range(2):  # a miss, then with the resource in the memo
        client.get(REC)
        response = client.get(REC, headers={"If-Match": '"not-the-etag"'})
        assert response.status_code == 412 and response.mimetype == "application/problem+json"
        assert response.get_json(force=True)["status"] == 412
        assert "ETag" not in response.headers and "public" not in response.headers["Cache-Control"]
        assert b"musikkterapi" not in response.get_data()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/references/x/citation?style=</script><svg onload=alert(1)>&",
        "/api/v1/search?q=a&sort=</script><b>&amp;",
        "/api/v1/facts?</script>=1",
        "/api/v1/swagger.json",
        "/api/v1/search?q=music&format=csljson",
        "/api/v1/references/ghetti2022cochrane?format=jsonld",
        "/api/v1/nowhere/<script>",
    ],
)
def test_every_json_body_escapes_markup(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert "json" in response.mimetype
    body = response.get_data()
    assert b"<" not in body and b">" not in body and b"&" not in body
    json.loads(body)


def test_addresses_are_parsed_as_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.8.9.10") and is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    for spoof in ("127.evil", "127.0.0.1.evil.example", "::1x", "", None, "1270.0.0.1"):
        assert not is_loopback(spoof), spoof


def limited(index_dir: Path, **config) -> FlaskClient:
    settings = {"TESTING": True, "INDEX_DIR": str(index_dir), "RATELIMIT_DEFAULT": "2 per minute", **config}
    return create_app(settings).test_client()


def test_behind_trusted_proxies_only_real_loopback_clients_are_exempt(index_dir: Path) -> None:
    client = limited(index_dir, TRUSTED_PROXIES=1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    spoofed = [
        client.get("/api/v1/facts", environ_base=proxy, headers={"X-Forwarded-For": "127.evil"}).status_code
        for _ in range(3)
    ]
    assert spoofed == [200, 200, 429]
    local = [
        client.get("/api/v1/facts", environ_base=proxy, headers={"X-Forwarded-For": "127.0.0.1"}).status_code
        for _ in range(3)
    ]
    assert local == [200, 200, 200]


def test_a_proxy_on_this_host_that_is_not_trusted_is_still_limited(index_dir: Path) -> None:
    client = limited(index_dir)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    forwarded = [
        client.get(
            "/api/v1/facts", environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.4"}
        ).status_code
        for _ in range(3)
    ]
    assert forwarded == [200, 200, 429]
    assert client.get("/api/v1/facts", environ_base=proxy).status_code == 200, "local clients stay exempt"


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_a_413_from_gunicorn(index_dir: Path) -> None:
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=1) as (base, _):
        host, port = base.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=20)
        try:
            chunk = b'{"keys": ["' + b"k" * 70_000 + b'"]}'
            connection.request(
                "POST",
                "/api/v1/bibliography",
                body=iter([chunk[:30_000], chunk[30_000:]]),
                headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                encode_chunked=True,
            )
            response = connection.getresponse()
            assert response.status == 413
            assert response.getheader("Content-Type") == "application/problem+json"
            response.read()
        finally:
            connection.close()


def raw_exchange(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as bytes; the status, headers (lower-case names) and body of the answer."""
    import socket

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.slow
def test_gunicorn_answers_its_own_errors_as_problems_with_security_headers(index_dir: Path) -> None:
    many_headers = "".join(f"X-{i}: 1\r\n" for i in range(60))
    cases = {
        400: b"GET /<script> HTTP/9.9\r\nHost: localhost\r\n\r\n",
        414: b"GET /api/v1/search?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
        431: f"GET / HTTP/1.1\r\nHost: localhost\r\n{many_headers}\r\n".encode(),
    }
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=1) as (base, _):
        for status, request in cases.items():
            got, headers, body = raw_exchange(base, request)
            assert got == status
            assert headers["content-type"] == "application/problem+json"
            assert headers["x-content-type-options"] == "nosniff"
            problem = json.loads(body)
            assert problem["status"] == status and b"<" not in body


def test_required_query_parameters_are_documented_as_required(client: FlaskClient) -> None:
    spec = client.get("/api/v1/swagger.json").get_json()
    export = {p["name"]: p for p in spec["paths"]["/search/export"]["get"]["parameters"]}
    assert export["format"].get("required") is True
    assert client.get("/api/v1/search/export?q=music").status_code == 400
    search = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert not search.get("format", {}).get("required")
