"""The HTTP conventions every response keeps: ETag/304 per representation, CORS, Vary, Cache-Control,
X-Content-Version, Link headers and licences."""

from __future__ import annotations

from flask.testing import FlaskClient

REC = "/api/v1/recommendations/musikkterapi-rusbehandling"


def test_etag_and_304(client: FlaskClient) -> None:
    first = client.get(REC + "?expand=evidence,references")
    etag = first.headers["ETag"]
    again = client.get(REC + "?expand=evidence,references", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    stale = client.get(REC + "?expand=evidence,references", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_etag_differs_per_representation(client: FlaskClient) -> None:
    etags = {
        client.get(REC).headers["ETag"],
        client.get(REC, headers={"Accept": "application/ld+json"}).headers["ETag"],
        client.get(REC + "?expand=evidence").headers["ETag"],
    }
    assert len(etags) == 3


def test_json_ld_negotiated_by_accept_and_by_format(client: FlaskClient) -> None:
    by_accept = client.get(REC, headers={"Accept": "application/ld+json"})
    by_param = client.get(REC + "?format=jsonld")
    assert by_accept.mimetype == by_param.mimetype == "application/ld+json"
    assert by_accept.get_json(force=True) == by_param.get_json(force=True)
    assert client.get(REC, headers={"Accept": "*/*"}).mimetype == "application/json"


def test_cors_headers_and_preflight(client: FlaskClient) -> None:
    response = client.get(REC, headers={"Origin": "https://kommune.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = response.headers["Access-Control-Expose-Headers"]
    for name in ("ETag", "Link", "X-Content-Version"):
        assert name in exposed
    preflight = client.options(
        REC, headers={"Origin": "https://kommune.example", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_vary_cache_control_and_content_version(client: FlaskClient) -> None:
    response = client.get("/api/v1/evidence")
    assert set(v.strip() for v in response.headers["Vary"].split(",")) >= {"Accept", "Origin"}
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    version = client.get("/api/v1/health").get_json()["content_version"]
    assert response.headers["X-Content-Version"] == version


def test_security_headers_and_no_cookies(client: FlaskClient) -> None:
    response = client.get("/api/v1/search?q=musikkterapi")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers


def test_list_link_headers_and_paging(client: FlaskClient) -> None:
    response = client.get("/api/v1/references?per_page=10&page=2")
    body = response.get_json()
    assert body["page"] == 2 and body["per_page"] == 10 and len(body["items"]) == 10
    links = response.headers["Link"]
    assert 'page=1>; rel="first"' in links and 'page=3>; rel="next"' in links and 'rel="last"' in links
    pages = -(-body["total"] // 10)
    last = client.get(f"/api/v1/references?per_page=10&page={pages}").get_json()
    assert len(last["items"]) == body["total"] - 10 * (pages - 1)


def test_helsedirektoratet_content_carries_nlod_and_attribution(client: FlaskClient) -> None:
    response = client.get("/api/v1/recommendations")
    rights = response.get_json()["rights"]
    assert any(r["licence"] == "NLOD" and "Helsedirektoratet" in r["attribution"] for r in rights)
    assert 'rel="license"' in response.headers["Link"] and "nlod" in response.headers["Link"]
    facts = client.get("/api/v1/facts").get_json()["rights"]
    assert [r["licence"] for r in facts] == ["CC BY 4.0"]


def test_content_security_policy(client: FlaskClient) -> None:
    docs = client.get("/api/v1/docs")
    assert "'unsafe-inline'" in docs.headers["Content-Security-Policy"], "Swagger UI runs inline code"
    assert "frame-ancestors 'none'" in docs.headers["Content-Security-Policy"]
    page = client.get("/")
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
