"""Trusted hosts: links are made from PUBLIC_BASE_URL when it is set, whatever Host or X-Forwarded-Host a
request names; a request naming a host the service does not answer to is a 400 problem, never memoised."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from api import create_app
from api.hosts import parse_base_url
from tests.servers import gunicorn

PUBLIC = "https://mtkb.example.no"
REC = "/api/v1/recommendations/musikkterapi-rusbehandling"


def make_client(index_dir: Path, **config):
    return create_app({"TESTING": True, "INDEX_DIR": str(index_dir), **config}).test_client()


def test_an_unknown_host_is_a_400_problem_and_loopback_names_are_allowed(index_dir: Path) -> None:
    client = make_client(index_dir)
    for _ in range(2):  # the second would be a memo hit if the first had been stored
        refused = client.get("/api/v1/facts", base_url="http://evil.example")
        assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
        assert "evil.example" not in refused.get_data(as_text=True)
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000"):
        assert client.get("/api/v1/facts", base_url=f"http://{host}").status_code == 200, host
    assert client.get("/", base_url="http://evil.example").status_code == 400, "pages too"


def test_x_forwarded_host_is_checked_behind_trusted_proxies(index_dir: Path) -> None:
    client = make_client(index_dir, TRUSTED_PROXIES=1)
    forwarded = {"X-Forwarded-Host": "evil.example", "X-Forwarded-For": "192.0.2.1"}
    assert client.get("/api/v1/facts", headers=forwarded).status_code == 400
    ok = client.get("/api/v1/facts", headers={**forwarded, "X-Forwarded-Host": "localhost"})
    assert ok.status_code == 200


def test_links_come_from_the_public_base_url(index_dir: Path) -> None:
    client = make_client(index_dir, PUBLIC_BASE_URL=PUBLIC, TRUSTED_PROXIES=1)
    poisoned = {"X-Forwarded-Host": "localhost", "X-Forwarded-Proto": "http"}
    root = client.get("/api/v1/", headers=poisoned).get_json()
    assert all(link.startswith(PUBLIC + "/api/v1/") for link in root["links"].values())
    listing = client.get("/api/v1/facts?per_page=1", headers=poisoned)
    assert f"<{PUBLIC}/api/v1/facts?" in listing.headers["Link"]
    ld = client.get(REC, headers={**poisoned, "Accept": "application/ld+json"}).get_json()
    assert ld["@id"] == f"{PUBLIC}{REC}"
    widget = client.get("/widget-example", base_url="http://localhost").get_data(as_text=True)
    assert f"src=&#34;{PUBLIC}/widget.js&#34;" in widget  # the embed line, shown escaped
    assert client.get("/api/v1/facts", base_url="https://mtkb.example.no").status_code == 200
    assert client.get("/api/v1/facts", base_url="http://elsewhere.example").status_code == 400


@pytest.mark.parametrize("bad", ["mtkb.example.no", "ftp://x.example", "https://x.example/mtkb", "https://"])
def test_a_public_base_url_must_be_an_http_origin(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_base_url(bad)


@pytest.mark.slow
def test_gunicorn_answers_only_its_hosts_and_links_from_its_address(tmp_path: Path, index_dir: Path) -> None:
    env = {"MTKB_INDEX_DIR": str(index_dir), "MTKB_PUBLIC_BASE_URL": PUBLIC, "MTKB_TRUSTED_PROXIES": "1"}
    with gunicorn(env, workers=1) as (base, _):
        for _ in range(2):
            request = urllib.request.Request(base + "/api/v1/", headers={"X-Forwarded-Host": "evil.example"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            with refused.value as error:
                assert error.code == 400 and error.headers["Content-Type"] == "application/problem+json"
        with urllib.request.urlopen(base + "/api/v1/", timeout=10) as response:
            links = json.load(response)["links"]
        assert links["search"] == f"{PUBLIC}/api/v1/search"
