"""HL7 FHIR R5 for the knowledge base: references as Citation, evidence summaries as Evidence (one per
outcome, plus the summary's own), recommendations as PlanDefinition with an ArtifactAssessment for the
strength and grade, and a Bundle of everything. The mapping is the table in docs/FHIR.md.

Each builder takes the served records (plain dicts, as in the JSON API) and `base`, the absolute URL of the
FHIR endpoint (`https://host/api/v1/fhir/R5`), and returns plain JSON. Nothing here reads the request:
the namespace passes what it needs. Unknown values are left out, never filled in.
"""

from api.serializers.fhir.bundle import bundle, capability_statement
from api.serializers.fhir.citation import citation
from api.serializers.fhir.codes import FHIR_JSON, FHIR_VERSION, code_system
from api.serializers.fhir.evidence import evidence_resources
from api.serializers.fhir.recommendation import artifact_assessment, plan_definition

__all__ = [
    "FHIR_JSON",
    "FHIR_VERSION",
    "artifact_assessment",
    "bundle",
    "capability_statement",
    "citation",
    "code_system",
    "evidence_resources",
    "plan_definition",
]
