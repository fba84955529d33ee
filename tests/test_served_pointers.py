"""Everything served, walked: every list and item (JSON and JSON-LD), every citation, search results with
snippets, every HTML page and the widget's data hold no internal pointer (mtkb.pointers), and no reader sees
a raw citation key or item id as text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.paths import COLLECTIONS as PATHS
from mtkb.pointers import find_pointers

COLLECTIONS = tuple(PATHS.values())
QUERIES = (
    "musikkterapi",
    "rus",
    "music therapy",
    "Cochrane",
    "Helsedirektoratet",
    "seed",
    "FACTS",
    "caution",
    "kilde",
    "deltakere",
    "prosedyrekode",
    "brukererfaringer",
    "wording",
    "feltet",
    "rapport",
    "retningslinje",
)
"""Queries whose hits cover every item; some name pointers outright, so their snippets show them if any."""


class _Text(HTMLParser):
    """The text a reader sees (text nodes, and title/alt/aria-label), without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.parts += [v for k, v in attrs if k in ("title", "alt", "aria-label") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(JSON path, string) for every string value in a JSON document (keys are names, not content)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from strings(inner, f"{path}[{index}]")


def _get_json(client: FlaskClient, url: str, **kwargs: Any) -> Any:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_json(force=True)


def _all(client: FlaskClient, collection: str) -> list[dict[str, Any]]:
    items, number = [], 1
    while True:
        page = _get_json(client, f"/api/v1/{collection}?per_page=100&page={number}")
        items += page["items"]
        if len(items) >= page["total"]:
            return items
        number += 1


@pytest.fixture(scope="module")
def served(app: Any) -> dict[str, list[tuple[str, Any]]]:
    """Every served JSON document and every HTML page, by URL."""
    documents: list[tuple[str, Any]] = []
    pages: list[tuple[str, str]] = []
    with app.test_client() as client:
        for collection in COLLECTIONS:
            url = f"/api/v1/{collection}?per_page=100"
            documents.append((url, _get_json(client, url)))
            for record in _all(client, collection):
                ident = record["id"]
                item_url = f"/api/v1/{collection}/{ident}"
                documents.append((item_url, _get_json(client, item_url)))
                extras = ["?format=jsonld"] if collection not in ("reports", "facts") else []
                if collection == "recommendations":
                    extras += ["?expand=evidence,references,guideline", "?expand=evidence", "/citation"]
                    extras += ["/bibliography", "/bibliography?format=html"]
                if collection == "references":
                    extras += ["/citation", "/citation?format=html", "/cited-by"]
                for extra in extras:
                    documents.append((item_url + extra, _get_json(client, item_url + extra)))
                page_url = f"/{collection}/{ident}"
                response = client.get(page_url)
                assert response.status_code == 200, page_url
                pages.append((page_url, response.get_data(as_text=True)))
        for q in QUERIES:
            url = f"/api/v1/search?q={q}&per_page=100"
            documents.append((url, _get_json(client, url)))
            response = client.get(f"/?q={q}")
            pages.append((f"/?q={q}", response.get_data(as_text=True)))
        for url in ("/", "/privacy", "/widget-example"):
            pages.append((url, client.get(url).get_data(as_text=True)))
    return {"json": documents, "html": pages}


def _pointers(served: dict[str, list[tuple[str, Any]]]) -> list[str]:
    found = []
    for url, document in served["json"]:
        for path, text in strings(document):
            found += [f"{url} {path}: {p.message}: {p.text!r}" for p in find_pointers(text)]
    for url, html in served["html"]:
        found += [f"{url}: {p.message}: {p.text!r}" for p in find_pointers(visible_text(html))]
    return found


def test_nothing_served_names_an_internal_pointer(served: dict[str, list[tuple[str, Any]]]) -> None:
    found = _pointers(served)
    assert not found, f"{len(found)} internal pointer(s) served, first:\n" + "\n".join(found[:40])


def test_the_walk_covers_every_record(served: dict[str, list[tuple[str, Any]]], corpus: Any) -> None:
    urls = {url for url, _ in served["json"]}
    for item in corpus.items.values():
        assert f"/api/v1/{PATHS[item.type]}/{item.id}" in urls
    assert all(f"/api/v1/references/{key}" in urls for key in corpus.references)
    hits = {(h["type"], h["id"]) for url, doc in served["json"] if "/search?" in url for h in doc["hits"]}
    assert {(i.type, i.id) for i in corpus.items.values()} <= hits


def _raw_names(corpus: Any) -> re.Pattern[str]:
    names = sorted([*corpus.items, *corpus.references], key=len, reverse=True)
    return re.compile(r"(?<![\w/.@-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w/-])")


def test_no_reader_sees_a_raw_key_or_item_id(served: dict[str, list[tuple[str, Any]]], corpus: Any) -> None:
    """Prose (body_html, snippets, formatted citations) and the pages show titles and author-year
    citations, never `hdir2016rus` or `gamut-oversikt-2016` as text."""
    raw = _raw_names(corpus)
    found = []
    for url, document in served["json"]:
        for path, text in strings(document):
            if path.endswith(("body_html", "snippet", "intext", "citation", "bibliography")):
                found += [f"{url} {path}: {m.group()!r}" for m in raw.finditer(visible_text(text))]
    for url, html in served["html"]:
        if url != "/widget-example":  # its copy-paste line names a recommendation id as the parameter it is
            found += [f"{url}: {m.group()!r}" for m in raw.finditer(visible_text(html))]
    assert not found, f"{len(found)} raw key(s) or id(s) shown, first:\n" + "\n".join(found[:40])


def test_walk_reads_json_and_html_alike() -> None:
    assert find_pointers(visible_text("<p>se <code>wording</code> og seed 002</p>"))
    document = json.loads('{"a": ["seed 1", {"b": "x"}]}')
    assert list(strings(document)) == [(".a[0]", "seed 1"), (".a[1].b", "x")]
