"""/fhir/R5: the knowledge base as HL7 FHIR R5 resources (read-only): Citation, Evidence, PlanDefinition,
ArtifactAssessment, the project's CodeSystem, a Bundle of everything, and the CapabilityStatement."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_restx import Namespace, Resource

from api import fhir, models
from api.access import current_build
from api.serializers.fhir import FHIR_JSON, bundle, capability_statement, code_system
from api.serializers.fhir.ids import fhir_id
from mtkb.errors import NotFound

ns = Namespace(
    "fhir",
    description="HL7 FHIR R5 (EBM-on-FHIR): Citation, Evidence, PlanDefinition, "
    "ArtifactAssessment, CodeSystem, Bundle; application/fhir+json",
)
FHIR_RESPONSES = {**models.ERRORS, 200: "The resource (application/fhir+json)"}


def _record(record_type: str, ident: str) -> dict[str, Any]:
    """The record whose FHIR id (or own id or key) is `ident`. Raises NotFound."""
    build = current_build()
    record = build.record(record_type, ident)
    if record is not None:
        return record
    for candidate in build.of_type(record_type):
        if fhir_id(candidate["id"]) == ident:
            return candidate
    raise NotFound(record_type, ident)


def _evidence(ident: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Evidence resource `ident` (a summary's, or one of its outcomes') and the summary's record."""
    summary_id = ident.split("--", 1)[0]
    record = _record("evidence", summary_id)
    for resource in fhir.resources_of("evidence", record):
        if resource["id"] == ident:
            return resource, record
    raise NotFound("evidence", ident)


@ns.route("/metadata")
class Metadata(Resource):
    @ns.doc(responses=FHIR_RESPONSES)
    @ns.produces([FHIR_JSON, "application/problem+json"])
    def get(self) -> Response:
        """The CapabilityStatement: what this endpoint serves."""
        build = current_build()
        return fhir.respond(capability_statement(fhir.base_url(), build.manifest["built_at"], build.version))


@ns.route("/Citation/<path:key>")
@ns.param("key", "A reference's BibTeX key, or its FHIR id")
class CitationResource(Resource):
    @ns.doc(responses=FHIR_RESPONSES)
    @ns.produces([FHIR_JSON, "application/problem+json"])
    def get(self, key: str) -> Response:
        """A reference as a Citation."""
        record = _record("reference", key)
        return fhir.respond(fhir.resources_of("reference", record)[0], [record])


@ns.route("/Evidence/<string:ident>")
@ns.param("ident", "An evidence summary's id, or `<id>--<outcome>` for one of its outcomes")
class EvidenceResource(Resource):
    @ns.doc(responses=FHIR_RESPONSES)
    @ns.produces([FHIR_JSON, "application/problem+json"])
    def get(self, ident: str) -> Response:
        """An evidence summary, or one outcome of it, as Evidence."""
        resource, record = _evidence(ident)
        return fhir.respond(resource, [record])


@ns.route("/PlanDefinition/<string:ident>")
@ns.param("ident", "A recommendation's id")
class PlanDefinitionResource(Resource):
    @ns.doc(responses=FHIR_RESPONSES)
    @ns.produces([FHIR_JSON, "application/problem+json"])
    def get(self, ident: str) -> Response:
        """A recommendation as a PlanDefinition (its verbatim wording is the action's description)."""
        record = _record("recommendation", ident)
        return fhir.respond(fhir.resources_of("recommendation", record)[0], [record])


@ns.route("/ArtifactAssessment/<string:ident>")
@ns.param("ident", "A recommendation's id")
class ArtifactAssessmentResource(Resource):
    @ns.doc(responses=FHIR_RESPONSES)
    @ns.produces([FHIR_JSON, "application/problem+json"])
    def get(self, ident: str) -> Response:
        """A recommendation's strength, grade and justification as an ArtifactAssessment."""
        record = _record("recommendation", ident)
        return fhir.respond(fhir.resources_of("recommendation", record)[1], [record])


@ns.route("/CodeSystem/mtkb")
class ProjectCodeSystem(Resource):
    @ns.doc(responses=FHIR_RESPONSES)
    @ns.produces([FHIR_JSON, "application/problem+json"])
    def get(self) -> Response:
        """The project's own codes (recommendation strength, Helsedirektoratet's grades)."""
        return fhir.respond(code_system(fhir.base_url()))


@ns.route("/Bundle/knowledge-base")
class KnowledgeBaseBundle(Resource):
    @ns.doc(responses=FHIR_RESPONSES)
    @ns.produces([FHIR_JSON, "application/problem+json"])
    def get(self) -> Response:
        """Every resource of the knowledge base in one Bundle (type collection)."""
        build = current_build()
        records = [r for t in ("recommendation", "evidence", "reference") for r in build.of_type(t)]
        resources = fhir.all_resources()
        return fhir.respond(bundle(resources, fhir.base_url(), build.manifest["built_at"]), records)
