"""marshmallow schemas: the single source of truth for what front matter may hold and what JSON says."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema

from mtkb import records
from mtkb.schemas.evidence import EvidenceSchema
from mtkb.schemas.fact import FactSchema
from mtkb.schemas.guideline import GuidelineSchema
from mtkb.schemas.recommendation import RecommendationSchema
from mtkb.schemas.reference import ReferenceSchema
from mtkb.schemas.report import ReportSchema
from mtkb.schemas.service import ServiceSchema

SCHEMAS: dict[str, type[Schema]] = {
    "guideline": GuidelineSchema,
    "recommendation": RecommendationSchema,
    "evidence": EvidenceSchema,
    "report": ReportSchema,
    "fact": FactSchema,
    "service": ServiceSchema,
    "reference": ReferenceSchema,
}

RECORDS: dict[str, type[records.Item]] = {
    "guideline": records.Guideline,
    "recommendation": records.Recommendation,
    "evidence": records.Evidence,
    "report": records.Report,
    "fact": records.Fact,
    "service": records.Service,
}

_instances = {name: cls() for name, cls in SCHEMAS.items()}


def schema_for(item_type: str) -> Schema:
    """The shared schema instance for an item type (schemas hold no per-call state)."""
    return _instances[item_type]


def make_item(item_type: str, loaded: dict[str, Any], **extra: Any) -> records.Item:
    """Build the record of `item_type` from what its schema loaded, plus body, citations and origin."""
    return RECORDS[item_type](**loaded, **extra)


__all__ = ["SCHEMAS", "RECORDS", "ReferenceSchema", "make_item", "schema_for"]
