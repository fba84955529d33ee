"""Schema of an evidence summary: counts, which studies the participants belong to, outcomes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from mtkb.records import Outcome
from mtkb.schemas.common import BIBKEY, SLUG, ItemSchema, Tuple

COUNT = {"load_default": None, "allow_none": True, "strict": True, "validate": validate.Range(min=0)}
CERTAINTY = ("high", "moderate", "low", "very low", "unknown")


class OutcomeSchema(Schema):
    name = fields.String(required=True)
    measure = fields.String(required=True, validate=validate.OneOf(("SMD", "MD", "RR", "OR", "narrative")))
    value = fields.Float(load_default=None, allow_none=True)
    ci_low = fields.Float(load_default=None, allow_none=True)
    ci_high = fields.Float(load_default=None, allow_none=True)
    studies = fields.Integer(**COUNT)
    participants = fields.Integer(**COUNT)
    certainty = fields.String(load_default="unknown", validate=validate.OneOf(CERTAINTY))
    summary = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def interval_holds_value(self, data: dict[str, Any], **_: Any) -> None:
        low, high, value = data.get("ci_low"), data.get("ci_high"), data.get("value")
        if low is not None and high is not None and low > high:
            raise ValidationError("ci_low is above ci_high", "ci_low")
        if None not in (low, high, value) and not low <= value <= high:
            raise ValidationError("value lies outside its confidence interval", "value")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Outcome:
        return Outcome(**data)


class EvidenceSchema(ItemSchema):
    authors = Tuple(fields.String(), load_default=())
    organisation = fields.String(load_default=None, allow_none=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(1900, 2100))
    status = fields.String(required=True, validate=validate.OneOf(("preliminary", "published")))
    published = fields.Boolean(required=True)
    design = fields.String(required=True)
    population = fields.String(load_default=None, allow_none=True)
    studies = fields.Integer(**COUNT)
    controlled_studies = fields.Integer(**COUNT)
    participants = fields.Integer(**COUNT)
    participants_scope = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(("all", "controlled"))
    )
    search_date = fields.Date(load_default=None, allow_none=True)
    outcomes = Tuple(fields.Nested(OutcomeSchema), load_default=())
    superseded_by = fields.String(load_default=None, allow_none=True, validate=SLUG)
    reference = fields.String(load_default=None, allow_none=True, validate=BIBKEY)
    supersedes = fields.List(fields.String(), dump_only=True)

    @validates_schema
    def counts_agree(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("authors") and not data.get("organisation"):
            raise ValidationError("give authors or an organisation", "authors")
        studies, controlled = data.get("studies"), data.get("controlled_studies")
        if studies is not None and controlled is not None and controlled > studies:
            raise ValidationError("more controlled studies than studies", "controlled_studies")
        if data.get("participants") is not None and data.get("participants_scope") is None:
            raise ValidationError(
                "say which studies the participants belong to (all or controlled)", "participants_scope"
            )
