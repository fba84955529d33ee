"""Query parameters, declared as marshmallow schemas and read strictly: an unknown, repeated or
malformed parameter is a 400 problem naming it. Parameters starting with `_` (cache busters) are ignored."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import cache
from typing import Any

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from api import config
from api.errors import ApiProblem
from mtkb import ALL_TYPES
from mtkb.schemas.service import COUNTIES, LEVELS, SETTINGS

FORMAT_HELP = (
    "Representation for clients that cannot set Accept: json, jsonld, or fhir (FHIR R5, for references, "
    "evidence and recommendations); 406 for others"
)


PER_PAGE = validate.Range(min=1, max=config.MAX_PER_PAGE)
LATEST_TIMEZONE = timezone(timedelta(hours=14))
"""The first time zone to reach a new day (UTC+14): a date is in the future only when it is so everywhere."""


def not_in_future(day: date) -> None:
    """Raise ValidationError for a day that has not begun anywhere on Earth."""
    if day > datetime.now(LATEST_TIMEZONE).date():
        raise ValidationError("must not be in the future")


def accessed_field() -> fields.Date:
    """`accessed=YYYY-MM-DD`: the day the cited web pages were read (never a future date)."""
    return fields.Date(
        load_default=None,
        validate=not_in_future,
        metadata={"description": "The day web sources were read, YYYY-MM-DD (printed where the style asks)"},
    )


PROSE_STYLE_HELP = (
    "Citation style of the in-text citations in body_html and snippets (an alias such as apa, vancouver, "
    "harvard, or any CSL style); default APA in the item's language"
)


def prose_style() -> fields.String:
    return fields.String(load_default=None, metadata={"description": PROSE_STYLE_HELP})


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=PER_PAGE)
    updated_since = fields.Date(load_default=None, metadata={"description": "Only items updated on or after"})
    style = prose_style()


class FeedArgs(Schema):
    """What the change feeds read (they hold the latest changes: no pages)."""

    since = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={
            "description": "A content version seen before, or an RFC 3339 time (default: the beginning)"
        },
    )
    type = fields.String(
        load_default=None, validate=validate.OneOf(ALL_TYPES), metadata={"description": "Only this type"}
    )


class ChangesArgs(FeedArgs):
    """What /changes reads: the feed's parameters and a page."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=PER_PAGE)


class RecommendationListArgs(PageArgs):
    guideline = fields.String(load_default=None)
    strength = fields.String(load_default=None, validate=validate.OneOf(("strong", "weak", "unknown")))
    grade = fields.String(
        load_default=None, metadata={"description": "Normalised grade code, e.g. consensus, A"}
    )
    setting = fields.String(load_default=None)
    lang = fields.String(load_default=None, validate=validate.OneOf(("nb", "nn", "en")))


class ServiceListArgs(PageArgs):
    county = fields.String(
        load_default=None,
        validate=validate.OneOf(
            COUNTIES, error="must be one of the counties since 1 January 2024: {choices}"
        ),
        metadata={"description": "County (in force since 1 January 2024), e.g. Vestland"},
    )
    municipality = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    level = fields.String(load_default=None, validate=validate.OneOf(LEVELS))
    setting = fields.String(
        load_default=None, validate=validate.OneOf(SETTINGS), metadata={"description": "Team type or setting"}
    )

    @pre_load
    def county_as_written(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """A county matches whatever its case (`vestland`, `VESTLAND`): it is a name, not a code."""
        county = data.get("county")
        if isinstance(county, str):
            named = {c.casefold(): c for c in COUNTIES}
            data = {**data, "county": named.get(" ".join(county.split()).casefold(), county)}
        return data


class ReferenceListArgs(PageArgs):
    type = fields.String(load_default=None, metadata={"description": "BibTeX entry type, e.g. article"})
    year_from = fields.Integer(load_default=None)
    year_to = fields.Integer(load_default=None)
    author = fields.String(
        load_default=None, metadata={"description": "Part of an author's or editor's name"}
    )
    doi = fields.String(load_default=None)
    pmid = fields.String(load_default=None)


class ItemArgs(Schema):
    expand = fields.String(
        load_default=None, metadata={"description": "Comma-separated: evidence, references, guideline"}
    )
    format = fields.String(load_default=None, metadata={"description": FORMAT_HELP})
    style = prose_style()


class PlainItemArgs(Schema):
    format = fields.String(load_default=None, metadata={"description": FORMAT_HELP})
    style = prose_style()


class ReferenceItemArgs(Schema):
    format = fields.String(
        load_default=None,
        metadata={
            "description": "json, jsonld, fhir, text (a formatted entry), bibtex, ris or csljson "
            "(406 for others)"
        },
    )
    style = fields.String(
        load_default=None, metadata={"description": "CSL style for format=text (default apa)"}
    )
    locale = fields.String(
        load_default=None, metadata={"description": "nb-NO, nn-NO, en-US or en-GB (default nb-NO)"}
    )
    accessed = accessed_field()


class RecommendationItemArgs(ItemArgs):
    """A recommendation answers `format=text` (or Accept text/x-bibliography) with its own citation."""

    style = fields.String(
        load_default=None,
        metadata={"description": "For a citation: helsedirektoratet (default) or any style"},
    )
    locale = fields.String(load_default=None, metadata={"description": "For a citation (default nb-NO)"})
    accessed = accessed_field()


class CitationArgs(Schema):
    style = fields.String(
        load_default=None,
        metadata={
            "description": "apa, vancouver, harvard, chicago, nature, "
            "norsk-apa-manual or any installed CSL file"
        },
    )
    locale = fields.String(
        load_default=None, metadata={"description": "nb-NO, nn-NO, en-US or en-GB (default nb-NO)"}
    )
    format = fields.String(load_default="text", validate=validate.OneOf(("text", "html")))
    accessed = accessed_field()


class RecommendationCitationArgs(CitationArgs):
    style = fields.String(
        load_default="helsedirektoratet",
        metadata={
            "description": "helsedirektoratet (Helsedirektoratet's own form, the default), apa, vancouver "
            "or any CSL style"
        },
    )
    accessed = fields.Date(
        load_default=None,
        validate=not_in_future,
        metadata={"description": "Access date, YYYY-MM-DD (default today)"},
    )
    version = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "Cite this version (its permalink and date go into the citation)"},
    )


class StylesArgs(Schema):
    q = fields.String(load_default=None, metadata={"description": "Part of a style's id or title"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=PER_PAGE)


class BibliographyRequest(Schema):
    keys = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=1, max=500),
    )
    style = fields.String(load_default=None)
    locale = fields.String(load_default=None)
    format = fields.String(load_default="text", validate=validate.OneOf(("text", "html")))
    accessed = accessed_field()


class SearchFilterArgs(Schema):
    """The filters /search and /search/export share, in the terms the API displays; an unknown value is a
    400 naming the values there are (checked by the index, which knows them)."""

    doi = fields.String(
        load_default=None,
        metadata={"description": "A DOI, also as https://doi.org/... or doi:...: the reference with it"},
    )
    grade = fields.String(
        load_default=None,
        metadata={"description": "Grade code or the source's own term: consensus, Konsensus, A"},
    )
    strength = fields.String(
        load_default=None, metadata={"description": "Recommendation strength: strong, weak (sterk, svak)"}
    )
    lang = fields.String(load_default=None, metadata={"description": "Language: nb, nn, en"})
    decade = fields.String(load_default=None, metadata={"description": "Decade of the year, e.g. 2010s"})


class SearchArgs(SearchFilterArgs):
    q = fields.String(
        load_default="",
        metadata={
            "description": "Query: plain words (stop words not required; every word, else at least two "
            'thirds of them), or AND OR NOT, "phrases", field:value, word~ (see the README)'
        },
    )
    type = fields.String(load_default=None, validate=validate.OneOf(ALL_TYPES))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(("relevance", "year", "-year")))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=None, validate=PER_PAGE)
    facets = fields.Boolean(load_default=True)
    highlight = fields.Boolean(load_default=True)
    style = prose_style()


class SearchExportArgs(SearchFilterArgs):
    q = fields.String(load_default="", metadata={"description": "Query, as for /search"})
    type = fields.String(
        load_default=None,
        validate=validate.OneOf(ALL_TYPES),
        metadata={"description": "Only hits of this type (a knowledge item exports the references it cites)"},
    )
    sort = fields.String(load_default="relevance", validate=validate.OneOf(("relevance", "year", "-year")))
    format = fields.String(
        required=True,
        validate=validate.OneOf(("bibtex", "ris", "csljson")),
        metadata={"description": "bibtex, ris or csljson"},
    )


class SearchOrExportArgs(SearchArgs):
    """What /search reads: its own parameters, and `format` for an export of the hits (the same as
    /search/export, for links that only change `format`)."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "bibtex", "ris", "csljson")))


@cache
def _instance(schema: type[Schema]) -> Schema:
    """One instance per schema class: creating one costs more than loading a request's parameters."""
    return schema()


def read_args(schema: type[Schema]) -> dict[str, Any]:
    """The request's query parameters loaded with `schema`. Raises ApiProblem (400) naming each problem."""
    raw: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in request.args:
        if name.startswith("_"):
            continue
        values = request.args.getlist(name)
        if len(values) > 1:
            errors[name] = ["given more than once"]
        raw[name] = values[0]
    loader = _instance(schema)
    known = loader.fields
    for name in raw:
        if name not in known:
            errors[name] = [f"unknown parameter; parameters here are: {', '.join(sorted(known))}"]
    if errors:
        raise ApiProblem(400, "invalid parameters: " + ", ".join(sorted(errors)), errors)
    try:
        args: dict[str, Any] = loader.load(raw)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        raise ApiProblem(400, "invalid parameters: " + ", ".join(sorted(messages)), messages) from None
    if "per_page" in args:
        maximum = current_app.config["MAX_PER_PAGE"]
        if args["per_page"] is None:
            args["per_page"] = current_app.config["DEFAULT_PER_PAGE"]
        elif args["per_page"] > maximum:
            raise ApiProblem(400, f"per_page may be at most {maximum}", {"per_page": [f"at most {maximum}"]})
    return args
