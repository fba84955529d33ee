"""/: where everything is, the content version, licences and attribution."""

from __future__ import annotations

from flask import Response, url_for
from flask_restx import Namespace, Resource

from api.access import current_build
from api.render import hdir_rights, json_response, project_rights

ns = Namespace("root", path="/", description="Entry point")
DESCRIPTION = "Knowledge base and citation API for the evidence on music therapy in substance use treatment"
COLLECTIONS = (
    "recommendations",
    "guidelines",
    "evidence",
    "reports",
    "facts",
    "references",
    "search",
    "health",
)


@ns.route("/")
class Root(Resource):
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
