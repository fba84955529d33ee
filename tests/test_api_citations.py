"""Citations over HTTP: DOI-style content negotiation, citation and bibliography endpoints, citing a
recommendation itself, styles, and exports of search results."""

from __future__ import annotations

import json

import bibtexparser
import pytest
import rispy
from flask.testing import FlaskClient

COCHRANE = "/api/v1/references/ghetti2022cochrane"
DOI_URL = "https://doi.org/10.1002/14651858.CD012576.pub3"


def test_apa_entry_by_accept_header(client: FlaskClient) -> None:
    response = client.get(COCHRANE, headers={"Accept": "text/x-bibliography; style=apa; locale=en-US"})
    assert response.status_code == 200 and response.mimetype == "text/x-bibliography"
    text = response.get_data(as_text=True)
    assert text.startswith("Ghetti, C., Chen, X.-J., Brenner, A. K.")
    assert "(2022). Music therapy for people with substance use disorders." in text
    assert text.endswith(DOI_URL)


def test_vancouver_and_norwegian_terms(client: FlaskClient) -> None:
    vancouver = client.get(COCHRANE, headers={"Accept": "text/x-bibliography; style=vancouver; locale=en-US"})
    text = vancouver.get_data(as_text=True)
    assert text.startswith("Ghetti C, Chen XJ, Brenner AK") and "2022 May 9;2022(5):CD012576" in text
    assert "et al." in text
    norwegian = client.get(COCHRANE, headers={"Accept": "text/x-bibliography; style=vancouver; locale=nb-NO"})
    assert "mfl." in norwegian.get_data(as_text=True)
    apa_nb = client.get(COCHRANE + "?format=text&style=apa&locale=nb-NO").get_data(as_text=True)
    assert "Artikkel CD012576" in apa_nb


def test_each_representation_has_its_own_etag(client: FlaskClient) -> None:
    accepts = [
        "application/json",
        "application/ld+json",
        "text/x-bibliography; style=apa",
        "text/x-bibliography; style=vancouver",
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/vnd.citationstyles.csl+json",
    ]
    etags = {client.get(COCHRANE, headers={"Accept": a}).headers["ETag"] for a in accepts}
    assert len(etags) == len(accepts)


@pytest.mark.parametrize(
    ("fmt", "accept"),
    [
        ("bibtex", "application/x-bibtex"),
        ("ris", "application/x-research-info-systems"),
        ("csljson", "application/vnd.citationstyles.csl+json"),
    ],
)
def test_exports_by_format_and_by_accept_agree(client: FlaskClient, fmt: str, accept: str) -> None:
    by_param = client.get(f"{COCHRANE}?format={fmt}")
    by_accept = client.get(COCHRANE, headers={"Accept": accept})
    assert by_param.status_code == by_accept.status_code == 200
    assert by_param.mimetype == by_accept.mimetype == accept
    assert by_param.get_data() == by_accept.get_data()


def test_exports_read_back(client: FlaskClient) -> None:
    bib = bibtexparser.parse_string(client.get(f"{COCHRANE}?format=bibtex").get_data(as_text=True))
    [entry] = bib.entries
    assert entry.key == "ghetti2022cochrane" and entry["doi"] == "10.1002/14651858.CD012576.pub3"
    [ris] = rispy.loads(client.get(f"{COCHRANE}?format=ris").get_data(as_text=True))
    assert ris["type_of_reference"] == "JOUR" and ris["doi"] == "10.1002/14651858.CD012576.pub3"
    [csl] = json.loads(client.get(f"{COCHRANE}?format=csljson").get_data())
    assert csl["id"] == "ghetti2022cochrane" and csl["DOI"] == "10.1002/14651858.CD012576.pub3"


def test_citation_endpoint_text_and_html(client: FlaskClient) -> None:
    body = client.get("/api/v1/references/mays2008tunes/citation?style=apa&locale=en-US").get_json()
    assert body["style"] == "apa" and body["locale"] == "en-US" and body["format"] == "text"
    assert body["intext"] == "(Mays et al., 2008)"
    assert body["bibliography"].startswith("Mays, K. L., Clark, D. L., & Gordon, A. J. (2008).")
    html = client.get(
        "/api/v1/references/mays2008tunes/citation?style=apa&locale=en-US&format=html"
    ).get_json()
    assert "<em>Substance Abuse</em>" in html["bibliography"] and "&amp;" in html["bibliography"]


def test_any_installed_style_by_file_name_is_formatted_once(client: FlaskClient, app, monkeypatch) -> None:
    first = client.get("/api/v1/references/gold2009dose/citation?style=ieee&locale=en-GB")
    assert first.status_code == 200 and first.get_json()["intext"] == "[1]"
    import index.citations

    monkeypatch.setattr(index.citations, "format_references", lambda *a: pytest.fail("formatted again"))
    with app.app_context():
        from api.access import current_build

        again = current_build().citations.formatted(["gold2009dose"], "ieee", "en-GB")["gold2009dose"]
    assert again.bibliography_text == first.get_json()["bibliography"]


def test_recommendation_cited_in_helsedirektoratets_own_form(client: FlaskClient) -> None:
    body = client.get(
        "/api/v1/recommendations/musikkterapi-rusbehandling/citation?accessed=2026-11-22"
    ).get_json()
    assert body["citation"] == (
        "Helsedirektoratet (2016). Musikkterapi (rusbehandling) [nettdokument]. Oslo: Helsedirektoratet "
        "(siste faglige endring 24. januar 2017, lest 22. november 2026). Tilgjengelig fra "
        "https://www.helsedirektoratet.no/retningslinjer/behandling-og-rehabilitering-av-rusmiddelproblemer-"
        "og-avhengighet/terapeutiske-tilnaerminger-i-rusbehandling/musikkterapi-rusbehandling"
    )
    assert body["style"] == "helsedirektoratet" and body["accessed"] == "2026-11-22"


@pytest.mark.parametrize(
    ("style", "locale", "expected"),
    [
        ("apa", "en-US", "Retrieved November 22, 2026"),
        ("vancouver", "en-US", "[cited 2026 Nov 22]"),
        ("helsedirektoratet", "en-GB", "accessed 22 November 2026"),
    ],
)
def test_recommendation_citation_in_other_styles(
    client: FlaskClient, style: str, locale: str, expected: str
) -> None:
    url = (
        f"/api/v1/recommendations/musikkterapi-rusbehandling/citation?style={style}&locale={locale}"
        "&accessed=2026-11-22"
    )
    body = client.get(url).get_json()
    assert expected in body["citation"], body["citation"]


def test_recommendation_citation_defaults_to_today(client: FlaskClient) -> None:
    from datetime import date

    body = client.get("/api/v1/recommendations/musikkterapi-rusbehandling/citation").get_json()
    assert body["accessed"] == date.today().isoformat()


def test_recommendation_bibliography(client: FlaskClient) -> None:
    body = client.get(
        "/api/v1/recommendations/musikkterapi-rusbehandling/bibliography?style=vancouver&locale=en-US"
    )
    entries = body.get_json()["entries"]
    keys = [e["key"] for e in entries]
    assert {"aldridge2010music", "dale2015rusfag", "kielland2015kommunalt", "mays2008tunes"} <= set(keys)
    assert [e["bibliography"].split(".")[0] for e in entries] == [str(i) for i in range(1, len(entries) + 1)]


def test_post_bibliography_sorted_and_unknown_keys_listed(client: FlaskClient) -> None:
    body = client.post(
        "/api/v1/bibliography",
        json={"keys": ["mays2008tunes", "aldridge2010music"], "style": "apa", "locale": "en-US"},
    ).get_json()
    assert [e["key"] for e in body["entries"]] == ["aldridge2010music", "mays2008tunes"], (
        "APA sorts by author"
    )
    assert body["bibliography"].splitlines()[0].startswith("Aldridge, D., & Fachner, J. (Eds.). (2010).")
    bad = client.post("/api/v1/bibliography", json={"keys": ["mays2008tunes", "nope", "nada"]})
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"]["keys"] == ["unknown: nope", "unknown: nada"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("not json", "text/plain", 415),
        ("{not json", "application/json", 400),
        ('{"keys": []}', "application/json", 400),
        ('{"keys": ["mays2008tunes"], "style": "no-such-style"}', "application/json", 400),
        ('{"keys": ["mays2008tunes"], "format": "pdf"}', "application/json", 400),
        ('{"keys": ["' + "k" * 100_000 + '"]}', "application/json", 413),
    ],
)
def test_post_bibliography_bad_bodies(client: FlaskClient, body: str, content_type: str, status: int) -> None:
    response = client.post("/api/v1/bibliography", data=body, content_type=content_type)
    assert response.status_code == status and response.mimetype == "application/problem+json"


def test_post_bibliography_is_callable_from_browsers(client: FlaskClient) -> None:
    preflight = client.options(
        "/api/v1/bibliography",
        headers={
            "Origin": "https://kommune.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_styles_list_aliases_and_locales(client: FlaskClient) -> None:
    body = client.get("/api/v1/styles?per_page=6").get_json()
    assert [s["core"] for s in body["styles"]] == [True] * 6
    assert body["locales"] == ["nb-NO", "nn-NO", "en-US", "en-GB"]
    vancouver = next(s for s in body["styles"] if "vancouver" in s["aliases"])
    assert vancouver["id"] == "nlm-citation-sequence" and "nlm" in vancouver["aliases"]
    assert body["total"] > 1000, "every installed CSL style is listed"
    assert client.get("/api/v1/styles?q=ieee").get_json()["total"] >= 1


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csljson"])
def test_search_results_export(client: FlaskClient, fmt: str) -> None:
    response = client.get(f"/api/v1/search?q=music&format={fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    hits = client.get("/api/v1/search?q=music&per_page=100").get_json()["hits"]
    expected = {h["id"] for h in hits if h["type"] == "reference"}
    for hit in hits:  # a knowledge item found exports the references it cites (issue 16)
        if hit["type"] != "reference":
            collection = "evidence" if hit["type"] == "evidence" else hit["type"] + "s"
            record = client.get(f"/api/v1/{collection}/{hit['id']}")
            assert record.status_code == 200, hit
            expected |= set(record.get_json()["references"])
    if fmt == "bibtex":
        assert len(bibtexparser.parse_string(text).entries) >= len(expected)
    elif fmt == "ris":
        assert len(rispy.loads(text)) >= len(expected)
    else:
        assert {e["id"] for e in json.loads(text)} >= expected
    evidence = client.get(f"/api/v1/search?q=music&type=evidence&format={fmt}")
    assert evidence.status_code == 200 and evidence.get_data(as_text=True).strip()


def test_unknown_style_and_locale_are_400(client: FlaskClient) -> None:
    for url in (
        "/api/v1/references/mays2008tunes/citation?style=nope",
        "/api/v1/references/mays2008tunes/citation?locale=xx-XX",
        "/api/v1/recommendations/musikkterapi-rusbehandling/citation?style=nope",
    ):
        response = client.get(url)
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
