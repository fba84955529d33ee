"""/recommendations: filters, and `expand` for the whole evidence picture in one response."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, g
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import models
from api.access import current_build, get_record
from api.errors import ApiProblem
from api.namespaces import bibliography
from api.namespaces.collections import updated_filter
from api.negotiation import negotiate_item
from api.params import CitationArgs, ItemArgs, RecommendationCitationArgs, RecommendationListArgs, read_args
from api.render import json_response, page
from index.analysis import match_fold
from mtkb.citations import cite_recommendation, resolve_locale, resolve_style
from mtkb.citations.recommendation import HELSEDIREKTORATET

ns = Namespace(
    "recommendations",
    description="Guideline recommendations on music therapy, with their grade "
    "and strength in the source's own terms",
)
model = models.for_type(ns, "recommendation")
EXPANSIONS = ("evidence", "references", "guideline")


def _grades(rec: dict[str, Any]) -> set[str]:
    """The recommendation's grade as the API displays it, folded: its code and the source's own term."""
    return {match_fold(g) for g in (rec["grade"]["code"], rec["grade"]["term"]) if g}


def _check_values(records: list[dict[str, Any]], args: dict[str, Any]) -> None:
    """A 400 for a grade or setting no recommendation has (an empty list would look like "none match")."""
    known = {
        "grade": (
            {g for r in records for g in _grades(r)},
            {g for r in records for g in (r["grade"]["code"], r["grade"]["term"]) if g},
        ),
        "setting": (
            {match_fold(s) for r in records for s in r["settings"]},
            {s for r in records for s in r["settings"]},
        ),
    }
    for name, (folded, shown) in known.items():
        if args[name] is not None and match_fold(args[name]) not in folded:
            values = ", ".join(sorted(shown))
            raise ApiProblem(400, f"unknown {name} {args[name]!r}", {name: [f"one of: {values}"]})


def _matches(rec: dict[str, Any], args: dict[str, Any]) -> bool:
    return (
        (args["guideline"] is None or rec["guideline"] == args["guideline"])
        and (args["strength"] is None or rec["strength"]["value"] == args["strength"])
        and (args["grade"] is None or match_fold(args["grade"]) in _grades(rec))
        and (args["setting"] is None or match_fold(args["setting"]) in map(match_fold, rec["settings"]))
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


def reference_keys(rec: dict[str, Any]) -> list[str]:
    """Every reference the recommendation rests on, each once: its own, the guideline's list for it, the
    document that cites it, and those cited in its text."""
    citation = [rec["citation_reference"]] if rec.get("citation_reference") else []
    keys = [
        *rec["references"],
        *rec["guideline_references"],
        *citation,
        *(c["key"] for c in rec["citations"]),
    ]
    return list(dict.fromkeys(keys))


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
        expanded["references"] = [build.record("reference", k) for k in reference_keys(rec)]
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
        _check_values(records, args)
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


rec_citation = ns.model(
    "RecommendationCitation",
    {
        "id": rx.String(required=True),
        "style": rx.String(required=True),
        "locale": rx.String(required=True),
        "format": rx.String(required=True),
        "accessed": rx.Date(required=True),
        "citation": rx.String(required=True),
        "intext": rx.String(required=True),
    },
)


@ns.route("/<string:ident>/citation")
@ns.param("ident", "The recommendation's id")
class RecommendationCitation(Resource):
    @ns.doc(params=models.params(RecommendationCitationArgs), responses=models.ERRORS)
    @ns.response(200, "A citation of the recommendation itself", rec_citation)
    def get(self, ident: str) -> Response:
        """Cite the recommendation: by default in Helsedirektoratet's own form ("... (siste faglige endring
        24. januar 2017, lest <date>). Tilgjengelig fra <url>"), or in APA, Vancouver or any CSL style."""
        args = read_args(RecommendationCitationArgs)
        data = get_record("recommendation", ident)
        build = current_build()
        rec = build.item("recommendation", ident)
        guideline = build.item("guideline", data["guideline"])
        ref_key = data.get("citation_reference")
        ref = build.citations.reference(ref_key) if ref_key else None
        style = args["style"] if args["style"].lower() == HELSEDIREKTORATET else resolve_style(args["style"])
        locale = resolve_locale(args["locale"] or "nb-NO")
        accessed = args["accessed"] or date.today()
        formatted = cite_recommendation(rec, ref, guideline, style, locale, accessed)  # type: ignore[arg-type]
        html = args["format"] == "html"
        if args["accessed"] is None:
            g.memo = False  # "today" changes at midnight
        return json_response(
            {
                "id": ident,
                "style": style,
                "locale": locale,
                "format": args["format"],
                "accessed": accessed.isoformat(),
                "citation": formatted.bibliography_html if html else formatted.bibliography_text,
                "intext": formatted.intext_html if html else formatted.intext_text,
            }
        )


@ns.route("/<string:ident>/bibliography")
@ns.param("ident", "The recommendation's id")
class RecommendationBibliography(Resource):
    @ns.doc(params=models.params(CitationArgs), responses=models.ERRORS)
    @ns.response(200, "The references behind the recommendation, formatted", bibliography.result)
    def get(self, ident: str) -> Response:
        """The references behind a recommendation as one bibliography in a style and locale."""
        args = read_args(CitationArgs)
        rec = get_record("recommendation", ident)
        return bibliography.bibliography(reference_keys(rec), args["style"], args["locale"], args["format"])
