"""/references: the bibliography, filters, and which knowledge items cite a reference."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import citing, models
from api.access import current_build, get_record
from api.errors import ApiProblem
from api.namespaces.collections import updated_filter
from api.namespaces.versions import add_version_routes
from api.negotiation import negotiate_reference
from api.params import CitationArgs, PageArgs, ReferenceItemArgs, ReferenceListArgs, read_args
from api.render import json_response, page
from index.analysis import match_fold
from index.filters import normalise_doi
from mtkb import ITEM_TYPES

ns = Namespace("references", description="Bibliographic references (BibTeX entries); the key is the id")
model = models.for_type(ns, "reference")


def _matches(ref: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether `ref` passes the filters. Names compare folded both ways (Hamalainen, Hämäläinen and
    Haemaelaeinen are one name), DOIs without their resolver address and case."""
    year = ref.get("year")
    parts = ("particle", "family", "given", "literal")
    names = match_fold(
        " ".join(" ".join(p.get(part) or "" for part in parts) for p in [*ref["authors"], *ref["editors"]])
    )
    return (
        (args["type"] is None or ref["entry_type"] == args["type"].lower())
        and (args["year_from"] is None or (year is not None and year >= args["year_from"]))
        and (args["year_to"] is None or (year is not None and year <= args["year_to"]))
        and (args["author"] is None or match_fold(args["author"]) in names)
        and (args["doi"] is None or (ref.get("doi") or "").lower() == normalise_doi(args["doi"]))
        and (args["pmid"] is None or ref.get("pmid") == args["pmid"])
    )


@ns.route("")
class ReferenceList(Resource):
    @ns.doc(params=models.params(ReferenceListArgs), responses=models.ERRORS)
    @ns.response(200, "A page of references", models.page_of(ns, model))
    def get(self) -> Response:
        args = read_args(ReferenceListArgs)
        records = sorted(current_build().of_type("reference"), key=lambda r: r["key"])
        types = {r["entry_type"] for r in records}
        if args["type"] is not None and args["type"].lower() not in types:
            known = ", ".join(sorted(types))
            raise ApiProblem(400, f"unknown type {args['type']!r}", {"type": [f"one of: {known}"]})
        return page(updated_filter([r for r in records if _matches(r, args)], args), args)


@ns.route("/<path:key>")
@ns.param("key", "The BibTeX key")
class ReferenceItem(Resource):
    @ns.doc(params=models.params(ReferenceItemArgs), responses=models.ERRORS)
    @ns.produces(
        [
            "application/json",
            "application/ld+json",
            citing.BIBLIOGRAPHY,
            *citing.EXPORT_FORMATS.values(),
            "application/problem+json",
        ]
    )
    @ns.response(
        200, "The reference (JSON), or as negotiated: a formatted entry, BibTeX, RIS, CSL-JSON", model
    )
    def get(self, key: str) -> Response:
        """Content negotiation as DOI resolvers do it: Accept `text/x-bibliography; style=apa;
        locale=nb-NO`, `application/x-bibtex`, `application/x-research-info-systems`,
        `application/vnd.citationstyles.csl+json`, or `?format=`."""
        args = read_args(ReferenceItemArgs)
        return negotiate_reference(get_record("reference", key), args)


citation = ns.model(
    "FormattedCitation",
    {
        "key": rx.String(required=True),
        "style": rx.String(required=True),
        "locale": rx.String(required=True),
        "format": rx.String(required=True, enum=["text", "html"]),
        "bibliography": rx.String(required=True, description="The bibliography entry"),
        "intext": rx.String(required=True, description="The in-text citation"),
        "accessed": rx.Date(description="The access date given, printed where the style asks"),
        "warnings": rx.List(rx.Nested(models.citation_warning(ns)), required=True),
    },
)


@ns.route("/<path:key>/citation")
@ns.param("key", "The BibTeX key")
class ReferenceCitation(Resource):
    @ns.doc(params=models.params(CitationArgs), responses=models.ERRORS)
    @ns.response(200, "The bibliography entry and the in-text citation", citation)
    def get(self, key: str) -> Response:
        """The reference formatted in a CSL style and locale, as text or HTML."""
        args = read_args(CitationArgs)
        get_record("reference", key)
        style, locale = citing.style_and_locale(args["style"], args["locale"])
        entry = citing.formatted([key], style, locale, args["accessed"])[key]
        (ref,) = citing.references([key])
        return json_response(
            citing.citation_body(ref, style, locale, args["format"], entry, args["accessed"])
        )


citing_item = ns.model(
    "CitingItem",
    {"type": rx.String(required=True), "id": rx.String(required=True), "title": rx.String(required=True)},
)


@ns.route("/<path:key>/cited-by")
@ns.param("key", "The BibTeX key")
class ReferenceCitedBy(Resource):
    @ns.doc(params=models.params(PageArgs), responses=models.ERRORS)
    @ns.response(200, "The knowledge items that cite the reference", models.page_of(ns, citing_item))
    def get(self, key: str) -> Response:
        """Every knowledge item that cites or rests on this reference."""
        args = read_args(PageArgs)
        ref = get_record("reference", key)
        build = current_build()
        items = []
        for ident in ref["cited_by"]:
            for record_type in ITEM_TYPES:
                record = build.record(record_type, ident)
                if record is not None:
                    items.append({"type": record_type, "id": ident, "title": record["title"]})
        return page(items, args)


add_version_routes(ns, "reference")
