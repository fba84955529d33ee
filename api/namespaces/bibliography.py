"""POST /bibliography: a formatted bibliography of several references, for guideline writers."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_restx import Namespace, Resource
from flask_restx import fields as rx
from marshmallow import ValidationError

from api import citing, models
from api.access import current_build
from api.bibliographies import BibliographyCache
from api.errors import ApiProblem
from api.params import BibliographyRequest
from api.render import json_response
from mtkb.citations import Formatted, format_bibliography
from mtkb.citations.engine import numbered

ns = Namespace("bibliography", description="Formatted bibliographies of several references")
request_model = ns.model(
    "BibliographyRequest",
    {
        "keys": rx.List(rx.String, required=True, description="Reference keys, in citation order"),
        "style": rx.String(description="CSL style (default apa)"),
        "locale": rx.String(description="default nb-NO"),
        "format": rx.String(enum=["text", "html"], description="default text"),
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
    },
)


def single_entry(key: str, style: str, locale: str) -> tuple[list[Formatted], str, str] | None:
    """A one-entry list in a style that does not number, assembled from the reference formatted on its own
    (pre-rendered for the core styles, else from the shared disk cache): formatting one reference alone is
    what a bibliography of one does. None when the style numbers (the entry's label is the engine's)."""
    if numbered(style):
        return None
    entry = citing.formatted([key], style, locale)[key]
    return [entry], entry.bibliography_text, f'<div class="csl-entry">{entry.bibliography_html}</div>'


def bibliography(keys: list[str], style: str | None, locale: str | None, fmt: str) -> Response:
    """The bibliography of `keys` (each known) formatted in `style` and `locale`."""
    style, locale = citing.style_and_locale(style, locale)
    cache: BibliographyCache = current_app.extensions["mtkb_bibliographies"]
    assembled = single_entry(keys[0], style, locale) if len(keys) == 1 else None
    entries, text, html = assembled or cache.get_or_format(
        (current_build().version, tuple(keys), style, locale),
        lambda: format_bibliography(citing.references(keys), style, locale),
    )
    as_html = fmt == "html"
    return json_response(
        {
            "style": style,
            "locale": locale,
            "format": fmt,
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
        return bibliography(list(dict.fromkeys(body["keys"])), body["style"], body["locale"], body["format"])
