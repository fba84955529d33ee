"""flask-restx models for the OpenAPI document, generated from the marshmallow schemas so the two
cannot drift apart (marshmallow stays the source of truth; these only describe)."""

from __future__ import annotations

from typing import Any

from flask_restx import Model, Namespace
from flask_restx import fields as rx
from marshmallow import Schema, validate
from marshmallow import fields as ma

from mtkb.schemas import SCHEMAS

ERRORS = {
    400: "Invalid parameter or query (problem+json)",
    404: "Unknown id (problem+json)",
    406: "Requested format not available (problem+json)",
}

_SIMPLE: list[tuple[type[ma.Field], type[rx.Raw]]] = [
    (ma.Boolean, rx.Boolean),
    (ma.Integer, rx.Integer),
    (ma.Float, rx.Float),
    (ma.Date, rx.Date),
    (ma.DateTime, rx.DateTime),
    (ma.String, rx.String),
]


_NULLABLE: dict[type[rx.Raw], type[rx.Raw]] = {}


def _nullable(cls: type[rx.Raw]) -> type[rx.Raw]:
    """`cls` whose schema says `x-nullable: true` (Swagger 2.0 has no null type; tools read the extension)."""
    if cls not in _NULLABLE:

        def schema(self: rx.Raw) -> dict[str, Any]:
            return {**cls.schema(self), "x-nullable": True}

        _NULLABLE[cls] = type(f"Nullable{cls.__name__}", (cls,), {"schema": schema})
    return _NULLABLE[cls]


def _field(ns: Namespace, field: ma.Field) -> rx.Raw:
    made = _plain_field(ns, field)
    if field.allow_none and not isinstance(made, rx.Nested):
        made.__class__ = _nullable(type(made))
    return made


def _plain_field(ns: Namespace, field: ma.Field) -> rx.Raw:
    kwargs: dict[str, Any] = {
        "required": bool(field.required),
        "description": field.metadata.get("description"),
    }
    if isinstance(field, ma.Nested):
        nested = field.nested
        schema_cls = nested if isinstance(nested, type) else type(nested)
        return rx.Nested(model_for_schema(ns, schema_cls), allow_null=True, **kwargs)
    if isinstance(field, ma.List):
        return rx.List(_field(ns, field.inner), **kwargs)
    if isinstance(field, ma.Url):
        return rx.String(**kwargs, example="https://example.org/")
    if isinstance(field, ma.Function | ma.Method) and field.metadata.get("type") == "string":
        return rx.String(**kwargs)
    for ma_type, rx_type in _SIMPLE:
        if isinstance(field, ma_type):
            return rx_type(**kwargs)
    return AnyValue(**kwargs)


class AnyValue(rx.Raw):
    """A value of any JSON type (a fact's value is a number or a string)."""

    __schema_type__ = None


def model_for_schema(ns: Namespace, schema_cls: type[Schema]) -> Model:
    """The restx model describing what `schema_cls` dumps, registered on `ns` (nested models too)."""
    name = schema_cls.__name__.removesuffix("Schema")
    if name in ns.models:
        return ns.models[name]
    schema = schema_cls()
    props = {(f.data_key or n): _field(ns, f) for n, f in schema.fields.items() if not f.load_only}
    return ns.model(name, props)


def for_type(ns: Namespace, record_type: str) -> Model:
    return model_for_schema(ns, SCHEMAS[record_type])


def rights_model(ns: Namespace) -> Model:
    return ns.model(
        "Rights",
        {
            "holder": rx.String,
            "licence": rx.String,
            "url": rx.String,
            "attribution": rx.String,
            "applies_to": rx.String,
        },
    )


def page_of(ns: Namespace, model: Model, key: str = "items") -> Model:
    return ns.model(
        f"PageOf{model.name}",
        {
            "total": rx.Integer(required=True),
            "page": rx.Integer(required=True),
            "per_page": rx.Integer(required=True),
            key: rx.List(rx.Nested(model), required=True),
            "rights": rx.List(rx.Nested(rights_model(ns)), required=True),
        },
    )


def nullable(cls: type[rx.Raw], **kwargs: Any) -> rx.Raw:
    """A restx field of type `cls` documented as nullable."""
    return _nullable(cls)(**kwargs)


def params(schema_cls: type[Schema]) -> dict[str, dict[str, Any]]:
    """OpenAPI query parameters for an args schema."""
    out = {}
    for name, field in schema_cls().fields.items():
        kind = (
            "integer"
            if isinstance(field, ma.Integer)
            else "boolean"
            if isinstance(field, ma.Boolean)
            else "string"
        )
        spec: dict[str, Any] = {
            "in": "query",
            "type": kind,
            "description": field.metadata.get("description", name),
        }
        for validator in field.validators:
            if isinstance(validator, validate.OneOf):
                spec["enum"] = list(validator.choices)
            if isinstance(validator, validate.Range):
                if validator.min is not None:
                    spec["minimum"] = validator.min
                if validator.max is not None:
                    spec["maximum"] = validator.max
        if isinstance(field, ma.Date):
            spec["format"] = "date"
        if field.required:
            spec["required"] = True
        out[name] = spec
    return out


def citation_warning(ns: Namespace) -> Model:
    """One warning of a citation response: a reference with fields no public record confirms."""
    return ns.model(
        "CitationWarning",
        {
            "key": rx.String(required=True, description="The incomplete reference"),
            "unknown": rx.List(rx.String, required=True, description="Its unknown fields"),
            "message": rx.String(required=True),
        },
    )
