"""Version 1 of the API: the blueprint at /api/v1 and its flask-restx Api with every namespace."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask_restx import Api

from api.errors import to_problem
from api.namespaces import (
    bibliography,
    changes,
    fhir,
    health,
    recommendations,
    references,
    root,
    search,
    services,
    styles,
)
from api.namespaces.collections import collection


class ProblemApi(Api):
    """An Api whose every error goes through `api.errors.to_problem` (not restx's own error shape)."""

    def handle_error(self, e: Exception) -> Any:
        return to_problem(e)

    def render_root(self) -> Any:
        """restx claims the blueprint's root for itself; answer it with the documented root resource."""
        return root.Root().get()


def init_app(app: Flask) -> None:
    blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")
    api = ProblemApi(
        blueprint,
        version="1.0",
        title="mtkb API",
        description="Guideline recommendations, evidence grades, study summaries and references on music "
        "therapy in substance use treatment (Norway). Read-only, keyless, CORS open.",
        doc="/docs",
        default_mediatype="application/json",
    )
    api.add_namespace(root.ns, path="")
    api.add_namespace(recommendations.ns)
    api.add_namespace(collection("guidelines", "guideline", "National guidelines"))
    api.add_namespace(
        collection("evidence", "evidence", "Evidence summaries: reviews, meta-analyses, overviews")
    )
    api.add_namespace(collection("reports", "report", "Norwegian user-experience reports"))
    api.add_namespace(collection("facts", "fact", "Key figures and procedure codes"))
    api.add_namespace(services.ns)
    api.add_namespace(references.ns)
    api.add_namespace(bibliography.ns)
    api.add_namespace(styles.ns)
    api.add_namespace(search.ns)
    api.add_namespace(health.ns)
    api.add_namespace(changes.ns)
    api.add_namespace(fhir.ns, path="/fhir/R5")
    for mediatype in (
        "application/problem+json",
        "application/ld+json",
        "text/x-bibliography",
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/vnd.citationstyles.csl+json",
        "application/fhir+json",
    ):
        api.representations.setdefault(mediatype, api.representations["application/json"])
    app.register_blueprint(blueprint)
