"""POST /bibliography: a formatted bibliography of several references, for guideline writers."""

from __future__ import annotations

from datetime import date

from flask import Response, request
from flask_restx import Namespace, Resource
from flask_restx import fields as rx
from marshmallow import ValidationError

from api import citing, models
from api.access import current_build
from api.errors import ApiProblem
from api.params import BibliographyRequest
from api.render import json_response

ns = Namespace("bibliography", description="Formatted bibliographies of several references")
request_model = ns.model(
    "BibliographyRequest",
    {
        "keys": rx.List(rx.String, required=True, description="Reference keys, in citation order"),
        "style": rx.String(description="CSL style (default apa)"),
        "locale": rx.String(description="default nb-NO"),
        "format": rx.String(enum=["text", "html"], description="default text"),
        "accessed": rx.Date(description="The day web sources were read (printed where the style asks)"),
    },
)
entry = ns.model(
    "BibliographyEntry",
    {
        "key": rx.String(required=True),
        "bibliography": rx.String(required=True),
        "intext": rx.String(required=True),
    },
)
result = ns.model(
    "Bibliography",
    {
        "style": rx.String(required=True),
        "locale": rx.String(required=True),
        "format": rx.String(required=True),
        "entries": rx.List(
            rx.Nested(entry), required=True, description="Sorted or numbered as the style says"
        ),
        "bibliography": rx.String(required=True, description="The whole bibliography"),
        "accessed": rx.Date(description="The access date given"),
        "warnings": rx.List(
            rx.Nested(models.citation_warning(ns)),
            required=True,
            description="Incomplete references: fields no public record confirms",
        ),
    },
)


def bibliography(
    keys: list[str], style: str | None, locale: str | None, fmt: str, accessed: date | None = None
) -> Response:
    """The bibliography of `keys` (each known, in citation order) formatted in `style` and `locale`:
    sorted, disambiguated or numbered by the style (one engine run per distinct list, cached)."""
    style, locale = citing.style_and_locale(style, locale)
    entries, text, html = current_build().citations.bibliography(keys, style, locale, accessed)
    as_html = fmt == "html"
    extra = {"accessed": accessed.isoformat()} if accessed else {}
    return json_response(
        {
            "style": style,
            "locale": locale,
            "format": fmt,
            **extra,
            "warnings": citing.incomplete(citing.references(keys)),
            "entries": [
                {
                    "key": e.key,
                    "bibliography": e.bibliography_html if as_html else e.bibliography_text,
                    "intext": e.intext_html if as_html else e.intext_text,
                }
                for e in entries
            ],
            "bibliography": html if as_html else text,
        }
    )


@ns.route("")
class Bibliography(Resource):
    @ns.expect(request_model, validate=False)
    @ns.doc(responses={**models.ERRORS, 415: "The body is not JSON (problem+json)"})
    @ns.response(200, "The bibliography", result)
    def post(self) -> Response:
        """Format the references named in `keys` as one bibliography; unknown keys are a 400 listing each."""
        if not request.is_json:
            raise ApiProblem(415, "send the request as application/json")
        try:
            sent = request.get_json(silent=True)
        except RecursionError:  # (the json module's own limit, about 1,000 levels)
            raise ApiProblem(400, "the JSON body is nested too deeply") from None
        try:
            body = BibliographyRequest().load(sent or {})
        except ValidationError as exc:
            messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
            raise ApiProblem(400, "invalid request body: " + ", ".join(sorted(messages)), messages) from None
        build = current_build()
        unknown = [k for k in body["keys"] if build.record("reference", k) is None]
        if unknown:
            raise ApiProblem(
                400,
                f"unknown reference keys: {', '.join(unknown)}",
                {"keys": [f"unknown: {k}" for k in unknown]},
            )
        keys = list(dict.fromkeys(body["keys"]))
        return bibliography(keys, body["style"], body["locale"], body["format"], body["accessed"])
