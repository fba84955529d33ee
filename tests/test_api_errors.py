"""Every error path of the API answers one shape: RFC 9457 problem+json with a 4xx (or 503) status,
a detail a person can act on, and no internals."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app

ERROR_CASES = [
    # (method, url, headers, status, words the detail must contain, field named in `errors`)
    ("GET", "/api/v1/recommendations?colour=blue", {}, 400, "colour", "colour"),
    ("GET", "/api/v1/recommendations?strength=weak&strength=strong", {}, 400, "strength", "strength"),
    ("GET", "/api/v1/recommendations?strength=medium", {}, 400, "strength", "strength"),
    ("GET", "/api/v1/recommendations?guideline=nope", {}, 400, "guideline", "guideline"),
    ("GET", "/api/v1/recommendations?updated_since=yesterday", {}, 400, "updated_since", "updated_since"),
    ("GET", "/api/v1/recommendations?page=0", {}, 400, "page", "page"),
    ("GET", "/api/v1/recommendations?page=99", {}, 400, "out of range", "page"),
    ("GET", "/api/v1/recommendations?per_page=100000", {}, 400, "per_page", "per_page"),
    ("GET", "/api/v1/recommendations?per_page=abc", {}, 400, "per_page", "per_page"),
    ("GET", "/api/v1/references?year_from=twenty", {}, 400, "year_from", "year_from"),
    (
        "GET",
        "/api/v1/recommendations/musikkterapi-rusbehandling?expand=everything",
        {},
        400,
        "expand",
        "expand",
    ),
    ("GET", "/api/v1/references/mays2008tunes/citation?style=", {}, 400, "style", "style"),
    ("GET", "/api/v1/references/mays2008tunes?format=text&locale=", {}, 400, "locale", "locale"),
    ("GET", "/api/v1/references/mays2008tunes/citation?accessed=2999-01-01", {}, 400, "accessed", "accessed"),
    (
        "GET",
        "/api/v1/recommendations/musikkterapi-rusbehandling/bibliography?accessed=2999-01-01",
        {},
        400,
        "accessed",
        "accessed",
    ),
    ("GET", "/api/v1/search?q=(musikk", {}, 400, "parentheses", None),
    ("GET", '/api/v1/search?q="music', {}, 400, "quotes", None),
    ("GET", "/api/v1/search?q=colour:red", {}, 400, "unknown field", None),
    ("GET", "/api/v1/search?q=x&type=book", {}, 400, "type", "type"),
    ("GET", "/api/v1/search?q=x&sort=random", {}, 400, "sort", "sort"),
    ("GET", "/api/v1/search?q=" + "a" * 1001, {}, 400, "longer than", None),
    ("GET", "/api/v1/search?q=x&page=5000&per_page=100", {}, 400, "past the first", None),
    ("GET", "/api/v1/recommendations/no-such-thing", {}, 404, "no-such-thing", None),
    ("GET", "/api/v1/guidelines/no-such-thing", {}, 404, "no-such-thing", None),
    ("GET", "/api/v1/evidence/no-such-thing", {}, 404, "no-such-thing", None),
    ("GET", "/api/v1/reports/no-such-thing", {}, 404, "no-such-thing", None),
    ("GET", "/api/v1/facts/no-such-thing", {}, 404, "no-such-thing", None),
    ("GET", "/api/v1/services/no-such-thing", {}, 404, "no-such-thing", None),
    ("GET", "/api/v1/services?county=Hordaland", {}, 400, "county", "county"),
    ("GET", "/api/v1/services?level=sykehus", {}, 400, "level", "level"),
    ("GET", "/api/v1/services?setting=overalt", {}, 400, "setting", "setting"),
    ("GET", "/api/v1/services?county=Vestland&county=Oslo", {}, 400, "county", "county"),
    ("GET", "/api/v1/services/fact-gamle-oslo?format=bibtex", {}, 406, "bibtex", None),
    ("GET", "/api/v1/references/no-such-key", {}, 404, "no-such-key", None),
    ("GET", "/api/v1/references/no-such-key/cited-by", {}, 404, "no-such-key", None),
    ("GET", "/api/v1/no-such-collection", {}, 404, "no resource", None),
    (
        "GET",
        "/api/v1/recommendations/musikkterapi-rusbehandling",
        {"Accept": "image/png"},
        406,
        "Accept",
        None,
    ),
    ("GET", "/api/v1/recommendations/musikkterapi-rusbehandling?format=pdf", {}, 406, "pdf", None),
    ("GET", "/api/v1/reports/rapport-sandnes-2019?format=jsonld", {}, 406, "jsonld", None),
    ("POST", "/api/v1/recommendations", {}, 405, "read-only", None),
    ("DELETE", "/api/v1/recommendations/musikkterapi-rusbehandling", {}, 405, "read-only", None),
    ("PUT", "/api/v1/references/mays2008tunes", {}, 405, "read-only", None),
]


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status and body["type"] == "about:blank"
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "/work/" not in text and ".py" not in text
    return body


@pytest.mark.parametrize(
    ("method", "url", "headers", "status", "words", "field"),
    ERROR_CASES,
    ids=[f"{c[3]}-{c[1][:60]}" for c in ERROR_CASES],
)
def test_error_shape(
    client: FlaskClient, method: str, url: str, headers: dict, status: int, words: str, field: str | None
) -> None:
    body = assert_problem(client.open(url, method=method, headers=headers), status)
    assert words.lower() in body["detail"].lower()
    if field:
        assert field in body["errors"]


def test_errors_carry_cors_and_no_cache(client: FlaskClient) -> None:
    response = client.get("/api/v1/recommendations/no-such-thing")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "ETag" not in response.headers


def test_405_names_the_allowed_methods(client: FlaskClient) -> None:
    response = client.post("/api/v1/recommendations")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_missing_index_is_503_with_retry_after(tmp_path: Path) -> None:
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/api/v1/recommendations")
    assert_problem(response, 503)
    assert response.headers["Retry-After"]


def test_unexpected_failure_is_a_bare_500(app, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from index import OpenBuild

    def broken(self, request):  # a bug, not bad input: the client must see nothing of it
        raise RuntimeError("secret internals at /work/main/index/search.py")

    monkeypatch.setattr(OpenBuild, "search", broken)
    app.logger.disabled = True
    try:
        body = assert_problem(client.get("/api/v1/search?q=x"), 500)
    finally:
        app.logger.disabled = False
    assert body["detail"] == "internal error"
