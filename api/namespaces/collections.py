"""The plain collections: guidelines, evidence, reports and facts (list with paging, item by id)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_restx import Namespace, Resource

from api import models
from api.access import current_build, get_record
from api.namespaces.versions import add_version_routes
from api.negotiation import negotiate_item
from api.params import PageArgs, PlainItemArgs, read_args
from api.render import page


def updated_filter(records: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    since = args.get("updated_since")
    if since is None:
        return records
    return [r for r in records if _edited(r) and _edited(r) >= since.isoformat()]


def _edited(record: dict[str, Any]) -> str | None:
    """When the record last changed: its last version's date (or the hand-written `updated`)."""
    edited: str | None = record.get("last_edited") or record.get("updated")
    return edited


def collection(name: str, record_type: str, description: str) -> Namespace:
    """A namespace at `/name` listing records of `record_type`, and `/name/<id>`."""
    ns = Namespace(name, description=description)
    model = models.for_type(ns, record_type)

    @ns.route("")
    class List(Resource):
        @ns.doc(params=models.params(PageArgs), responses=models.ERRORS)
        @ns.response(200, "A page of records", models.page_of(ns, model))
        def get(self) -> Response:
            args = read_args(PageArgs)
            records = sorted(current_build().of_type(record_type), key=lambda r: r["id"])
            return page(updated_filter(records, args), args)

    @ns.route("/<string:ident>")
    @ns.param("ident", "The id (an old id answers 301)")
    class Item(Resource):
        @ns.doc(params=models.params(PlainItemArgs), responses=models.ERRORS)
        @ns.response(200, "The record", model)
        def get(self, ident: str) -> Response:
            args = read_args(PlainItemArgs)
            return negotiate_item(record_type, get_record(record_type, ident), args.get("format"))

    List.__name__, Item.__name__ = f"{record_type}_list", f"{record_type}_item"
    add_version_routes(ns, record_type)
    return ns
