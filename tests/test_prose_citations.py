"""Citations in prose, formatted per request from the build's citations: `[@key, p. 32]` as an in-text
citation linking to the reference by absolute URL (JSON body_html, pages, snippets), keys and ids as link
text replaced by author-year or title, and verification sources served structured. Over a small fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from api.intext import format_prose
from index import build_index
from mtkb.corpus import load_corpus
from mtkb.prose import render_html

from .conftest import DATA
from .test_served_pointers import visible_text

SOURCES = DATA / "content" / "sources"
CITED = '<a href="http://localhost/api/v1/references/doe2020side">Helsedirektoratet, 2016</a>'


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    index_dir: Path = tmp_path_factory.mktemp("prose-index")
    build_index(load_corpus(SOURCES / "kb", SOURCES / "references"), index_dir)
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir)})
    with app.test_client() as test_client:
        yield test_client


def test_body_html_cites_author_year_with_an_absolute_link(client: FlaskClient) -> None:
    body = client.get("/api/v1/facts/kilder").get_json()
    html = body["body_html"]
    assert f'<cite class="citation">({CITED}, s. 32)</cite>' in html
    # a link whose text was the key now says author-year; its root-relative address is absolute
    named = '<a href="http://localhost/references/doe2020side" rel="noopener">Helsedirektoratet, 2016</a>'
    assert named in html
    assert "doe2020side" not in visible_text(html)


def test_a_requested_style_formats_the_citations(client: FlaskClient) -> None:
    html = client.get("/api/v1/facts/kilder?style=vancouver").get_json()["body_html"]
    assert '(<a href="http://localhost/api/v1/references/doe2020side">1</a>, s. 32)' in html
    listed = client.get("/api/v1/facts?style=harvard").get_json()["items"][0]["body_html"]
    assert "Helsedirektoratet, 2016</a>, s. 32)" in listed
    problem = client.get("/api/v1/facts/kilder?style=no-such-style")
    assert problem.status_code == 400 and problem.mimetype == "application/problem+json"


def test_verification_sources_are_served_structured(client: FlaskClient) -> None:
    sources = client.get("/api/v1/facts/kilder").get_json()["verification"]["sources"]
    assert sources[0]["key"] == "doe2020side"
    assert sources[0]["url"] == "http://localhost/api/v1/references/doe2020side"
    assert sources[0]["intext"] == "(Helsedirektoratet, 2016)"
    assert "Musikkterapi (rusbehandling)" in sources[0]["citation"]
    assert sources[1] == {
        "key": None,
        "citation": None,
        "intext": None,
        "text": "Fagrådet: Musikkterapi",
        "url": "https://www.rusfeltet.no/musikkterapi",
    }


def test_search_snippets_carry_formatted_citations(client: FlaskClient) -> None:
    hits = client.get("/api/v1/search?q=teksten").get_json()["hits"]
    snippet = next(h["snippet"] for h in hits if h["id"] == "kilder")
    assert f"({CITED}, s. 32)" in snippet
    assert "doe2020side" not in visible_text(snippet) and "\ue000" not in snippet


def test_pages_cite_in_the_page_style_and_link_to_reference_pages(client: FlaskClient) -> None:
    html = client.get("/facts/kilder").get_data(as_text=True)
    assert '(<a href="http://localhost/references/doe2020side">Helsedirektoratet, 2016</a>, s. 32)' in html
    # the verification source that is a reference shows as an author-year link, the page as publisher: title
    assert '<li><a href="/references/doe2020side">Helsedirektoratet, 2016</a></li>' in html
    assert '<a href="https://www.rusfeltet.no/musikkterapi" lang="nb">Fagrådet: Musikkterapi</a>' in html
    assert "doe2020side" not in visible_text(html)
    chicago = client.get("/facts/kilder?style=chicago").get_data(as_text=True)
    assert ">Helsedirektoratet 2016</a>, s. 32)" in chicago
    search = client.get("/?q=teksten").get_data(as_text=True)
    assert ">Helsedirektoratet, 2016</a>, s. 32)" in search and "doe2020side" not in visible_text(search)


def test_provenance_notes_name_references_by_author_year(client: FlaskClient) -> None:
    html = client.get("/references/roe2021omtale").get_data(as_text=True)
    linked = '<a href="http://localhost/references/doe2020side">Helsedirektoratet, 2016</a>'
    assert f"its date from {linked}" in html
    assert "doe2020side" not in visible_text(html) and "roe2021omtale" not in visible_text(html)


def test_prefix_and_locator_are_escaped(client: FlaskClient) -> None:
    with client.application.test_request_context("/"):
        html = format_prose(render_html('[<b onclick="x()">se</b> @doe2020side, p. <i>3</i>]'), "nb")
    assert "<b" not in html and "<i>" not in html and "&lt;b onclick=" in html
    assert '<a href="http://localhost/api/v1/references/doe2020side">Helsedirektoratet, 2016</a>' in html
