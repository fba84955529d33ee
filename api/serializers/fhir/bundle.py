"""The FHIR endpoint's CapabilityStatement, and a Bundle (type `collection`) of every resource."""

from __future__ import annotations

from typing import Any

from api.serializers.fhir.codes import FHIR_VERSION

RESOURCE_TYPES = ("Citation", "Evidence", "PlanDefinition", "ArtifactAssessment", "CodeSystem", "Bundle")


def capability_statement(base: str, date: str, content_version: str) -> dict[str, Any]:
    """What the endpoint serves: read of each resource type, JSON only; `date` is when the content was
    built."""
    return {
        "resourceType": "CapabilityStatement",
        "id": "mtkb",
        "url": f"{base}/metadata",
        "name": "MtkbFhirEndpoint",
        "title": "mtkb: music therapy in substance use treatment, as FHIR R5",
        "status": "active",
        "date": date,
        "publisher": "mtkb",
        "kind": "instance",
        "software": {"name": "mtkb", "version": content_version},
        "implementation": {"description": "Read-only, keyless FHIR R5 endpoint of mtkb", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Errors are application/problem+json (RFC 9457), as everywhere "
                "in this API, not OperationOutcome.",
                "resource": [{"type": kind, "interaction": [{"code": "read"}]} for kind in RESOURCE_TYPES],
            }
        ],
    }


def bundle(
    resources: list[dict[str, Any]], base: str, timestamp: str, ident: str = "knowledge-base"
) -> dict[str, Any]:
    """Every resource in one Bundle; each entry's fullUrl is the resource's own address."""
    return {
        "resourceType": "Bundle",
        "id": ident,
        "type": "collection",
        "timestamp": timestamp,
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }
