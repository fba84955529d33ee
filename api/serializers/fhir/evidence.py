"""An evidence summary → FHIR R5 `Evidence` resources (docs/FHIR.md, "Evidence"): the summary's own
(its description, population, and how many studies and participants it counted), and one per outcome
with its statistic (type, value, 95 % confidence interval, studies, participants) and certainty. A value
that is unknown stays absent."""

from __future__ import annotations

import re
from typing import Any

from api.serializers.fhir.codes import (
    ATTRIBUTE_ESTIMATE_TYPE,
    CERTAINTY_RATING,
    CERTAINTY_RATINGS,
    CERTAINTY_TYPE,
    STATISTIC_TYPE,
    STATISTIC_TYPES,
    VARIABLE_ROLE,
    coding,
)
from api.serializers.fhir.ids import fhir_id

EXPOSURE = "music therapy"


def outcome_id(item_id: str, outcome: dict[str, Any]) -> str:
    """The id of an outcome's Evidence: the summary's id and the outcome's name as a slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", outcome["name"].lower()).strip("-")
    return fhir_id(f"{item_id}--{slug}")


def _variable(role: str, description: str) -> dict[str, Any]:
    return {"description": description, "variableRole": {"coding": [coding(VARIABLE_ROLE, role)]}}


def _sample_size(studies: int | None, participants: int | None) -> dict[str, Any]:
    size: dict[str, Any] = {}
    if studies is not None:
        size["numberOfStudies"] = studies
    if participants is not None:
        size["numberOfParticipants"] = participants
    return size


def _counts(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's counts as statistics without an effect: all studies, and the participants of the
    studies they were counted in (`participants_scope`)."""
    studies, controlled, participants = (
        item.get("studies"),
        item.get("controlled_studies"),
        item.get("participants"),
    )
    if item.get("participants_scope") == "controlled" and controlled is not None:
        out = []
        if studies is not None:
            out.append(
                {"description": f"{studies} studies included", "sampleSize": _sample_size(studies, None)}
            )
        text = f"{controlled} controlled studies"
        if participants is not None:
            text += f" with {participants} participants in total"
        out.append({"description": text, "sampleSize": _sample_size(controlled, participants)})
        return out
    size = _sample_size(studies, participants)
    if not size:
        return []
    parts = [
        f"{studies} studies" if studies is not None else None,
        f"{participants} participants" if participants is not None else None,
    ]
    return [{"description": ", ".join(p for p in parts if p), "sampleSize": size}]


def _statistic(outcome: dict[str, Any]) -> dict[str, Any]:
    stat: dict[str, Any] = {}
    if outcome.get("summary"):
        stat["description"] = outcome["summary"]
    known = STATISTIC_TYPES.get(outcome["measure"])
    if known and outcome.get("value") is not None:
        stat["statisticType"] = {"coding": [coding(STATISTIC_TYPE, *known)], "text": outcome["measure"]}
        stat["quantity"] = {"value": outcome["value"]}
        if outcome.get("ci_low") is not None and outcome.get("ci_high") is not None:
            stat["attributeEstimate"] = [
                {
                    "type": {"coding": [coding(ATTRIBUTE_ESTIMATE_TYPE, "C53324", "Confidence interval")]},
                    "level": 0.95,
                    "range": {"low": {"value": outcome["ci_low"]}, "high": {"value": outcome["ci_high"]}},
                }
            ]
    size = _sample_size(outcome.get("studies"), outcome.get("participants"))
    if size:
        stat["sampleSize"] = size
    return stat


def _common(item: dict[str, Any], base: str, rights: str) -> dict[str, Any]:
    out: dict[str, Any] = {"status": "active", "publisher": "mtkb", "copyright": rights}
    if item.get("reference"):
        out["citeAsReference"] = {"reference": f"Citation/{fhir_id(item['reference'])}"}
    return out


def evidence_resources(item: dict[str, Any], base: str, rights: str) -> list[dict[str, Any]]:
    """The summary's Evidence first, then one per outcome; `rights` is the licence text they carry."""
    population = _variable("population", item.get("population") or "not stated")
    summary_id = fhir_id(item["id"])
    outcomes = item.get("outcomes") or []
    summary: dict[str, Any] = {
        "resourceType": "Evidence",
        "id": summary_id,
        "url": f"{base}/Evidence/{summary_id}",
        "title": item["title"],
        **_common(item, base, rights),
        "variableDefinition": [population, _variable("exposure", EXPOSURE)],
    }
    if item.get("summary_en"):
        summary["description"] = item["summary_en"]
    if item.get("design"):
        summary["note"] = [{"text": f"Design: {item['design']}."}]
    counts = _counts(item)
    if counts:
        summary["statistic"] = counts
    if outcomes:
        summary["relatedArtifact"] = [
            {
                "type": "composed-of",
                "label": o["name"],
                "resource": f"{base}/Evidence/{outcome_id(item['id'], o)}",
            }
            for o in outcomes
        ]
    resources = [summary]
    for outcome in outcomes:
        ident = outcome_id(item["id"], outcome)
        resource: dict[str, Any] = {
            "resourceType": "Evidence",
            "id": ident,
            "url": f"{base}/Evidence/{ident}",
            "title": f"{item['title']}: {outcome['name']}",
            **_common(item, base, rights),
            "variableDefinition": [
                population,
                _variable("exposure", EXPOSURE),
                _variable("measuredVariable", outcome["name"]),
            ],
            "relatedArtifact": [{"type": "part-of", "resource": summary["url"]}],
        }
        stat = _statistic(outcome)
        if stat:
            resource["statistic"] = [stat]
        if outcome.get("certainty") in CERTAINTY_RATINGS:
            resource["certainty"] = [
                {
                    "type": {"coding": [coding(CERTAINTY_TYPE, "Overall", "Overall certainty")]},
                    "rating": {
                        "coding": [coding(CERTAINTY_RATING, *CERTAINTY_RATINGS[outcome["certainty"]])]
                    },
                }
            ]
        resources.append(resource)
    return resources
