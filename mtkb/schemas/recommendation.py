"""Schema of a recommendation item: wording, strength with its basis, grade in the source's own system."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from mtkb.records import Grade, Strength, Wording
from mtkb.schemas.common import (
    BIBKEY,
    SLUG,
    ItemSchema,
    Tuple,
    keys,
    plain_summary_field,
    required_summary,
    slugs,
)
from mtkb.upstream import quote_hash

GRADE_CODES = ("consensus", "A", "B", "C", "D", "unknown")


class WordingSchema(Schema):
    text = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("quoted", "unknown")))
    source = fields.Url(load_default=None, allow_none=True)
    sha256 = fields.Function(
        lambda w: quote_hash(w.text) if w.text else None,
        deserialize=str,
        load_default=None,
        allow_none=True,
        metadata={
            "type": "string",
            "description": "SHA-256 of the quoted text (NFC, spaces collapsed); when given, it must match",
        },
    )

    @validates_schema
    def quoted_has_text(self, data: dict[str, Any], **_: Any) -> None:
        if data["status"] == "quoted" and not data.get("text"):
            raise ValidationError("a quoted wording needs its text", "text")
        if data["status"] == "quoted" and not data.get("source"):
            raise ValidationError("a quoted wording needs the source it is quoted from", "source")
        if data["status"] == "unknown" and data.get("text"):
            raise ValidationError("an unknown wording has no text", "text")
        if data.get("sha256") and data["sha256"] != quote_hash(data.get("text") or ""):
            raise ValidationError("does not match the quoted text (was the quote changed?)", "sha256")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Wording:
        data.pop("sha256", None)
        return Wording(**data)


class StrengthSchema(Schema):
    value = fields.String(required=True, validate=validate.OneOf(("strong", "weak", "unknown")))
    basis = fields.String(required=True, validate=validate.OneOf(("stated", "inferred", "unknown")))
    source_words = fields.String(load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Strength:
        return Strength(**data)


class GradeSchema(Schema):
    system = fields.String(required=True)
    term = fields.String(required=True, allow_none=True)
    level = fields.String(load_default=None, allow_none=True)
    code = fields.String(required=True, validate=validate.OneOf(GRADE_CODES))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Grade:
        return Grade(**data)


class RecommendationSchema(ItemSchema):
    summary_en = required_summary()
    summary_nb = plain_summary_field(required=True)
    guideline = fields.String(required=True, validate=SLUG)
    wording = fields.Nested(WordingSchema, required=True)
    strength = fields.Nested(StrengthSchema, required=True)
    grade = fields.Nested(GradeSchema, required=True)
    settings = Tuple(fields.String(), load_default=())
    last_professional_change = fields.Date(load_default=None, allow_none=True)
    url = fields.Url(load_default=None, allow_none=True)
    citation_reference = fields.String(load_default=None, allow_none=True, validate=BIBKEY)
    licence = fields.String(required=True)
    attribution = fields.String(required=True)
    evidence_considered = slugs()
    newer_evidence = slugs()
    guideline_references = keys()
