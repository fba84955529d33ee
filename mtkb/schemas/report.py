"""Schema of a user-experience report."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from mtkb.records import Informants
from mtkb.schemas.common import BIBKEY, SLUG, ItemSchema, Tuple, count


class InformantsSchema(Schema):
    users = count()
    staff = count()
    total = count()

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Informants:
        return Informants(**data)


class ReportSchema(ItemSchema):
    reference = fields.String(required=True, validate=BIBKEY)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(1900, 2100))
    setting = fields.String(required=True)
    institution = fields.String(load_default=None, allow_none=True)
    municipality = fields.String(load_default=None, allow_none=True)
    service = fields.String(load_default=None, allow_none=True, validate=SLUG)
    method = fields.String(load_default=None, allow_none=True)
    informants = fields.Nested(InformantsSchema, load_default=None, allow_none=True)
    themes = Tuple(fields.String(), load_default=())
