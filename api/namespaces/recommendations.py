"""/recommendations: filters, and `expand` for the whole evidence picture in one response."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, g
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import citing, models, render
from api.access import current_build, get_record
from api.errors import ApiProblem
from api.namespaces import bibliography
from api.namespaces.collections import updated_filter
from api.namespaces.versions import add_version_routes, permalink, version_of
from api.negotiation import choose, negotiate_item
from api.params import (
    CitationArgs,
    RecommendationCitationArgs,
    RecommendationItemArgs,
    RecommendationListArgs,
    read_args,
)
from api.render import json_response, page
from api.serializers import jsonld
from api.serializers.fhir import FHIR_JSON
from index.analysis import match_fold
from mtkb.citations import Formatted, cite_recommendation
from mtkb.citations.recommendation import HELSEDIREKTORATET, CitedVersion
from mtkb.records import Reference

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
            k: newer[k]
            for k in (
                "id",
                "title",
                "year",
                "studies",
                "controlled_studies",
                "participants",
                "participants_scope",
            )
        } | {"counts_text": newer.get("counts_text") or {}}
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
    @ns.doc(params=models.params(RecommendationItemArgs), responses=models.ERRORS)
    @ns.produces(
        [
            "application/json",
            "application/ld+json",
            FHIR_JSON,
            "text/x-bibliography",
            "application/problem+json",
        ]
    )
    @ns.response(200, "The recommendation (JSON, JSON-LD), or its citation (text/x-bibliography)", model)
    def get(self, ident: str) -> Response:
        args = read_args(RecommendationItemArgs)
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
        offered = [render.JSON, jsonld.JSONLD, FHIR_JSON, citing.BIBLIOGRAPHY]
        if choose(offered, args["format"]) != citing.BIBLIOGRAPHY:
            return negotiate_item("recommendation", rec, args["format"])
        # DOI-style negotiation: Accept text/x-bibliography; style=apa; locale=en-GB → its citation
        params = citing.accept_params(citing.BIBLIOGRAPHY)
        for name in ("style", "locale"):
            if args[name] is None:
                args[name] = params.get(name)
        formatted, ref, *_ = _cite(ident, args)
        response = Response(formatted.bibliography_text, content_type=f"{citing.BIBLIOGRAPHY}; charset=utf-8")
        response.headers.update(citing.warning_headers([ref] if ref else []))
        return response


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
        "warnings": rx.List(rx.Nested(models.citation_warning(ns)), required=True),
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
        formatted, ref, style, locale, accessed = _cite(ident, args)
        html = args["format"] == "html"
        return json_response(
            {
                "id": ident,
                "style": style,
                "locale": locale,
                "format": args["format"],
                "accessed": accessed.isoformat(),
                "citation": formatted.bibliography_html if html else formatted.bibliography_text,
                "intext": formatted.intext_html if html else formatted.intext_text,
                "warnings": citing.incomplete([ref] if ref else []),
            }
        )


def _cite(ident: str, args: dict[str, Any]) -> tuple[Formatted, Reference | None, str, str, date]:
    """The recommendation's citation as `args` (style, locale, accessed) ask, with the reference that
    describes its page (if it has one), the canonical style and locale and the access date. Raises
    NotFound, ApiProblem (400) for an empty style or locale, CitationError (400) for unknown ones."""
    data = get_record("recommendation", ident)
    build = current_build()
    rec = build.item("recommendation", ident)
    guideline = build.item("guideline", data["guideline"])
    ref_key = data.get("citation_reference")
    ref = build.citations.reference(ref_key) if ref_key else None
    wanted = args["style"] if args["style"] is not None else HELSEDIREKTORATET
    own = wanted.strip().lower() == HELSEDIREKTORATET
    style, locale = citing.style_and_locale("apa" if own else wanted, args["locale"])
    style = HELSEDIREKTORATET if own else style
    accessed = args["accessed"] or date.today()
    if args["accessed"] is None:
        g.memo = False  # "today" changes at midnight
    cited = None
    if args.get("version") is not None:
        version = version_of("recommendation", ident, args["version"])
        day = date.fromisoformat(version.date[:10])
        cited = CitedVersion(version.n, day, permalink("recommendation", ident, version.n))
    formatted = cite_recommendation(rec, ref, guideline, style, locale, accessed, cited)  # type: ignore[arg-type]
    return formatted, ref, style, locale, accessed


@ns.route("/<string:ident>/bibliography")
@ns.param("ident", "The recommendation's id")
class RecommendationBibliography(Resource):
    @ns.doc(params=models.params(CitationArgs), responses=models.ERRORS)
    @ns.response(200, "The references behind the recommendation, formatted", bibliography.result)
    def get(self, ident: str) -> Response:
        """The references behind a recommendation as one bibliography in a style and locale."""
        args = read_args(CitationArgs)
        rec = get_record("recommendation", ident)
        keys = reference_keys(rec)
        return bibliography.bibliography(
            keys, args["style"], args["locale"], args["format"], args["accessed"]
        )


add_version_routes(ns, "recommendation")
