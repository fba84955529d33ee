"""Schema of a fact: a statement with a value that websites show as data."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from mtkb.schemas.common import SLUG, ItemSchema


class ScalarField(fields.Field):
    """A number or a short string, kept as given."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str | int | float | None:
        if value is None or (isinstance(value, int | float | str) and not isinstance(value, bool)):
            return value
        raise ValidationError("must be a number or a string")


class FactSchema(ItemSchema):
    statement = fields.String(required=True, validate=validate.Length(min=1))
    value = ScalarField(required=True, allow_none=True)
    unit = fields.String(load_default=None, allow_none=True)
    year = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1900, 2100)
    )
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(("current", "historical")))
    service = fields.String(load_default=None, allow_none=True, validate=SLUG)
