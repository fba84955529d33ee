"""Every resource and filter of /api/v1, against the real knowledge base."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api import create_app
from index import build_index
from mtkb.corpus import load_corpus
from tests.conftest import KB_DIR, REFERENCES_DIR

REC = "/api/v1/recommendations/musikkterapi-rusbehandling"


def get_json(client: FlaskClient, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_root_links_every_collection_and_states_licences(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/")
    for name in (
        "recommendations",
        "guidelines",
        "evidence",
        "reports",
        "facts",
        "references",
        "search",
        "health",
    ):
        assert body["links"][name].endswith(f"/api/v1/{name}")
    assert body["content_version"]
    licences = {entry["licence"] for entry in body["licences"]}
    assert any("Helsedirektoratet" in entry.get("attribution", "") for entry in body["licences"])
    assert licences == {"CC BY 4.0", "NLOD"}


def test_health_reports_version_counts_and_age(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/health")
    assert body["status"] == "ok"
    assert body["counts"]["recommendation"] >= 3
    assert body["index_age_seconds"] >= 0


def test_recommendation_expanded_gives_the_whole_evidence_picture(client: FlaskClient) -> None:
    body = get_json(client, REC + "?expand=evidence,references,guideline")
    assert body["grade"] == {
        "system": "Helsedirektoratet",
        "term": "Konsensus",
        "level": None,
        "code": "consensus",
    }
    assert body["strength"]["value"] == "weak" and body["strength"]["basis"] == "inferred"
    assert body["strength"]["source_words"] == "Det foreslås"
    assert body["last_professional_change"] == "2017-01-24"
    assert body["wording"]["status"] == "quoted"
    assert body["wording"]["text"].startswith("Det foreslås at det tilrettelegges for bruk av musikkterapi")
    expanded = body["expanded"]
    [considered] = expanded["evidence_considered"]
    assert (considered["studies"], considered["controlled_studies"], considered["participants"]) == (
        17,
        11,
        863,
    )
    assert considered["participants_scope"] == "controlled"
    assert considered["superseded_by"] == "cochrane-2022-rus"
    assert considered["superseded_by_item"]["participants"] == 1984
    newer = next(e for e in expanded["newer_evidence"] if e["id"] == "cochrane-2022-rus")
    assert (newer["studies"], newer["participants"]) == (21, 1984)
    assert {e["id"] for e in expanded["newer_evidence"]} == {"cochrane-2022-rus", "hohmann-2017-oversikt"}
    assert {o["name"] for o in newer["outcomes"]} >= {"craving", "depression"}
    keys = {r["key"] for r in expanded["references"]}
    assert {"aldridge2010music", "dale2015rusfag", "kielland2015kommunalt", "mays2008tunes"} <= keys
    assert expanded["guideline"]["id"] == "rus-behandling-rehabilitering"
    assert any(c["item_id"] == "gamut-oversikt-2016" for c in expanded["corrections"])
    assert body["verification"]["status"] in ("verified", "reported", "unverified")
    assert body["licence"] == "NLOD" and body["attribution"] == "Helsedirektoratet"


def test_recommendation_without_expand_has_no_expanded_block(client: FlaskClient) -> None:
    assert "expanded" not in get_json(client, REC)


def test_prose_comes_as_markdown_and_as_sanitised_html_with_reference_links(client: FlaskClient) -> None:
    body = get_json(client, REC)
    assert "[@mays2008tunes]" in body["body_markdown"]
    cited = '<a href="http://localhost/api/v1/references/mays2008tunes">Mays et al., 2008</a>'
    assert cited in body["body_html"]
    assert "<script" not in body["body_html"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"musikkterapi-avrusning", "musikkterapi-psykoselidelser", "musikkterapi-rusbehandling"}),
        ("?guideline=rus-behandling-rehabilitering", {"musikkterapi-rusbehandling"}),
        ("?strength=weak", {"musikkterapi-rusbehandling"}),
        ("?strength=strong", {"musikkterapi-psykoselidelser"}),
        ("?grade=consensus", {"musikkterapi-rusbehandling"}),
        ("?grade=A", {"musikkterapi-psykoselidelser"}),
        ("?setting=kriminalomsorg", {"musikkterapi-rusbehandling"}),
        ("?lang=en", set()),
        ("?updated_since=2100-01-01", set()),
        ("?updated_since=2000-01-01&strength=weak", {"musikkterapi-rusbehandling"}),
    ],
)
def test_recommendation_filters(client: FlaskClient, query: str, expected: set[str]) -> None:
    body = get_json(client, "/api/v1/recommendations" + query)
    assert {item["id"] for item in body["items"]} == expected
    assert body["total"] == len(expected)


def test_guideline_lists_its_recommendations(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/guidelines/rus-behandling-rehabilitering")
    assert body["recommendations"] == ["musikkterapi-rusbehandling"]
    assert body["licence"] == "NLOD"
    listing = get_json(client, "/api/v1/guidelines")
    assert listing["total"] == 3
    assert {g["identifier"] for g in listing["items"]} >= {"IS-2211", "IS-1957"}


def test_evidence_shows_superseded_by_and_what_it_supersedes(client: FlaskClient) -> None:
    old = get_json(client, "/api/v1/evidence/gamut-oversikt-2016")
    new = get_json(client, "/api/v1/evidence/cochrane-2022-rus")
    assert old["superseded_by"] == "cochrane-2022-rus"
    assert "gamut-oversikt-2016" in new["supersedes"]
    assert get_json(client, "/api/v1/evidence?per_page=100")["total"] >= 7


@pytest.mark.parametrize("collection", ["reports", "facts"])
def test_reports_and_facts_list_and_fetch(client: FlaskClient, collection: str) -> None:
    listing = get_json(client, f"/api/v1/{collection}?per_page=100")
    assert listing["total"] == len(listing["items"]) >= 7
    first = listing["items"][0]
    assert get_json(client, f"/api/v1/{collection}/{first['id']}") == first


def test_reports_carry_their_numbers(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/reports/rapport-sandnes-2019")
    assert body["informants"]["users"] == 13 and body["informants"]["staff"] == 24


@pytest.mark.parametrize(
    ("query", "must_have", "must_not_have"),
    [
        ("?type=article", "ghetti2022cochrane", "aldridge2010music"),
        ("?year_from=2020", "ghetti2022cochrane", "mays2008tunes"),
        ("?year_to=2010", "mays2008tunes", "ghetti2022cochrane"),
        ("?author=fachner", "aldridge2010music", "mays2008tunes"),
        ("?doi=10.1002/14651858.CD012576.pub3", "ghetti2022cochrane", "mays2008tunes"),
        ("?pmid=19042198", "mays2008tunes", "ghetti2022cochrane"),
        ("?updated_since=2026-01-01", "mays2008tunes", None),
    ],
)
def test_reference_filters(
    client: FlaskClient, query: str, must_have: str, must_not_have: str | None
) -> None:
    sep = "&" if "?" in query else "?"
    keys = {r["key"] for r in get_json(client, f"/api/v1/references{query}{sep}per_page=100")["items"]}
    assert must_have in keys
    assert must_not_have is None or must_not_have not in keys


def test_reference_has_type_and_id_and_corporate_author_stays_whole(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/references/hdir2016rus")
    assert body["type"] == "reference" and body["id"] == body["key"] == "hdir2016rus"
    assert body["authors"] == [
        {
            "family": None,
            "given": None,
            "literal": "Helsedirektoratet",
            "particle": None,
            "suffix": None,
            "useprefix": False,
        }
    ]


def test_cited_by_lists_the_recommendation(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/references/mays2008tunes/cited-by")
    assert {
        "type": "recommendation",
        "id": "musikkterapi-rusbehandling",
        "title": "Musikkterapi (rusbehandling)",
    } in body["items"]


def test_search_finds_the_cochrane_review_with_highlight_and_facets(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/search?q=craving")
    assert body["query"] == "craving"
    hit = next(h for h in body["hits"] if h["id"] == "cochrane-2022-rus")
    assert hit["type"] == "evidence" and "<mark>craving</mark>" in hit["snippet"]
    assert body["facets"]["type"]["evidence"] >= 1
    assert set(body["facets"]) == {"type", "decade", "grade", "strength", "lang", "county", "level"}


def test_search_by_type_sort_and_suggestion(client: FlaskClient) -> None:
    body = get_json(client, "/api/v1/search?q=music&type=reference&sort=-year&per_page=5")
    years = [h["year"] for h in body["hits"] if h["year"] is not None]
    assert years == sorted(years, reverse=True)
    assert all(h["type"] == "reference" for h in body["hits"])
    corrected = get_json(client, "/api/v1/search?q=musikterapi")
    assert corrected["corrected"] == "musikkterapi" and corrected["total"] > 0


def test_search_pages_have_link_headers(client: FlaskClient) -> None:
    response = client.get("/api/v1/recommendations?per_page=1&page=2")
    links = response.headers["Link"]
    for rel in ("first", "prev", "next", "last"):
        assert f'rel="{rel}"' in links
    assert response.get_json()["page"] == 2


def test_alias_redirects_to_the_current_id(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb)
    shutil.copytree(REFERENCES_DIR, tmp_path / "references")
    item = kb / "evidence" / "cochrane-2022-rus.md"
    item.write_text(
        item.read_text(encoding="utf-8").replace("aliases: []", "aliases: [cochrane-rus]", 1),
        encoding="utf-8",
    )
    corpus = load_corpus(kb, tmp_path / "references")
    assert not corpus.problems and corpus.aliases == {"cochrane-rus": "cochrane-2022-rus"}
    build_index(corpus, tmp_path / "index")
    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "index")}).test_client()
    response = client.get("/api/v1/evidence/cochrane-rus?format=json")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/api/v1/evidence/cochrane-2022-rus?format=json")
    assert client.get("/api/v1/recommendations/cochrane-rus").status_code == 404
