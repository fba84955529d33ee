"""FHIR R5: every resource of the real knowledge base validates with fhir.resources' R5 models, and every
number in it equals the item's data; unknown values stay absent; content negotiation and the routes."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources import get_fhir_model_class
from flask.testing import FlaskClient

from mtkb.corpus import Corpus

FHIR = "application/fhir+json"
BASE = "/api/v1/fhir/R5"


def get(client: FlaskClient, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.get_data(as_text=True))
    assert response.mimetype == FHIR
    data: dict[str, Any] = response.get_json(force=True)
    return data


def validate(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.fixture(scope="module")
def whole(app: Any) -> dict[str, Any]:
    with app.test_client() as client:
        return get(client, f"{BASE}/Bundle/knowledge-base")


def by_id(bundle: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        e["resource"]["id"]: e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind
    }


def test_bundle_and_every_resource_validate(whole: dict[str, Any], corpus: Corpus) -> None:
    validate(whole)
    for entry in whole["entry"]:
        validate(entry["resource"])
        assert entry["fullUrl"].endswith(f"/{entry['resource']['resourceType']}/{entry['resource']['id']}")
    kinds = [e["resource"]["resourceType"] for e in whole["entry"]]
    assert kinds.count("Citation") == len(corpus.references)
    assert (
        kinds.count("PlanDefinition")
        == kinds.count("ArtifactAssessment")
        == len([i for i in corpus.items.values() if i.type == "recommendation"])
    )


def test_metadata_and_code_system_validate(client: FlaskClient) -> None:
    statement = get(client, f"{BASE}/metadata")
    validate(statement)
    assert statement["fhirVersion"] == "5.0.0"
    served = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Citation", "Evidence", "PlanDefinition", "ArtifactAssessment"} <= served
    codes = get(client, f"{BASE}/CodeSystem/mtkb")
    validate(codes)
    assert codes["url"].endswith(f"{BASE}/CodeSystem/mtkb")


def _system_codes(whole: dict[str, Any]) -> set[str]:
    system = by_id(whole, "CodeSystem")["mtkb"]
    return {c["code"] for c in system["concept"]}


def test_evidence_numbers_equal_the_items(whole: dict[str, Any], corpus: Corpus) -> None:
    evidence = by_id(whole, "Evidence")
    for item in (i for i in corpus.items.values() if i.type == "evidence"):
        summary = evidence[item.id]
        counted = {
            (s["sampleSize"].get("numberOfStudies"), s["sampleSize"].get("numberOfParticipants"))
            for s in summary.get("statistic", [])
        }
        if item.participants_scope == "controlled":
            assert (item.controlled_studies, item.participants) in counted, item.id
            assert (item.studies, None) in counted, item.id
        elif item.studies is not None or item.participants is not None:
            assert counted == {(item.studies, item.participants)}, item.id
        else:
            assert not counted, item.id
        outcomes = [r for k, r in evidence.items() if k.startswith(f"{item.id}--")]
        assert len(outcomes) == len(item.outcomes), item.id
        for outcome in item.outcomes:
            resource = next(r for r in outcomes if r["variableDefinition"][2]["description"] == outcome.name)
            stat = resource.get("statistic", [{}])[0]
            if outcome.value is None or outcome.measure == "narrative":
                assert "quantity" not in stat and "statisticType" not in stat
            else:
                assert stat["quantity"]["value"] == outcome.value
                assert stat["statisticType"]["text"] == outcome.measure
            ranges = [a["range"] for a in stat.get("attributeEstimate", [])]
            if outcome.ci_low is None or outcome.ci_high is None:
                assert not ranges, (item.id, outcome.name)
            else:
                assert ranges == [{"low": {"value": outcome.ci_low}, "high": {"value": outcome.ci_high}}]
            size = stat.get("sampleSize", {})
            assert size.get("numberOfStudies") == outcome.studies
            assert size.get("numberOfParticipants") == outcome.participants
            if outcome.certainty == "unknown":
                assert "certainty" not in resource, (item.id, outcome.name)
            else:
                rating = resource["certainty"][0]["rating"]["coding"][0]["code"]
                assert rating == outcome.certainty.replace(" ", "-")


def test_recommendations_carry_wording_grade_strength_and_justification(
    whole: dict[str, Any], corpus: Corpus
) -> None:
    plans, assessments = by_id(whole, "PlanDefinition"), by_id(whole, "ArtifactAssessment")
    codes = _system_codes(whole)
    for rec in (i for i in corpus.items.values() if i.type == "recommendation"):
        plan, assessment = plans[rec.id], assessments[rec.id]
        assert plan["action"][0].get("description") == rec.wording.text
        assert [u["valueCodeableConcept"]["text"] for u in plan.get("useContext", [])] == list(rec.settings)
        assert "NLOD" in plan["copyright"] and "Helsedirektoratet" in plan["copyright"]
        assert "NLOD" in assessment["copyright"]
        assert assessment["artifactCanonical"] == plan["url"]
        classifiers = [
            c["coding"][0]["code"] for part in assessment["content"] for c in part.get("classifier", [])
        ]
        assert set(classifiers) <= codes
        if rec.grade.code != "unknown":
            assert f"grade-{rec.grade.code}" in classifiers
        if rec.strength.value != "unknown":
            assert f"strength-{rec.strength.value}" in classifiers
        links = [a for part in assessment["content"] for a in part.get("relatedArtifact", [])]
        considered = [a["resource"].rsplit("/", 1)[1] for a in links if a["type"] == "justification"]
        newer = [a["resource"].rsplit("/", 1)[1] for a in links if a["label"] == "newer evidence"]
        assert considered == list(rec.evidence_considered)
        assert newer == list(rec.newer_evidence)
        if rec.last_professional_change:
            assert plan["date"] == rec.last_professional_change.isoformat()


def test_citations_equal_the_references_and_leave_unknowns_out(whole: dict[str, Any], corpus: Corpus) -> None:
    citations = {c["identifier"][0]["value"]: c for c in by_id(whole, "Citation").values()}
    for key, ref in corpus.references.items():
        artifact = citations[key]["citedArtifact"]
        assert [t["text"] for t in artifact.get("title", [])] == ([ref.title] if ref.title else [])
        identifiers = {i["system"]: i["value"] for i in artifact.get("identifier", [])}
        assert identifiers.get("https://doi.org") == ref.doi
        assert identifiers.get("https://pubmed.ncbi.nlm.nih.gov") == ref.pmid
        form = (artifact.get("publicationForm") or [{}])[0]
        assert form.get("volume") == ref.volume and form.get("issue") == ref.number
        assert len(artifact.get("contributorship", {}).get("entry", [])) == len(ref.authors)
        notes = " ".join(n["text"] for n in artifact.get("note", []))
        for name in ref.unknown:
            assert name in notes, key


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/v1/references/ghetti2022cochrane", "Citation"),
        ("/api/v1/evidence/cochrane-2022-rus", "Bundle"),
        ("/api/v1/recommendations/musikkterapi-rusbehandling", "PlanDefinition"),
        ("/api/v1/recommendations/musikkterapi-rusbehandling?expand=evidence", "PlanDefinition"),
    ],
)
def test_accept_fhir_json_on_the_items(client: FlaskClient, path: str, kind: str) -> None:
    response = client.get(path, headers={"Accept": FHIR})
    assert response.status_code == 200 and response.mimetype == FHIR
    body = response.get_json(force=True)
    assert body["resourceType"] == kind
    validate(body)
    by_param = client.get(path + ("&" if "?" in path else "?") + "format=fhir")
    assert by_param.get_json(force=True) == body


def test_unknown_resources_are_problems(client: FlaskClient) -> None:
    for path in ("Citation/nope", "Evidence/nope", "Evidence/cochrane-2022-rus--nope", "PlanDefinition/nope"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert client.get("/api/v1/facts/prosedyrekode-ibbe10", headers={"Accept": FHIR}).status_code == 406


def test_keys_that_are_not_fhir_ids_are_served_under_both(client: FlaskClient, corpus: Corpus) -> None:
    key = next(k for k in corpus.references if "_" in k)
    by_key = get(client, f"{BASE}/Citation/{key}")
    assert by_key == get(client, f"{BASE}/Citation/{by_key['id']}")
    assert "_" not in by_key["id"]


def test_openapi_lists_the_routes(client: FlaskClient) -> None:
    paths = client.get("/api/v1/swagger.json").get_json()["paths"]
    for route in (
        "/metadata",
        "/Citation/{key}",
        "/Evidence/{ident}",
        "/PlanDefinition/{ident}",
        "/ArtifactAssessment/{ident}",
        "/Bundle/knowledge-base",
        "/CodeSystem/mtkb",
    ):
        assert f"/fhir/R5{route}" in paths, route
