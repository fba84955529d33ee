"""Choosing a representation: `?format=` first (for clients that cannot set headers), then `Accept`.
A request whose Accept names nothing we can produce gets 406."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from api import citing, fhir, render
from api.access import current_build
from api.errors import ApiProblem
from api.serializers import jsonld
from api.serializers.fhir import FHIR_JSON

FORMATS = {
    "json": render.JSON,
    "jsonld": jsonld.JSONLD,
    "fhir": FHIR_JSON,
    "text": citing.BIBLIOGRAPHY,
    **citing.EXPORT_FORMATS,
}
JSONLD_BUILDERS = {"recommendation", "guideline", "reference", "evidence", "service"}
FHIR_BUILDERS = {"recommendation", "reference", "evidence"}


def _accepted() -> list[tuple[str, float]]:
    """Media ranges in Accept with their q values (parameters other than q ignored), best first."""
    ranges = []
    for position, part in enumerate(request.headers.get("Accept", "").split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((pieces[0].lower(), q, position))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(media, q) for media, q, _ in ranges]


def _matches(media_range: str, offered: str) -> bool:
    if media_range in ("*/*", offered):
        return True
    kind, _, sub = media_range.partition("/")
    return sub == "*" and offered.startswith(kind + "/")


def choose(offered: list[str], format_param: str | None) -> str:
    """The media type to answer with, among `offered` (the first is the default): `?format=` first, then
    the best match in Accept (parameters such as `style` may follow a media type). Raises ApiProblem 406."""
    if format_param:
        wanted = FORMATS.get(format_param, format_param)
        if wanted not in offered:
            raise ApiProblem(406, f"format {format_param!r} is not available here")
        return wanted
    accepted = _accepted()
    if not accepted:
        return offered[0]
    for media_range, q in accepted:
        if q <= 0:
            continue
        for candidate in offered:
            if _matches(media_range, candidate):
                return candidate
    raise ApiProblem(
        406, "none of the media types in Accept can be served here; available: " + ", ".join(offered)
    )


def jsonld_for(record_type: str, record: dict[str, Any]) -> dict[str, Any]:
    if record_type == "recommendation":
        return jsonld.recommendation(record, current_build().record("guideline", record["guideline"]))
    if record_type == "guideline":
        return jsonld.guideline(record)
    if record_type == "reference":
        return jsonld.reference(record)
    if record_type == "service":
        return jsonld.service(record)
    return jsonld.evidence(record)


def negotiate_item(record_type: str, record: dict[str, Any], format_param: str | None) -> Response:
    """The record as JSON, or as JSON-LD where the type has a schema.org mapping."""
    offered = [render.JSON, jsonld.JSONLD] if record_type in JSONLD_BUILDERS else [render.JSON]
    if record_type in FHIR_BUILDERS:
        offered.append(FHIR_JSON)
    chosen = choose(offered, format_param)
    if chosen == FHIR_JSON:
        return fhir.negotiated(record_type, record)
    if chosen == jsonld.JSONLD:
        return render.item(jsonld_for(record_type, record), mimetype=jsonld.JSONLD, source=record)
    return render.item(record)


def _given(query: str | None, accept: str | None) -> str | None:
    """The query parameter if given (even empty, which is an error), else the Accept parameter."""
    return query if query is not None else accept


def negotiate_reference(record: dict[str, Any], args: dict[str, Any]) -> Response:
    """A reference as JSON, JSON-LD, a formatted entry (text/x-bibliography; style=...; locale=...) or an
    export (BibTeX, RIS, CSL-JSON), as DOI resolvers negotiate."""
    offered = [render.JSON, jsonld.JSONLD, citing.BIBLIOGRAPHY, *citing.EXPORT_FORMATS.values(), FHIR_JSON]
    chosen = choose(offered, args.get("format"))
    if chosen == FHIR_JSON:
        return fhir.negotiated("reference", record)
    if chosen in (render.JSON, jsonld.JSONLD):
        return negotiate_item("reference", record, "jsonld" if chosen == jsonld.JSONLD else "json")
    if chosen == citing.BIBLIOGRAPHY:
        params = citing.accept_params(citing.BIBLIOGRAPHY)
        style, locale = citing.style_and_locale(
            _given(args.get("style"), params.get("style")), _given(args.get("locale"), params.get("locale"))
        )
        entry = citing.formatted([record["key"]], style, locale, args.get("accessed"))[record["key"]]
        response = Response(entry.bibliography_text, content_type=f"{citing.BIBLIOGRAPHY}; charset=utf-8")
        response.headers.update(citing.warning_headers(citing.references([record["key"]])))
        return response
    return citing.export(citing.references([record["key"]]), chosen)
