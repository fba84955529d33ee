"""Schema of a service (tilbud): where music therapy is offered, as data a patient website can filter on."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from mtkb.schemas.common import ItemSchema, Tuple

COUNTIES = (
    "Oslo",
    "Rogaland",
    "Møre og Romsdal",
    "Nordland",
    "Østfold",
    "Akershus",
    "Buskerud",
    "Innlandet",
    "Vestfold",
    "Telemark",
    "Agder",
    "Vestland",
    "Trøndelag",
    "Troms",
    "Finnmark",
)
"""Norway's counties in force since 1 January 2024 (Innst. 392 S (2021–2022); the 2020 mergers of Viken,
Vestfold og Telemark and Troms og Finnmark undone). An older name a source uses goes in `county_in_source`."""

LEVELS = ("kommune", "spesialisthelsetjeneste", "kriminalomsorg", "frivillig-ideell")
"""The level of the health and care services an offer belongs to; TSB (tverrfaglig spesialisert
rusbehandling) is part of the specialist health service, and private non-profit institutions that run TSB
on agreement with a health region are `spesialisthelsetjeneste` too."""

AREAS = ("rus", "psykisk helse")
SETTINGS = ("FACT", "ACT", "døgn", "poliklinikk", "lavterskel", "oppsøkende", "dagtilbud")
"""Team types (FACT/ACT) and settings (døgn, poliklinikk, lavterskel ...) an offer is given in."""

SERVICE_STATUSES = ("active", "ended", "unknown")
UNKNOWABLE = ("address", "phone", "opening_hours", "since", "capacity", "waiting_time", "contact")
"""What a service may list as unknown: never filled in from anything but a public source."""


def _choices(values: tuple[str, ...], **kwargs: Any) -> Tuple:
    return Tuple(fields.String(validate=validate.OneOf(values)), load_default=(), **kwargs)


def _year() -> fields.Integer:
    return fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1950, 2100)
    )


class ServiceSchema(ItemSchema):
    organisation = fields.String(required=True, validate=validate.Length(min=1, max=300))
    unit = fields.String(load_default=None, allow_none=True)
    municipality = fields.String(load_default=None, allow_none=True)
    county = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(COUNTIES))
    county_in_source = fields.String(load_default=None, allow_none=True)
    levels = _choices(LEVELS)
    areas = _choices(AREAS)
    settings = _choices(SETTINGS)
    target_groups = Tuple(fields.String(), load_default=())
    since = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1950, 2100)
    )
    status = fields.String(load_default="unknown", validate=validate.OneOf(SERVICE_STATUSES))
    as_of = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1950, 2100)
    )
    url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"})
    last_checked = fields.Date(required=True)
    unknown_fields = _choices(UNKNOWABLE, data_key="unknown")  # (Schema.unknown is marshmallow's own)
    reports = fields.List(fields.String(), dump_only=True)
    facts = fields.List(fields.String(), dump_only=True)

    @validates_schema
    def sourced(self, data: dict[str, Any], **_: Any) -> None:
        """A service needs at least one public source (a reference key), and a level."""
        if not data.get("references"):
            raise ValidationError(
                "list at least one reference: the public source of this service", "references"
            )
        if not data.get("levels"):
            raise ValidationError("give at least one level: " + ", ".join(LEVELS), "levels")
        if data.get("county_in_source") and not data.get("county"):
            raise ValidationError("give the current county beside the source's wording", "county")
