"""/: where everything is, the content version, licences and attribution."""

from __future__ import annotations

from flask import Response, current_app, url_for
from flask_restx import Namespace, Resource

from api.access import current_build
from api.render import json_response

ns = Namespace("root", path="/", description="Entry point")
COLLECTIONS = ("recommendations", "guidelines", "evidence", "reports", "facts", "references", "search", "health")


@ns.route("/")
class Root(Resource):
    def get(self) -> Response:
        """Links to every collection, the content version, licences and attribution."""
        config = current_app.config
        base = url_for("api_v1.root_root", _external=True).rstrip("/")
        return json_response({
            "name": "mtkb",
            "description": "Knowledge base and citation API for the evidence on music therapy in substance use "
                           "treatment (Norway)",
            "content_version": current_build().version,
            "links": {name: f"{base}/{name}" for name in COLLECTIONS}
            | {"openapi": f"{base}/swagger.json", "docs": f"{base}/docs"},
            "licences": [
                {"applies_to": "the project's own text and data curation", "licence": config["PROJECT_LICENCE"],
                 "url": config["PROJECT_LICENCE_URL"]},
                {"applies_to": "Helsedirektoratet's content (recommendation wording, grading, guideline data)",
                 "licence": config["HDIR_LICENCE"], "url": config["HDIR_LICENCE_URL"],
                 "attribution": "Helsedirektoratet must be credited next to its content, which must not be altered"},
            ],
        })
