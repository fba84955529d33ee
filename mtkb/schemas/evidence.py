"""Schema of an evidence summary: counts, which studies the participants belong to, outcomes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from mtkb.records import Outcome
from mtkb.schemas.common import BIBKEY, SLUG, ItemSchema, Tuple, count, plain_summary_field, required_summary

CERTAINTY = ("high", "moderate", "low", "very low", "unknown")


class OutcomeSchema(Schema):
    name = fields.String(required=True)
    measure = fields.String(required=True, validate=validate.OneOf(("SMD", "MD", "RR", "OR", "narrative")))
    value = fields.Float(load_default=None, allow_none=True)
    ci_low = fields.Float(load_default=None, allow_none=True)
    ci_high = fields.Float(load_default=None, allow_none=True)
    studies = count()
    participants = count()
    certainty = fields.String(load_default="unknown", validate=validate.OneOf(CERTAINTY))
    summary = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def interval_holds_value(self, data: dict[str, Any], **_: Any) -> None:
        low, high, value = data.get("ci_low"), data.get("ci_high"), data.get("value")
        if low is not None and high is not None and low > high:
            raise ValidationError("ci_low is above ci_high", "ci_low")
        if low is not None and high is not None and value is not None and not low <= value <= high:
            raise ValidationError("value lies outside its confidence interval", "value")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Outcome:
        return Outcome(**data)


class CountsTextSchema(Schema):
    """`17 studier; 863 deltakere i de 11 kontrollerte studiene`, generated from the counts (mtkb.counts)."""

    nb = fields.String()
    nn = fields.String()
    en = fields.String()


class EvidenceSchema(ItemSchema):
    summary_en = required_summary()
    summary_nb = plain_summary_field(required=True)
    authors = Tuple(fields.String(), load_default=())
    organisation = fields.String(load_default=None, allow_none=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(1900, 2100))
    status = fields.String(required=True, validate=validate.OneOf(("preliminary", "published")))
    published = fields.Boolean(required=True)
    design = fields.String(required=True)
    population = fields.String(load_default=None, allow_none=True)
    studies = count()
    controlled_studies = count()
    participants = count()
    participants_scope = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(("all", "controlled"))
    )
    search_date = fields.Date(load_default=None, allow_none=True)
    outcomes = Tuple(fields.Nested(OutcomeSchema), load_default=())
    superseded_by = fields.String(load_default=None, allow_none=True, validate=SLUG)
    reference = fields.String(load_default=None, allow_none=True, validate=BIBKEY)
    supersedes = fields.List(fields.String(), dump_only=True)
    counts_text = fields.Nested(
        CountsTextSchema,
        dump_only=True,
        metadata={
            "description": "The counts in words with the scope of the participants, by language "
            "(empty when the summary gives no counts)"
        },
    )

    @validates_schema(pass_original=True)
    def counts_agree(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        def given(*names: str) -> str:
            """The first of `names` the front matter has (so that the error has its line)."""
            present = original if isinstance(original, dict) else {}
            return next((name for name in names if name in present), names[0])

        if not data.get("authors") and not data.get("organisation"):
            raise ValidationError("give authors or an organisation", given("authors", "organisation"))
        studies, controlled = data.get("studies"), data.get("controlled_studies")
        if studies is not None and controlled is not None and controlled > studies:
            raise ValidationError("more controlled studies than studies", "controlled_studies")
        if data.get("participants") is not None and data.get("participants_scope") is None:
            raise ValidationError(
                "say which studies the participants belong to (all or controlled)",
                given("participants_scope", "participants"),
            )
