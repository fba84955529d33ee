"""Choosing a representation: `?format=` first (for clients that cannot set headers), then `Accept`.
A request whose Accept names nothing we can produce gets 406."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from api import render
from api.access import current_build
from api.errors import ApiProblem
from api.serializers import jsonld

FORMATS = {"json": render.JSON, "jsonld": jsonld.JSONLD}
JSONLD_BUILDERS = {"recommendation", "guideline", "reference", "evidence"}


def choose(offered: list[str], format_param: str | None) -> str:
    """The media type to answer with, among `offered` (the first is the default). Raises ApiProblem 406."""
    if format_param:
        wanted = FORMATS.get(format_param, format_param)
        if wanted not in offered:
            raise ApiProblem(406, f"format {format_param!r} is not available here")
        return wanted
    if not request.headers.get("Accept"):
        return offered[0]
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        raise ApiProblem(
            406, "none of the media types in Accept can be served here; available: " + ", ".join(offered)
        )
    return best


def jsonld_for(record_type: str, record: dict[str, Any]) -> dict[str, Any]:
    if record_type == "recommendation":
        return jsonld.recommendation(record, current_build().record("guideline", record["guideline"]))
    if record_type == "guideline":
        return jsonld.guideline(record)
    if record_type == "reference":
        return jsonld.reference(record)
    return jsonld.evidence(record)


def negotiate_item(record_type: str, record: dict[str, Any], format_param: str | None) -> Response:
    """The record as JSON, or as JSON-LD where the type has a schema.org mapping."""
    offered = [render.JSON, jsonld.JSONLD] if record_type in JSONLD_BUILDERS else [render.JSON]
    chosen = choose(offered, format_param)
    if chosen == jsonld.JSONLD:
        return render.item(jsonld_for(record_type, record), mimetype=jsonld.JSONLD)
    return render.item(record)
