"""/search: one query over every knowledge item and reference."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, request
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import citing, models
from api.access import current_build
from api.intext import format_prose
from api.params import SearchArgs, SearchExportArgs, SearchOrExportArgs, read_args
from api.render import json_response, license_links, rights
from index import SearchRequest
from index.request import MAX_RESULT_WINDOW

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
        "corrected": models.nullable(
            rx.String,
            description="The corrected query that was searched instead, because `query` found nothing",
        ),
        "relaxed": models.nullable(
            rx.Raw,
            description="Set when requiring every word found nothing: {minimum_should_match, words}, "
            "the hits have at least that many of the query's content words",
        ),
        "ignored": rx.List(rx.String, description="Stop words of the query that were not required"),
    },
)

FILTER_NAMES = ("doi", "grade", "strength", "lang", "decade")


@ns.route("")
class Search(Resource):
    @ns.doc(params=models.params(SearchArgs), responses=models.ERRORS)
    @ns.response(200, "Hits, facets and a suggestion", result)
    def get(self) -> Response:
        """Search in plain words ("music therapy for addiction": stop words are not required; every content
        word, else at least two thirds of them, as `relaxed` says; a misspelt query that finds nothing
        searches its correction, as `corrected` says), or with whoosh's query language: AND, OR, NOT,
        "phrases", word~, title:, author:, year:[2010 TO 2020], type:, grade:, strength:, lang:. A DOI in
        `q` or `doi` finds its reference. `Link` headers page through the hits. Adding
        `format=bibtex|ris|csljson` exports the references found and cited instead (as /search/export)."""
        args = read_args(SearchOrExportArgs)
        if args["format"] != "json":
            return export_hits(args)
        search = SearchRequest(
            q=args["q"],
            type=args["type"],
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
            facets=args["facets"],
            highlights=args["highlight"],
            **{name: args[name] for name in FILTER_NAMES},
        )
        build = current_build()
        found = build.search(search)
        result = found.to_json()
        records = []
        for hit in result["hits"]:  # citations in snippets, formatted in the hit's language
            record = build.record(hit["type"], hit["id"]) or {}
            records.append(record)
            if hit.get("snippet") and hit["type"] != "reference":
                hit["snippet"] = format_prose(hit["snippet"], record.get("lang"), plain=True)
        result["rights"] = rights(records)  # NLOD and its attribution when a hit is Helsedirektoratet's
        response = json_response(result)
        links = page_links(found.total, found.page, found.per_page)
        response.headers["Link"] = ", ".join(links + license_links(result["rights"]))
        return response


def page_links(total: int, number: int, per_page: int) -> list[str]:
    """RFC 8288 first/prev/next/last links for a page of search hits (up to the last page that may be
    asked for)."""
    last = max(1, min(-(-total // per_page), MAX_RESULT_WINDOW // per_page))
    kept = urlencode([(k, v) for k, v in request.args.items() if k != "page"])  # encoded once, not per link
    base = f"{request.base_url}?{kept}&page=" if kept else f"{request.base_url}?page="
    links = []
    for rel, target in (("first", 1), ("prev", number - 1), ("next", number + 1), ("last", last)):
        if 1 <= target <= last and not (rel in ("prev", "next") and target == number):
            links.append(f'<{base}{target}>; rel="{rel}"')
    return links


def cited_keys(record: dict[str, Any]) -> list[str]:
    """The references a knowledge item rests on, each once: its own reference, those it lists and cites,
    and (a recommendation) its guideline's and the document citing it."""
    keys = [
        *([record["reference"]] if record.get("reference") else []),
        *([record["citation_reference"]] if record.get("citation_reference") else []),
        *record.get("references", ()),
        *record.get("guideline_references", ()),
        *(c["key"] for c in record.get("citations", ())),
    ]
    return list(dict.fromkeys(keys))


def export_hits(args: dict[str, Any]) -> Response:
    """The references among the hits and those the knowledge-item hits cite, in ranking order, each once
    (at most EXPORT_LIMIT), in an export format."""
    build = current_build()
    keys: dict[str, None] = {}
    for number in range(1, EXPORT_LIMIT // EXPORT_PAGE + 1):
        search = SearchRequest(
            q=args["q"],
            type=args["type"],
            sort=args["sort"],
            page=number,
            per_page=EXPORT_PAGE,
            facets=False,
            highlights=False,
            **{name: args[name] for name in FILTER_NAMES},
        )
        found = build.search(search)
        for hit in found.hits:
            if hit.type == "reference":
                keys[hit.id] = None
            else:
                keys.update(dict.fromkeys(cited_keys(build.record(hit.type, hit.id) or {})))
        if number * EXPORT_PAGE >= found.total or len(keys) >= EXPORT_LIMIT:
            break
    chosen = [key for key in keys if build.record("reference", key) is not None][:EXPORT_LIMIT]
    response = citing.export(citing.references(chosen), citing.EXPORT_FORMATS[args["format"]])
    extension = {"bibtex": "bib", "ris": "ris", "csljson": "json"}[args["format"]]
    response.headers["Content-Disposition"] = f'attachment; filename="mtkb-search.{extension}"'
    return response


@ns.route("/export")
class SearchExport(Resource):
    @ns.doc(params=models.params(SearchExportArgs), responses=models.ERRORS)
    @ns.produces([*citing.EXPORT_FORMATS.values(), "application/problem+json"])
    @ns.response(200, "The reference hits as a BibTeX, RIS or CSL-JSON file")
    def get(self) -> Response:
        """Every reference the query finds, and the references cited by the knowledge items it finds
        (at most 1000, in ranking order), as a file for a reference manager. `/search?format=` answers
        the same."""
        return export_hits(read_args(SearchExportArgs))
