"""Services (tilbud): where music therapy is offered, filtered by county, municipality, level and setting."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_restx import Namespace, Resource

from api import models
from api.access import current_build, get_record
from api.namespaces.collections import updated_filter
from api.namespaces.versions import add_version_routes
from api.negotiation import negotiate_item
from api.params import PlainItemArgs, ServiceListArgs, read_args
from api.render import page

ns = Namespace(
    "services",
    description="Where music therapy is offered: services in municipalities, hospitals "
    "and non-profit institutions, each with its public sources",
)
service_model = models.for_type(ns, "service")


def _folded(value: str) -> str:
    return " ".join(value.casefold().split())


def matches(record: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether a service passes the list filters: county and municipality compare without case (so
    `vestland` finds Vestland), level and setting must be among the service's own."""
    for name in ("county", "municipality"):
        wanted = args.get(name)
        if wanted and _folded(record.get(name) or "") != _folded(wanted):
            return False
    if args.get("level") and args["level"] not in record["levels"]:
        return False
    return not (args.get("setting") and _folded(args["setting"]) not in map(_folded, record["settings"]))


@ns.route("")
class ServiceList(Resource):
    @ns.doc(params=models.params(ServiceListArgs), responses=models.ERRORS)
    @ns.response(200, "A page of services", models.page_of(ns, service_model))
    def get(self) -> Response:
        """Services, by id; filter by county, municipality, level and setting."""
        args = read_args(ServiceListArgs)
        records = sorted(current_build().of_type("service"), key=lambda r: r["id"])
        return page([r for r in updated_filter(records, args) if matches(r, args)], args)


@ns.route("/<string:ident>")
@ns.param("ident", "The id (an old id answers 301)")
class ServiceItem(Resource):
    @ns.doc(params=models.params(PlainItemArgs), responses=models.ERRORS)
    @ns.response(200, "The service", service_model)
    def get(self, ident: str) -> Response:
        """One service as JSON, or as schema.org JSON-LD (MedicalClinic with a MedicalTherapy)."""
        args = read_args(PlainItemArgs)
        return negotiate_item("service", get_record("service", ident), args.get("format"))


add_version_routes(ns, "service")
