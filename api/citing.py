"""Citations over HTTP: turning `style`, `locale`, `Accept` and `format` into calls of the citation
formatter (which knows nothing of HTTP), and the representations of references it can produce."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Response, request

from api.access import current_build
from api.errors import ApiProblem
from mtkb.citations import Formatted, resolve_locale, resolve_style, to_bibtex, to_csljson, to_ris
from mtkb.records import Reference

DEFAULT_STYLE = "apa"
DEFAULT_LOCALE = "nb-NO"
BIBLIOGRAPHY = "text/x-bibliography"
BIBTEX = "application/x-bibtex"
RIS = "application/x-research-info-systems"
CSLJSON = "application/vnd.citationstyles.csl+json"
EXPORT_FORMATS = {"bibtex": BIBTEX, "ris": RIS, "csljson": CSLJSON}
"""`format=` names of the export representations, as DOI content negotiation names them by media type."""


def accept_params(mediatype: str) -> dict[str, str]:
    """The parameters (`style`, `locale`) given with `mediatype` in the Accept header, if any."""
    for part in request.headers.get("Accept", "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        if pieces[0].lower() == mediatype:
            params = dict(p.split("=", 1) for p in pieces[1:] if "=" in p)
            return {k.strip().lower(): v.strip().strip('"') for k, v in params.items()}
    return {}


def style_and_locale(style: str | None, locale: str | None) -> tuple[str, str]:
    """Canonical style and locale ids (defaults, when not given at all: APA, nb-NO). Raises ApiProblem
    (400) for an empty value (`style=`: no silent default) and CitationError (400) when unknown."""
    given = {"style": style, "locale": locale}
    empty = {
        name: ["must not be empty"]
        for name, value in given.items()
        if value is not None and not value.strip()
    }
    if empty:
        raise ApiProblem(400, f"{' and '.join(empty)} must not be empty", empty)
    return resolve_style(style or DEFAULT_STYLE), resolve_locale(locale or DEFAULT_LOCALE)


def incomplete(refs: Sequence[Reference]) -> list[dict[str, Any]]:
    """A warning for each reference with fields no public record confirms (`unknown`): a citation of
    it is incomplete and should be checked before it is used."""
    return [
        {
            "key": ref.key,
            "unknown": list(ref.unknown),
            "message": f"incomplete reference {ref.key}: unknown {', '.join(ref.unknown)}",
        }
        for ref in refs
        if ref.unknown
    ]


def warning_headers(refs: Sequence[Reference]) -> dict[str, str]:
    """The `Warning` header (RFC 7234 form, code 299: a persistent warning) that a text representation
    carries for incomplete references, or none."""
    warnings = incomplete(refs)
    if not warnings:
        return {}
    return {"Warning": ", ".join(f'299 mtkb "{w["message"]}"' for w in warnings)}


def formatted(
    keys: Sequence[str], style: str, locale: str, accessed: date | None = None
) -> dict[str, Formatted]:
    return current_build().citations.formatted(keys, style, locale, accessed)


def references(keys: Sequence[str]) -> list[Reference]:
    store = current_build().citations
    return [store.reference(key) for key in keys]


def export(refs: list[Reference], mediatype: str) -> Response:
    """The references in an export format, written by the libraries (bibtexparser, rispy, marshmallow)."""
    if mediatype == BIBTEX:
        body = to_bibtex(refs)
    elif mediatype == RIS:
        body = to_ris(refs)
    else:
        body = to_csljson(refs)
    response = Response(body, mimetype=mediatype, content_type=f"{mediatype}; charset=utf-8")
    response.headers.update(warning_headers(refs))
    return response


def citation_body(
    ref: Reference, style: str, locale: str, fmt: str, entry: Formatted, accessed: date | None = None
) -> dict[str, Any]:
    html = fmt == "html"
    body = {
        "key": ref.key,
        "style": style,
        "locale": locale,
        "format": fmt,
        "bibliography": entry.bibliography_html if html else entry.bibliography_text,
        "intext": entry.intext_html if html else entry.intext_text,
        "warnings": incomplete([ref]),
    }
    if accessed:
        body["accessed"] = accessed.isoformat()
    return body


def text_format(value: str | None) -> str:
    if value in (None, "text", "html"):
        return value or "text"
    raise ApiProblem(400, f"format must be text or html; got {value!r}", {"format": ["text or html"]})
