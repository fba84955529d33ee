"""`/{collection}/{id}/versions` and `/{collection}/{id}/versions/{n}`: a record's versions, derived from
the content's git history at build time (mtkb.history), each a permalink whose data never changes."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import models
from api.access import current_build, get_record
from api.errors import ApiProblem
from api.params import PageArgs, read_args
from api.paths import COLLECTIONS
from api.render import json_response, page
from mtkb.history import Version


def permalink(record_type: str, ident: str, n: int) -> str:
    return f"{request.host_url.rstrip('/')}/api/v1/{COLLECTIONS[record_type]}/{ident}/versions/{n}"


def versions_of(record_type: str, ident: str) -> list[Version]:
    """The record's versions (404 for an unknown record, 301 for an old id)."""
    get_record(record_type, ident)
    return current_build().history().of(record_type, ident)


def version_of(record_type: str, ident: str, n: int) -> Version:
    """Version `n` of the record. Raises ApiProblem 404 for a version it never had."""
    for version in versions_of(record_type, ident):
        if version.n == n:
            return version
    raise ApiProblem(404, f"{record_type} {ident!r} has no version {n}")


def _summary(record_type: str, ident: str, version: Version) -> dict[str, Any]:
    return {
        "version": version.n,
        "date": version.date,
        "commit": version.commit,
        "professional": version.professional,
        "permalink": permalink(record_type, ident, version.n),
    }


def add_version_routes(ns: Namespace, record_type: str) -> None:
    """Register the two version routes of `record_type` on `ns` (whose path is the collection's)."""
    summary = ns.model(
        f"{record_type}_version",
        {
            "version": rx.Integer(required=True),
            "date": rx.String(required=True, description="The commit's date (ISO 8601)"),
            "commit": rx.String(required=True),
            "professional": rx.Boolean(
                required=True, description="Marked a change of substance (Professional-change trailer)"
            ),
            "permalink": rx.String(required=True),
        },
    )

    @ns.route("/<string:ident>/versions")
    @ns.param("ident", "The id (or BibTeX key)")
    class Versions(Resource):
        @ns.doc(params=models.params(PageArgs), responses=models.ERRORS)
        @ns.response(
            200, "Its versions, oldest first (none without git history)", models.page_of(ns, summary)
        )
        def get(self, ident: str) -> Response:
            args = read_args(PageArgs)
            listed = [_summary(record_type, ident, v) for v in versions_of(record_type, ident)]
            return page(listed, args, extra={"history": current_build().manifest.get("history")})

    @ns.route("/<string:ident>/versions/<int:n>")
    @ns.param("ident", "The id (or BibTeX key)")
    @ns.param("n", "The version number, from 1")
    class VersionItem(Resource):
        @ns.doc(responses=models.ERRORS)
        @ns.response(200, "The record as it was at that version, read by today's code")
        def get(self, ident: str, n: int) -> Response:
            version = version_of(record_type, ident, n)
            body = {
                "type": record_type,
                "id": ident,
                **_summary(record_type, ident, version),
                "source_path": version.path,
                "data": version.data,
                "problems": list(version.problems),
            }
            response = json_response(body)
            response.headers["Cache-Control"] = "public, max-age=86400"
            return response

    Versions.__name__, VersionItem.__name__ = f"{record_type}_versions", f"{record_type}_version_item"
