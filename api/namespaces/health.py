"""/health: is the service answering, from which content, and how old is its index."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api.access import current_build
from api.render import json_response

ns = Namespace("health", description="Service status")
health = ns.model(
    "Health",
    {
        "status": rx.String(required=True, enum=["ok"]),
        "content_version": rx.String(required=True),
        "build": rx.String(required=True),
        "built_at": rx.DateTime(required=True),
        "index_age_seconds": rx.Integer(required=True),
        "counts": rx.Raw(required=True, description="Records per type"),
        "history": rx.Raw(
            description="Where versions come from: status git (with head and commits), none or shallow "
            "(then every record is at version 1)"
        ),
    },
)


@ns.route("")
class Health(Resource):
    @ns.response(200, "The service is answering", health)
    @ns.response(503, "No index yet (problem+json)")
    def get(self) -> Response:
        """Status, content version, item counts and index age."""
        build = current_build()
        built = datetime.fromisoformat(build.manifest["built_at"])
        response = json_response(
            {
                "status": "ok",
                "content_version": build.version,
                "build": build.build_id,
                "built_at": build.manifest["built_at"],
                "index_age_seconds": int((datetime.now(UTC) - built).total_seconds()),
                "counts": build.manifest["counts"],
                "history": build.manifest.get("history", {"status": "none"}),
            }
        )
        response.headers["Cache-Control"] = "no-cache"
        return response
