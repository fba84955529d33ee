"""/health: is the service answering, from which content, and how old is its index."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from flask_restx import Namespace, Resource

from api.access import current_build
from api.render import json_response

ns = Namespace("health", description="Service status")


@ns.route("")
class Health(Resource):
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
            }
        )
        response.headers["Cache-Control"] = "no-cache"
        return response
