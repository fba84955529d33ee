"""A new knowledge item's Markdown file, written from its marshmallow schema (`mtkb new TYPE ID`).

Every required field is there. What the editor knows already is filled in (id, type, lang `nb`, today as
`updated`, verification `unverified`); a field that may be null is null, the data model's "not known"; a
field with an `unknown` choice says `unknown`; every other value is the word `unknown`, to be replaced by
the value once it is looked up (`mtkb check` refuses it where the field takes a number, a date, a choice or
another item's id). A comment beside each says what the field takes.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from marshmallow import Schema, fields, validate

from mtkb import ITEM_TYPES
from mtkb.errors import MtkbError
from mtkb.schemas import schema_for

FOLDERS = {
    "guideline": "guidelines",
    "recommendation": "recommendations",
    "evidence": "evidence",
    "report": "reports",
    "fact": "facts",
    "service": "services",
}
"""The folder of kb/ that holds each item type."""


def folder(item_type: str) -> str:
    """The folder of kb/ for `item_type` (a type added later: its plural, as most are)."""
    return FOLDERS.get(item_type, f"{item_type}s")


UNKNOWN = "unknown"
ALSO = {"evidence": ("authors",), "service": ("references", "levels")}
"""Optional fields a type's schema-wide rules ask for (evidence needs authors or an organisation, a service
its public source and a level)."""
SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_OR_DATE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Values written without quotes (ids, words, dates): YAML reads them as the same strings."""


def _hint(field: fields.Field) -> str:
    """What the field takes, in a few words, for the comment beside it."""
    for rule in field.validators:
        if isinstance(rule, validate.OneOf):
            return "one of: " + ", ".join(str(c) for c in rule.choices)
    if isinstance(field, fields.Boolean):
        return "true or false"
    if isinstance(field, fields.Date):
        return "a date, YYYY-MM-DD"
    if isinstance(field, fields.Integer):
        return "a whole number"
    if isinstance(field, fields.Url):
        return "the address, https://..."
    if isinstance(field, fields.List):
        return "a list"
    return ""


def _value(name: str, field: fields.Field) -> Any:
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        return _mapping(field.schema)
    if isinstance(field, fields.List):
        return [UNKNOWN]
    if field.allow_none:
        return None
    return UNKNOWN


def _mapping(schema: Schema, also: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        name: _value(name, field)
        for name, field in schema.fields.items()
        if (field.required or name in also) and not field.dump_only
    }


def _lines(schema: Schema, data: dict[str, Any], indent: str = "") -> list[str]:
    """`data` as YAML lines, each field with a comment saying what it takes."""
    lines = []
    for name, value in data.items():
        field = schema.fields[name]
        hint = _hint(field) if name not in ("id", "type") else ""
        comment = f"  # {hint}" if hint else ""
        if isinstance(value, dict) and isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            lines.append(f"{indent}{name}:")
            lines += _lines(field.schema, value, indent + "  ")
        elif isinstance(value, list) and value:
            lines.append(f"{indent}{name}:{comment}")
            lines += [f"{indent}  - {_scalar(v)}" for v in value]
        else:
            lines.append(f"{indent}{name}: {_scalar(value)}{comment}")
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value == []:
        return "[]"
    return str(value) if SLUG_OR_DATE.match(str(value)) else json.dumps(value, ensure_ascii=False)


def skeleton(item_type: str, ident: str, today: date | None = None) -> str:
    """The Markdown file of a new item of `item_type` with id `ident`. Raises MtkbError for an unknown
    type or an id that is not a slug."""
    if item_type not in ITEM_TYPES:
        raise MtkbError(f"unknown item type {item_type!r}: use one of {', '.join(ITEM_TYPES)}")
    if not _is_slug(ident):
        raise MtkbError(f"{ident!r} is not an id: lowercase a-z, 0-9 and single '-'")
    schema = schema_for(item_type)
    also = ALSO.get(item_type, ())
    data = _mapping(schema, also)
    known = {
        "id": ident,
        "type": item_type,
        "lang": "nb",
        "updated": (today or date.today()).isoformat(),
        "verification": {"status": "unverified", "sources": []},
    }
    data.update({k: v for k, v in known.items() if k in data})
    for name, field in schema.fields.items():  # a choice that can say "not known" says it
        if name in data and data[name] == UNKNOWN:
            choices = next((r.choices for r in field.validators if isinstance(r, validate.OneOf)), ())
            data[name] = UNKNOWN if UNKNOWN in choices else data[name]
    return "---\n" + "\n".join(_lines(schema, data)) + "\n---\n\n"


def _is_slug(ident: str) -> bool:
    try:
        SLUG(ident)
    except Exception:
        return False
    return True
