"""/search: one query over every knowledge item and reference."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import models
from api.access import current_build
from api.params import SearchArgs, read_args
from api.render import json_response
from index import SearchRequest

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
    },
)


@ns.route("")
class Search(Resource):
    @ns.doc(params=models.params(SearchArgs), responses=models.ERRORS)
    @ns.response(200, "Hits, facets and a suggestion", result)
    def get(self) -> Response:
        """Search with whoosh's query language: AND, OR, NOT, "phrases", title:, author:, year:[2010 TO 2020],
        type:, grade:, strength:, lang:."""
        args = read_args(SearchArgs)
        request = SearchRequest(
            q=args["q"],
            type=args["type"],
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
            facets=args["facets"],
            highlights=args["highlight"],
        )
        return json_response(asdict(current_build().search(request)))
