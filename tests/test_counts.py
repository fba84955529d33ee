"""The scope of participant counts, generated from the data (mtkb.counts) and stated in every view: the
JSON of evidence (and of the evidence a recommendation embeds), JSON-LD, the pages and the widget's data."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from mtkb.counts import counts_text, describe_counts

GAMUT = "/api/v1/evidence/gamut-oversikt-2016"


@pytest.mark.parametrize(
    ("counts", "lang", "expected"),
    [
        ((17, 11, 863, "controlled"), "nb", "17 studier; 863 deltakere i de 11 kontrollerte studiene"),
        ((17, 11, 863, "controlled"), "nn", "17 studiar; 863 deltakarar i dei 11 kontrollerte studiane"),
        ((17, 11, 863, "controlled"), "en", "17 studies; 863 participants in the 11 controlled studies"),
        ((21, None, 1984, "all"), "en", "21 studies with 1,984 participants"),
        ((21, 21, 1984, "controlled"), "nb", "21 studier med 1984 deltakere"),
        ((17, 11, 863, "all"), "nb", "17 studier (11 kontrollerte) med 863 deltakere"),
        ((17, None, 863, "controlled"), "nb", "17 studier; 863 deltakere i de kontrollerte studiene"),
        ((None, None, 12345, "all"), "nb", "12\u00a0345 deltakere"),
        ((40, None, None, None), "en", "40 studies"),
    ],
)
def test_counts_in_words(counts: tuple, lang: str, expected: str) -> None:
    assert describe_counts(*counts, lang) == expected


def test_no_counts_no_text() -> None:
    assert counts_text(None, None, None, None) == {}


def test_evidence_json_states_the_scope(client: FlaskClient) -> None:
    gamut = client.get(GAMUT).get_json()
    scope = [gamut[k] for k in ("studies", "controlled_studies", "participants", "participants_scope")]
    assert gamut["counts_text"] == counts_text(*scope)
    assert gamut["counts_text"]["nb"] == "17 studier; 863 deltakere i de 11 kontrollerte studiene"


def test_embedded_evidence_and_its_successor_state_the_scope(client: FlaskClient) -> None:
    rec = client.get("/api/v1/recommendations/musikkterapi-rusbehandling?expand=evidence").get_json()
    considered = rec["expanded"]["evidence_considered"][0]
    assert considered["counts_text"]["en"] == "17 studies; 863 participants in the 11 controlled studies"
    newer = considered["superseded_by_item"]
    assert newer["counts_text"]["nb"] == "21 studier med 1984 deltakere"
    assert newer["participants_scope"] == "all"


def test_json_ld_and_pages_state_the_scope(client: FlaskClient) -> None:
    node = client.get(GAMUT + "?format=jsonld").get_json(force=True)
    assert node["description"] == "17 studier; 863 deltakere i de 11 kontrollerte studiene"
    for url in ("/evidence/gamut-oversikt-2016", "/recommendations/musikkterapi-rusbehandling"):
        html = client.get(url).get_data(as_text=True)
        assert "17 studier; 863 deltakere i de 11 kontrollerte studiene" in html
        generated = re.findall(r'<p class="numbers">([^<]*)</p>|<dd>([^<]*deltakere[^<]*)</dd>', html)
        counted = [c for pair in generated for c in pair if "deltakere" in c]
        assert counted and all(" i de " in c or " med " in c for c in counted)
    english = client.get("/evidence/gamut-oversikt-2016?lang=en").get_data(as_text=True)
    assert "17 studies; 863 participants in the 11 controlled studies" in english
