"""/search: one query over every knowledge item and reference."""

from __future__ import annotations

from flask import Response
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import citing, models
from api.access import current_build
from api.errors import ApiProblem
from api.intext import format_prose
from api.params import SearchArgs, SearchExportArgs, SearchOrExportArgs, read_args
from api.render import json_response, license_links, rights
from index import SearchRequest

EXPORT_LIMIT = 1000
"""Most references one export of search results holds."""
EXPORT_PAGE = 100

ns = Namespace("search", description="Full-text search, Norwegian and English, with facets and highlights")
hit = ns.model(
    "Hit",
    {
        "type": rx.String(required=True),
        "id": rx.String(required=True),
        "title": rx.String(required=True),
        "snippet": rx.String(description="HTML with <mark> around matched words; everything else escaped"),
        "score": models.nullable(rx.Float),
        "year": models.nullable(rx.Integer),
    },
)
result = ns.model(
    "SearchResult",
    {
        "query": rx.String(required=True),
        "total": rx.Integer(required=True),
        "page": rx.Integer(required=True),
        "per_page": rx.Integer(required=True),
        "hits": rx.List(rx.Nested(hit), required=True),
        "facets": rx.Raw(description="Counts per value for type, decade, grade, strength and lang"),
        "suggestion": models.nullable(rx.String, description="A corrected query when this one finds little"),
        "rights": rx.List(rx.Nested(models.rights_model(ns)), description="Licences of what the hits show"),
    },
)


@ns.route("")
class Search(Resource):
    @ns.doc(params=models.params(SearchArgs), responses=models.ERRORS)
    @ns.response(200, "Hits, facets and a suggestion", result)
    def get(self) -> Response:
        """Search with whoosh's query language: AND, OR, NOT, "phrases", title:, author:, year:[2010 TO 2020],
        type:, grade:, strength:, lang:. Adding `format=bibtex|ris|csljson` exports the reference hits
        instead (as /search/export does)."""
        args = read_args(SearchOrExportArgs)
        if args["format"] != "json":
            return export_hits(args)
        request = SearchRequest(
            q=args["q"],
            type=args["type"],
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
            facets=args["facets"],
            highlights=args["highlight"],
        )
        build = current_build()
        result = build.search(request).to_json()
        records = []
        for hit in result["hits"]:  # citations in snippets, formatted in the hit's language
            record = build.record(hit["type"], hit["id"]) or {}
            records.append(record)
            if hit.get("snippet") and hit["type"] != "reference":
                hit["snippet"] = format_prose(hit["snippet"], record.get("lang"), plain=True)
        result["rights"] = rights(records)  # NLOD and its attribution when a hit is Helsedirektoratet's
        response = json_response(result)
        response.headers["Link"] = ", ".join(license_links(result["rights"]))
        return response


def export_hits(args: dict) -> Response:
    """Every reference hit (at most EXPORT_LIMIT, in ranking order) in an export format."""
    if args["type"] not in (None, "reference"):
        raise ApiProblem(400, "only references can be exported; use type=reference or no type")
    keys: list[str] = []
    for number in range(1, EXPORT_LIMIT // EXPORT_PAGE + 1):
        request = SearchRequest(
            q=args["q"],
            type="reference",
            sort=args["sort"],
            page=number,
            per_page=EXPORT_PAGE,
            facets=False,
            highlights=False,
            suggest=False,
        )
        found = current_build().search(request)
        keys += [hit.id for hit in found.hits]
        if len(keys) >= found.total:
            break
    response = citing.export(citing.references(keys), citing.EXPORT_FORMATS[args["format"]])
    extension = {"bibtex": "bib", "ris": "ris", "csljson": "json"}[args["format"]]
    response.headers["Content-Disposition"] = f'attachment; filename="mtkb-search.{extension}"'
    return response


@ns.route("/export")
class SearchExport(Resource):
    @ns.doc(params=models.params(SearchExportArgs), responses=models.ERRORS)
    @ns.produces([*citing.EXPORT_FORMATS.values(), "application/problem+json"])
    @ns.response(200, "The reference hits as a BibTeX, RIS or CSL-JSON file")
    def get(self) -> Response:
        """Every reference the query finds (at most 1000, in ranking order) as a file for a reference
        manager. `/search?format=` answers the same."""
        return export_hits(read_args(SearchExportArgs))
