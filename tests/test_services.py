"""Services (where music therapy is offered): the list and its filters, one service as JSON and JSON-LD,
the type in search with its county and level facets, the links between services, reports and references."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from mtkb.corpus import Corpus
from mtkb.records import Report, Service
from mtkb.schemas.service import COUNTIES

from .conftest import KB_DIR

PROBLEM = "application/problem+json"


def all_services(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/services", query_string={"per_page": 100, **params})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["total"] == len(body["items"])
    return body


def test_at_least_twelve_services_each_with_a_public_source(client: FlaskClient) -> None:
    body = all_services(client)
    assert body["total"] >= 12
    for service in body["items"]:
        assert service["type"] == "service" and service["references"], service["id"]
        for key in service["references"]:
            ref = client.get(f"/api/v1/references/{key}").get_json()
            assert ref.get("url") or ref.get("institution") or ref.get("howpublished"), key
        assert service["county"] in COUNTIES
        assert service["levels"] and service["last_checked"]
        # never invented: no address, phone or opening hours fields, and they are listed as unknown
        assert not {"address", "phone", "opening_hours"} & set(service)
        assert {"address", "phone", "opening_hours"} <= set(service["unknown"])


@pytest.mark.parametrize("county", ["Vestland", "vestland", " VESTLAND "])
def test_county_filter(client: FlaskClient, county: str) -> None:
    body = all_services(client, county=county)
    assert body["total"] >= 5  # Hjellestad and four DPSs in Bergen
    assert {s["county"] for s in body["items"]} == {"Vestland"}
    everything = all_services(client)["items"]
    assert body["total"] == sum(s["county"] == "Vestland" for s in everything)


def test_municipality_level_and_setting_filters(client: FlaskClient) -> None:
    oslo = all_services(client, municipality="oslo")["items"]
    assert oslo and {s["municipality"] for s in oslo} == {"Oslo"}
    municipal = all_services(client, level="kommune")["items"]
    assert municipal and all("kommune" in s["levels"] for s in municipal)
    assert "sykehuset-innlandet-gjovik" in {s["id"] for s in municipal}  # not only a service's first level
    fact = all_services(client, setting="FACT")["items"]
    assert {"fact-gamle-oslo", "sykehuset-innlandet-gjovik"} <= {s["id"] for s in fact}
    assert all_services(client, county="Finnmark")["total"] == 0


@pytest.mark.parametrize(
    "params",
    [{"county": "Viken"}, {"county": "Hordaland"}, {"level": "hospital"}, {"setting": "everywhere"}],
)
def test_unknown_filter_values_are_problems(client: FlaskClient, params: dict[str, str]) -> None:
    response = client.get("/api/v1/services", query_string=params)
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert set(params) <= set(response.get_json()["errors"])


def test_one_service_and_its_jsonld(client: FlaskClient) -> None:
    service = client.get("/api/v1/services/sandnes-mestringsenheten").get_json()
    assert service["county"] == "Rogaland" and service["since"] == 2016
    assert service["reports"] == ["rapport-sandnes-2019"]
    node = client.get("/api/v1/services/sandnes-mestringsenheten?format=jsonld").get_json(force=True)
    assert node["@type"] == "MedicalClinic"
    assert node["availableService"] == {"@type": "MedicalTherapy", "name": "Musikkterapi"}
    assert node["address"] == {
        "@type": "PostalAddress",
        "addressCountry": "NO",
        "addressLocality": "Sandnes",
        "addressRegion": "Rogaland",
    }
    assert "streetAddress" not in node["address"] and "telephone" not in node
    missing = client.get("/api/v1/services/no-such-service")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM


def test_reports_and_facts_link_their_service(corpus: Corpus) -> None:
    services = [item for item in corpus.items.values() if isinstance(item, Service)]
    for service in services:
        for report_id in service.reports:
            report = corpus.items[report_id]
            assert isinstance(report, Report) and report.service == service.id
    linked = {r for s in services for r in s.reports}
    assert linked == {i.id for i in corpus.items.values() if isinstance(i, Report) and i.service}
    assert corpus.items["fact-gamle-oslo"].facts == ("oppmote-fact-gamle-oslo-2018",)  # type: ignore[attr-defined]


def test_search_type_and_facets(client: FlaskClient) -> None:
    body = client.get("/api/v1/search", query_string={"q": "musikkterapi", "type": "service"}).get_json()
    assert body["total"] >= 12 and {h["type"] for h in body["hits"]} == {"service"}
    assert body["facets"]["county"]["Vestland"] >= 5
    assert sum(body["facets"]["level"].values()) == body["total"]
    by_county = client.get("/api/v1/search", query_string={"q": "county:Rogaland", "per_page": 50}).get_json()
    assert {h["id"] for h in by_county["hits"]} == {"sandnes-mestringsenheten", "dalane-dps"}
    by_level = client.get("/api/v1/search", query_string={"q": "level:kommune", "per_page": 50}).get_json()
    assert "sykehuset-innlandet-gjovik" in {h["id"] for h in by_level["hits"]}
    text = client.get("/api/v1/search", query_string={"q": "Hjellestad", "type": "service"}).get_json()
    assert "bergensklinikkene-hjellestad" in {h["id"] for h in text["hits"]}


def test_cited_by_names_the_services(client: FlaskClient) -> None:
    cited = client.get("/api/v1/references/rusfeltet_fact_gamle_oslo/cited-by?per_page=50").get_json()
    services = {i["id"] for i in cited["items"] if i["type"] == "service"}
    assert {"fact-gamle-oslo", "betanien-dps", "dalane-dps", "sykehuset-innlandet-gjovik"} <= services
    lds = client.get("/api/v1/references/lds_15_aar_musikkterapi/cited-by").get_json()
    assert {(i["type"], i["id"]) for i in lds["items"]} >= {("service", "lovisenberg-dps")}


def test_root_links_the_services(client: FlaskClient) -> None:
    links = client.get("/api/v1/").get_json()["links"]
    assert links["services"].endswith("/api/v1/services")


NUMBER = re.compile(r"(?<![\w-])\d+(?:[.,]\d+)?")
NEW_FACTS = (
    "hva-er-musikkterapi",
    "musikkterapi-i-fact-innlandet",
    "polyfon-kunnskapsklynge",
    "uib-kunnskapsbeskrivelse-rusfeltet",
    "nettverk-delmal-medlemmer",
    "workshop-brukerorganisasjoner",
    "interpellasjon-toppe-2019",
    "informasjon-om-musikkterapi",
)


def test_every_number_in_a_service_or_new_fact_has_a_source(corpus: Corpus) -> None:
    """A number in the text or the plain summary of a service (or of the facts added with them) stands in its
    own data or in a reference it rests on (a field, or the note of how the reference was checked)."""
    items = [i for i in corpus.items.values() if isinstance(i, Service) or i.id in NEW_FACTS]
    assert len(items) >= 12 + len(NEW_FACTS)
    unsourced = []
    for item in items:
        text = (KB_DIR.parent / item.origin.path).read_text(encoding="utf-8")
        front, body = text.split("---", 2)[1], text.split("---", 2)[2]
        if item.summary_nb:  # the plain summary is text too: its numbers need a source elsewhere
            front = front.replace(" ".join(item.summary_nb.split()), "")
            front = re.sub(r"summary_nb: >-\n(  .*\n)+", "", front)
            body += "\n" + item.summary_nb
        sourced = NUMBER.findall(front)
        for key in item.linked_keys():
            ref = corpus.references[key]
            sourced += NUMBER.findall(
                " ".join(str(v) for v in (ref.year, ref.date, ref.title, ref.note, ref.sources))
            )
        body = re.sub(r"`[^`]*`|\[@[^\]]*\]", "", body)  # item ids and citation keys are not numbers
        unsourced += [f"{item.origin.path}: {n}" for n in NUMBER.findall(body) if n not in sourced]
    assert unsourced == [], "\n".join(unsourced)
