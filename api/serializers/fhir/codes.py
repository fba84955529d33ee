"""Code systems: HL7 Terminology's where one fits (statistic types, certainty, confidence intervals,
variable roles, usage contexts), and the project's own code system (served at `CodeSystem/mtkb`) for what
none of them names: Helsedirektoratet's grades, the strength of a recommendation and how it was derived."""

from __future__ import annotations

from typing import Any

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "5.0.0"

STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
CERTAINTY_TYPE = "http://terminology.hl7.org/CodeSystem/certainty-type"
CERTAINTY_RATING = "http://terminology.hl7.org/CodeSystem/certainty-rating"
ATTRIBUTE_ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
VARIABLE_ROLE = "http://terminology.hl7.org/CodeSystem/variable-role"
USAGE_CONTEXT_TYPE = "http://terminology.hl7.org/CodeSystem/usage-context-type"
DOI = "https://doi.org"
PMID = "https://pubmed.ncbi.nlm.nih.gov"
ISBN = "urn:isbn"

STATISTIC_TYPES = {
    "SMD": ("0000100", "Standardized Mean Difference"),
    "MD": ("0000457", "Mean Difference"),
    "RR": ("C93152", "Relative Risk"),
    "OR": ("C16932", "Odds Ratio"),
    "HR": ("C93150", "Hazard Ratio"),
}
"""The measures of `outcomes[].measure` that statistic-type names; others (narrative) get no statistic."""

CERTAINTY_RATINGS = {
    "high": ("high", "High quality"),
    "moderate": ("moderate", "Moderate quality"),
    "low": ("low", "Low quality"),
    "very low": ("very-low", "Very low quality"),
}
"""certainty-rating codes for the GRADE ratings the evidence items carry; `unknown` is left out."""

PROJECT_CONCEPTS: dict[str, str] = {
    "strength-strong": "Strong recommendation",
    "strength-weak": "Weak (conditional) recommendation",
    "strength-basis-stated": "Strength stated by the guideline",
    "strength-basis-inferred": "Strength inferred from the recommendation's wording",
    "grade-consensus": "Helsedirektoratet: Konsensus (no summary of research)",
    "grade-A": "Grade A",
    "grade-B": "Grade B",
    "grade-C": "Grade C",
    "grade-D": "Grade D",
    "recommendation-strength": "Strength of recommendation",
    "evidence-grade": "Grade of the evidence behind a recommendation, in the guideline's own system",
}


def project_system(base: str) -> str:
    return f"{base}/CodeSystem/mtkb"


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(base: str, code: str, text: str | None = None) -> dict[str, Any]:
    """A CodeableConcept from the project's code system."""
    out: dict[str, Any] = {"coding": [coding(project_system(base), code, PROJECT_CONCEPTS[code])]}
    if text:
        out["text"] = text
    return out


def code_system(base: str) -> dict[str, Any]:
    """The project's code system as a FHIR CodeSystem resource."""
    return {
        "resourceType": "CodeSystem",
        "id": "mtkb",
        "url": project_system(base),
        "name": "MtkbCodes",
        "title": "mtkb codes for recommendation strength and guideline grades",
        "status": "active",
        "experimental": False,
        "publisher": "mtkb",
        "description": "Codes for what HL7 Terminology does not name: the grading terms of "
        "Helsedirektoratet's guidelines, the strength of a recommendation, and whether that strength was "
        "stated by the guideline or inferred from its wording.",
        "caseSensitive": True,
        "content": "complete",
        "count": len(PROJECT_CONCEPTS),
        "concept": [{"code": code, "display": display} for code, display in PROJECT_CONCEPTS.items()],
    }
