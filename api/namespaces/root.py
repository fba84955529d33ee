"""/: where everything is, the content version, licences and attribution."""

from __future__ import annotations

from flask import Response, url_for
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api.access import current_build
from api.render import hdir_rights, json_response, project_rights

ns = Namespace("root", path="/", description="Entry point")
DESCRIPTION = "Knowledge base and citation API for the evidence on music therapy in substance use treatment"
root_model = ns.model(
    "Root",
    {
        "name": rx.String(required=True),
        "description": rx.String(required=True),
        "content_version": rx.String(required=True),
        "links": rx.Raw(
            required=True, description="URL of every collection, the OpenAPI document and the docs"
        ),
        "licences": rx.List(
            rx.Raw, required=True, description="Licences and attribution that apply to the content"
        ),
    },
)
COLLECTIONS = (
    "recommendations",
    "guidelines",
    "evidence",
    "reports",
    "facts",
    "services",
    "references",
    "search",
    "health",
)


@ns.route("/")
class Root(Resource):
    @ns.response(200, "Where everything is", root_model)
    def get(self) -> Response:
        """Links to every collection, the content version, licences and attribution."""
        base = url_for("api_v1.root_root", _external=True).rstrip("/")
        return json_response(
            {
                "name": "mtkb",
                "description": DESCRIPTION,
                "content_version": current_build().version,
                "links": {name: f"{base}/{name}" for name in COLLECTIONS}
                | {"openapi": f"{base}/swagger.json", "docs": f"{base}/docs"},
                "licences": [project_rights(), hdir_rights()],
            }
        )
