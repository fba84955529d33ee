"""FHIR responses: the request's addresses and rights handed to `api.serializers.fhir`, and the resources
of one record or of the whole knowledge base. Used by the /fhir/R5 routes and by content negotiation
(`Accept: application/fhir+json` on a reference, an evidence summary or a recommendation)."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from api import render
from api.access import current_build
from api.serializers import fhir

PREFIX = "/api/v1/fhir/R5"


def api_url() -> str:
    return request.host_url.rstrip("/") + "/api/v1"


def base_url() -> str:
    """The absolute address of the FHIR endpoint."""
    return request.host_url.rstrip("/") + PREFIX


def _rights(records: list[dict[str, Any]]) -> str:
    """The licences that apply, as the one line FHIR's `copyright` holds."""
    parts = []
    for r in render.rights(records):
        attribution = f" ({r['attribution']})" if r.get("attribution") else ""
        parts.append(f"{r['holder']}: {r['licence']}{attribution}, {r['url']}; applies to {r['applies_to']}.")
    return " ".join(parts)


def resources_of(record_type: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The FHIR resources for one served record: a reference's Citation, an evidence summary's Evidence
    resources, a recommendation's PlanDefinition and ArtifactAssessment."""
    base = base_url()
    if record_type == "reference":
        return [fhir.citation(record, base, api_url())]
    if record_type == "evidence":
        return fhir.evidence_resources(record, base, _rights([record]))
    guideline = current_build().record("guideline", record["guideline"])
    rights = _rights([record])
    return [
        fhir.plan_definition(record, guideline, base, rights),
        fhir.artifact_assessment(record, base, rights),
    ]


def all_resources() -> list[dict[str, Any]]:
    """Every resource of the knowledge base, the project's code system first."""
    build = current_build()
    out = [fhir.code_system(base_url())]
    for record_type in ("recommendation", "evidence", "reference"):
        for record in sorted(build.of_type(record_type), key=lambda r: r["id"]):
            out.extend(resources_of(record_type, record))
    return out


def respond(resource: dict[str, Any], licensed: list[dict[str, Any]] | None = None) -> Response:
    """`resource` as application/fhir+json, with the licence links of the records it carries."""
    response = render.json_response(resource, mimetype=fhir.FHIR_JSON)
    response.headers["Link"] = ", ".join(render.license_links(render.rights(licensed or [])))
    return response


def negotiated(record_type: str, record: dict[str, Any]) -> Response:
    """What `Accept: application/fhir+json` on the record's own resource answers: a reference's Citation,
    a recommendation's PlanDefinition, and for an evidence summary a Bundle of its Evidence resources."""
    record = current_build().record(record_type, record["id"]) or record  # as stored, never expanded
    resources = resources_of(record_type, record)
    if record_type == "evidence":
        built = current_build().manifest["built_at"]
        return respond(fhir.bundle(resources, base_url(), built, f"{resources[0]['id']}-evidence"), [record])
    return respond(resources[0], [record])
