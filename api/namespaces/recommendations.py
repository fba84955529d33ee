"""/recommendations: filters, and `expand` for the whole evidence picture in one response."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_restx import Namespace, Resource

from api import models
from api.access import current_build, get_record
from api.errors import ApiProblem
from api.namespaces.collections import updated_filter
from api.negotiation import negotiate_item
from api.params import ItemArgs, RecommendationListArgs, read_args
from api.render import page

ns = Namespace(
    "recommendations",
    description="Guideline recommendations on music therapy, with their grade "
    "and strength in the source's own terms",
)
model = models.for_type(ns, "recommendation")
EXPANSIONS = ("evidence", "references", "guideline")


def _matches(rec: dict[str, Any], args: dict[str, Any]) -> bool:
    return (
        (args["guideline"] is None or rec["guideline"] == args["guideline"])
        and (args["strength"] is None or rec["strength"]["value"] == args["strength"])
        and (args["grade"] is None or rec["grade"]["code"].lower() == args["grade"].lower())
        and (args["setting"] is None or args["setting"].lower() in (s.lower() for s in rec["settings"]))
        and (args["lang"] is None or rec["lang"] == args["lang"])
    )


def _evidence(build: Any, ident: str) -> dict[str, Any]:
    """An evidence record with its superseding item summarised, so a website can mark it."""
    record = dict(build.record("evidence", ident))
    if record.get("superseded_by"):
        newer = build.record("evidence", record["superseded_by"])
        record["superseded_by_item"] = {
            k: newer[k] for k in ("id", "title", "year", "studies", "participants")
        }
    return record


def expand(rec: dict[str, Any], wanted: set[str]) -> dict[str, Any]:
    """The recommendation with the linked records it names in `wanted` embedded under `expanded`."""
    build = current_build()
    out = dict(rec)
    expanded: dict[str, Any] = {}
    if "guideline" in wanted:
        expanded["guideline"] = build.record("guideline", rec["guideline"])
    if "evidence" in wanted:
        expanded["evidence_considered"] = [_evidence(build, e) for e in rec["evidence_considered"]]
        expanded["newer_evidence"] = [_evidence(build, e) for e in rec["newer_evidence"]]
    if "references" in wanted:
        keys = dict.fromkeys(
            [
                *rec["references"],
                *rec["guideline_references"],
                *([rec["citation_reference"]] if rec.get("citation_reference") else []),
                *(c["key"] for c in rec["citations"]),
            ]
        )
        expanded["references"] = [build.record("reference", k) for k in keys]
    corrections = [{"item_type": "recommendation", "item_id": rec["id"], **c} for c in rec["corrections"]]
    for group in ("evidence_considered", "newer_evidence"):
        for ev in expanded.get(group, []):
            corrections += [{"item_type": "evidence", "item_id": ev["id"], **c} for c in ev["corrections"]]
    expanded["corrections"] = corrections
    out["expanded"] = expanded
    return out


@ns.route("")
class RecommendationList(Resource):
    @ns.doc(params=models.params(RecommendationListArgs), responses=models.ERRORS)
    @ns.response(200, "A page of recommendations", models.page_of(ns, model))
    def get(self) -> Response:
        args = read_args(RecommendationListArgs)
        build = current_build()
        if args["guideline"] and build.record("guideline", args["guideline"]) is None:
            raise ApiProblem(
                400, f"unknown guideline {args['guideline']!r}", {"guideline": ["no such guideline"]}
            )
        records = sorted(build.of_type("recommendation"), key=lambda r: r["id"])
        return page(updated_filter([r for r in records if _matches(r, args)], args), args)


@ns.route("/<string:ident>")
@ns.param("ident", "The recommendation's id (an old id answers 301)")
class RecommendationItem(Resource):
    @ns.doc(params=models.params(ItemArgs), responses=models.ERRORS)
    @ns.response(200, "The recommendation", model)
    def get(self, ident: str) -> Response:
        args = read_args(ItemArgs)
        rec = get_record("recommendation", ident)
        wanted = {w.strip() for w in (args["expand"] or "").split(",") if w.strip()}
        unknown = wanted - set(EXPANSIONS)
        if unknown:
            raise ApiProblem(
                400,
                f"cannot expand {', '.join(sorted(unknown))}; choose from {', '.join(EXPANSIONS)}",
                {"expand": [f"unknown: {', '.join(sorted(unknown))}"]},
            )
        if wanted and args["format"] != "jsonld":
            rec = expand(rec, wanted)
        return negotiate_item("recommendation", rec, args["format"])
