"""Schema of a guideline item."""

from marshmallow import fields, validate

from mtkb.schemas.common import BIBKEY, ItemSchema


class GuidelineSchema(ItemSchema):
    publisher = fields.String(required=True)
    identifier = fields.String(required=True, allow_none=True, validate=validate.Regexp(r"^IS-\d+$"))
    year = fields.Integer(required=True, strict=True, validate=validate.Range(1900, 2100))
    published = fields.Date(load_default=None, allow_none=True)
    url = fields.Url(required=True, allow_none=True)
    reference = fields.String(load_default=None, allow_none=True, validate=BIBKEY)
    recommendations_total = fields.Integer(load_default=None, allow_none=True, strict=True)
    licence = fields.String(required=True)
    attribution = fields.String(required=True)
    recommendations = fields.List(fields.String(), dump_only=True)
