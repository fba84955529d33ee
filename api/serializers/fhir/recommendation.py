"""A recommendation → FHIR R5 `PlanDefinition` (as the CPG-on-FHIR guide models a recommendation) and an
`ArtifactAssessment` for its strength, grade and justification (docs/FHIR.md). The wording is
Helsedirektoratet's, quoted verbatim; both resources carry NLOD and the attribution."""

from __future__ import annotations

from typing import Any

from api.serializers.fhir.codes import USAGE_CONTEXT_TYPE, coding, concept
from api.serializers.fhir.ids import fhir_id

PLAN_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"


def _related_guideline(guideline: dict[str, Any] | None) -> list[dict[str, Any]]:
    if guideline is None:
        return []
    related: dict[str, Any] = {"type": "part-of", "display": guideline["title"]}
    if guideline.get("url"):
        related["document"] = {"url": guideline["url"], "title": guideline["title"]}
    return [related]


def plan_definition(
    rec: dict[str, Any], guideline: dict[str, Any] | None, base: str, rights: str
) -> dict[str, Any]:
    ident = fhir_id(rec["id"])
    action: dict[str, Any] = {"title": rec["title"]}
    if rec["wording"].get("text"):
        action["description"] = rec["wording"]["text"]
        action["textEquivalent"] = rec["wording"]["text"]
    out: dict[str, Any] = {
        "resourceType": "PlanDefinition",
        "id": ident,
        "url": f"{base}/PlanDefinition/{ident}",
        "title": rec["title"],
        "type": {"coding": [coding(PLAN_TYPE, "clinical-protocol", "Clinical Protocol")]},
        "status": "active",
        "publisher": rec["attribution"],
        "copyright": rights,
        "copyrightLabel": f"{rec['licence']}, {rec['attribution']}",
        "useContext": [
            {
                "code": coding(USAGE_CONTEXT_TYPE, "venue", "Clinical Venue"),
                "valueCodeableConcept": {"text": s},
            }
            for s in rec.get("settings") or []
        ],
        "relatedArtifact": _related_guideline(guideline),
        "action": [action],
    }
    if rec.get("last_professional_change"):
        out["date"] = rec["last_professional_change"]
    if rec.get("citation_reference"):
        out["relatedArtifact"].append(
            {"type": "cite-as", "resource": f"{base}/Citation/{fhir_id(rec['citation_reference'])}"}
        )
    if rec.get("url"):
        out["relatedArtifact"].append({"type": "documentation", "document": {"url": rec["url"]}})
    if not out["useContext"]:
        del out["useContext"]
    return out


def _evidence_links(ids: list[str], kind: str, label: str, base: str) -> list[dict[str, Any]]:
    return [{"type": kind, "label": label, "resource": f"{base}/Evidence/{fhir_id(i)}"} for i in ids]


def artifact_assessment(rec: dict[str, Any], base: str, rights: str) -> dict[str, Any]:
    """Strength (with whether it was stated or inferred, and the source's own words), the grade in the
    guideline's own system, and the justification: the evidence it considered and newer evidence."""
    strength, grade = rec["strength"], rec["grade"]
    strength_content: dict[str, Any] = {
        "informationType": "classifier",
        "type": concept(base, "recommendation-strength"),
        "classifier": [
            concept(base, code)
            for code in (f"strength-{strength['value']}", f"strength-basis-{strength['basis']}")
            if not code.endswith("-unknown")
        ],
    }
    if not strength_content["classifier"]:
        del strength_content["classifier"]
    if strength.get("source_words"):
        strength_content["summary"] = f"The source's own words: «{strength['source_words']}»."
    grade_text = f"{grade['system']}: {grade.get('term') or grade['code']}" + (
        f" (level {grade['level']})" if grade.get("level") else ""
    )
    grade_content: dict[str, Any] = {
        "informationType": "classifier",
        "type": concept(base, "evidence-grade"),
        "summary": grade_text,
    }
    if grade["code"] != "unknown":
        grade_content["classifier"] = [concept(base, f"grade-{grade['code']}", grade_text)]
    justification = {
        "informationType": "container",
        "summary": "Evidence considered when the recommendation was made, and evidence published after its "
        "last professional change.",
        "relatedArtifact": [
            *_evidence_links(
                list(rec.get("evidence_considered") or []), "justification", "evidence considered", base
            ),
            *_evidence_links(list(rec.get("newer_evidence") or []), "documentation", "newer evidence", base),
        ],
    }
    if not justification["relatedArtifact"]:
        del justification["relatedArtifact"]
    ident = fhir_id(rec["id"])
    out: dict[str, Any] = {
        "resourceType": "ArtifactAssessment",
        "id": ident,
        "title": f"Strength, grade and justification: {rec['title']}",
        "artifactCanonical": f"{base}/PlanDefinition/{ident}",
        "copyright": rights,
        "content": [strength_content, grade_content, justification],
    }
    if rec.get("last_professional_change"):
        out["date"] = rec["last_professional_change"]
    return out
