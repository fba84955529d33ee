"""The pages for people: search at `/`, one page per item, the privacy statement, and the embeddable widget.

Pages are rendered on the server with Jinja (autoescaped) from the same build the JSON API answers from, so
they work without JavaScript. The scripts in `api/static` only add what needs a browser: citing, copying and
exporting, through the public JSON API. Every page carries a strict Content-Security-Policy (scripts and
styles from this origin only, nothing inline, Trusted Types), which `api.http` leaves in place.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from api import citing
from api.access import current_build, get_record
from api.namespaces.recommendations import expand
from api.paths import COLLECTIONS
from index import SearchRequest
from mtkb import ALL_TYPES, ITEM_TYPES
from mtkb.citations import CORE_STYLES, LOCALES, cite_recommendation
from mtkb.citations.engine import numbered, safe_html
from mtkb.errors import CitationError, IndexUnavailable, MtkbError, NotFound, QueryError

HERE = Path(__file__).resolve().parent
LABELS: dict[str, dict[str, Any]] = json.loads((HERE / "templates" / "labels.json").read_text("utf-8"))
UI_LANGS = tuple(LABELS)
"""Languages of the page furniture; `?lang=en` switches from the default, Norwegian (bokmål)."""

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types mtkb-sanitise"
)
"""CSP of our pages: nothing inline, nothing from elsewhere. The one Trusted Types policy parses citation
HTML into an inert document that `site.js` copies from tag by tag (see `sanitise` there)."""

FILTERS = {"type": "type", "decade": "decade", "grade": "grade", "strength": "strength", "language": "lang"}
"""Search page parameters that filter, and the facet and query field each stands for."""
_FILTER_VALUE = re.compile(r"^[A-Za-z0-9]{1,20}$")
STYLE_NAMES = {
    "apa": "APA 7",
    "nlm-citation-sequence": "Vancouver",
    "harvard-cite-them-right": "Harvard",
    "chicago-author-date": "Chicago",
    "nature": "Nature",
    "norsk-apa-manual": "Norsk APA",
}
"""Short names for the style menus; the API's /styles has the full titles of these and every other style."""
SORTS = ("relevance", "-year", "year")
PER_PAGE = 10
MAX_PAGE = 1000
LOG_RETENTION_DAYS = 14
"""Privacy statement default when the deployment sets no ACCESS_LOG_RETENTION_DAYS."""

_NUMBER = re.compile(r'<span class="csl-left-margin">[^<]*</span>\s*')
"""A numeric style's own "1." before an entry: our lists number their entries themselves."""

bp = Blueprint("pages", __name__, static_folder="static", static_url_path="/static")


def ui_lang() -> str:
    lang = request.args.get("lang", "")
    return lang if lang in UI_LANGS else UI_LANGS[0]


def link(endpoint: str, **values: Any) -> str:
    """`url_for` that keeps the page language."""
    if ui_lang() != UI_LANGS[0]:
        values.setdefault("lang", ui_lang())
    return url_for(endpoint, **values)


def item_link(record_type: str, ident: str) -> str:
    return link(f"pages.{record_type}", ident=ident)


def lang_switch_url() -> str:
    """This page in the other language."""
    args: dict[str, Any] = request.args.to_dict()
    other = LABELS[ui_lang()]["other_lang"]
    args.pop("lang", None)
    if other != UI_LANGS[0]:
        args["lang"] = other
    return url_for(request.endpoint or "pages.search", **(request.view_args or {}), **args)


_static_versions: dict[str, str] = {}


def static_url(filename: str) -> str:
    """The static file's URL with a content hash, so a changed file is never served from a stale cache."""
    if filename not in _static_versions:
        digest = hashlib.sha1((HERE / "static" / filename).read_bytes(), usedforsecurity=False)
        _static_versions[filename] = digest.hexdigest()[:10]
    return url_for("pages.static", filename=filename, v=_static_versions[filename])


def fmt_date(value: str | None) -> str:
    """An ISO date as people write it: `24. januar 2017`, `24 January 2017`."""
    if not value:
        return ""
    day = date.fromisoformat(value[:10])
    month = LABELS[ui_lang()]["months"][day.month - 1]
    return f"{day.day}. {month} {day.year}" if ui_lang() == "nb" else f"{day.day} {month} {day.year}"


def fmt_num(value: float | int | None, decimals: int | None = None) -> str:
    """A number with the page language's decimal sign and a real minus sign; `decimals` fixes the places."""
    if value is None:
        return ""
    text = f"{value:.{decimals}f}" if decimals is not None else str(value)
    if ui_lang() == "nb":
        text = text.replace(".", ",")
    return text.replace("-", "\u2212")


def http_url(value: str | None) -> str | None:
    """`value` if it is an http(s) URL, else None: content never gets to choose a `javascript:` link."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe="/:;()._-")


def person(p: dict[str, Any]) -> str:
    if p.get("literal"):
        return str(p["literal"])
    family = " ".join(x for x in (p.get("particle"), p.get("family")) if x)
    return ", ".join(x for x in (family, p.get("given"), p.get("suffix")) if x)


def page_window(current: int, last: int) -> list[int | None]:
    """Page numbers to offer: the first, the last and two either side of `current`; None marks a gap."""
    wanted = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    out: list[int | None] = []
    for number in wanted:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


TEMPLATE_HELPERS: tuple[Callable[..., Any], ...] = (link, item_link, static_url, lang_switch_url, fmt_date)
TEMPLATE_HELPERS += (fmt_num, http_url, doi_url, person, page_window)
"""Functions every page template may call (registered as template globals by `init_app`)."""


def render(template: str, status: int = 200, **context: Any) -> Response:
    lang = ui_lang()
    defaults = {"chosen_style": CORE_STYLES[0], "chosen_locale": LABELS[lang]["default_locale"]}
    return make_response(
        render_template(
            template,
            t=LABELS[lang],
            ui=lang,
            config=current_app.config,
            today=date.today().isoformat(),
            FILTERS=FILTERS,
            styles=[(style, STYLE_NAMES.get(style, style)) for style in CORE_STYLES],
            locales=[(code, LABELS[lang]["locales"].get(code, code)) for code in LOCALES],
            **(defaults | context),
        ),
        status,
    )


def _request(q: str, filters: dict[str, str], skip: str | None = None, **options: Any) -> SearchRequest:
    """The search for `q` with the page's filters as the index's filter parameters (not ANDed into the query
    text, which would turn plain words into a boolean formula), without the filter `skip`."""
    given: dict[str, Any] = {FILTERS[name]: value for name, value in filters.items() if name != skip}
    return SearchRequest(q, **given, **options)


@bp.get("/")
def search() -> BaseResponse:
    args = request.args
    q = args.get("q", "").strip()
    filters = {n: v for n in FILTERS if _FILTER_VALUE.fullmatch(v := args.get(n, "").strip())}
    if filters.get("type") not in (None, *ALL_TYPES):
        del filters["type"]
    sort = args.get("sort", "relevance")
    sort = sort if sort in SORTS else "relevance"
    number = int(args["page"]) if args.get("page", "").isdigit() else 1
    number = min(max(number, 1), MAX_PAGE)
    build = current_build()
    try:
        result = build.search(_request(q, filters, sort=sort, page=number, per_page=PER_PAGE))
        facets = dict(result.facets)
        for name in filters:  # each active filter's own facet counts without it, so it can be changed
            counts = build.search(_request(q, filters, skip=name, per_page=1, highlights=False))
            facets[FILTERS[name]] = counts.facets[FILTERS[name]]
    except QueryError as exc:
        return render("search.html", 400, q=q, filters=filters, sort=sort, error=str(exc), result=None)
    hits = []
    for hit in result.hits:
        record = build.record(hit.type, hit.id) or {}
        hits.append({"hit": hit, "lang": record.get("lang", "nb"), "url": item_link(hit.type, hit.id)})
    last = max(1, -(-result.total // PER_PAGE))
    given: dict[str, Any] = {FILTERS[name]: value for name, value in filters.items()}
    export = {
        fmt: url_for("api_v1.search_search_export", q=result.corrected or q, sort=sort, format=fmt, **given)
        for fmt in ("bibtex", "ris")
    }
    search_args = {k: v for k, v in {"q": q, **filters, "sort": sort}.items() if v and v != "relevance"}

    def search_url(**changes: Any) -> str:
        """This search with `changes` (None removes a parameter); back to page 1 unless a page is given."""
        return link("pages.search", **{k: v for k, v in {**search_args, **changes}.items() if v})

    if number > last:  # a page past the end (an old link, a shrunken result): go to the last one
        return redirect(search_url(page=last if last > 1 else None))

    return render(
        "search.html",
        q=q,
        filters=filters,
        sort=sort,
        error=None,
        result=result,
        hits=hits,
        facets=facets,
        last=last,
        export=export,
        search_args=search_args,
        search_url=search_url,
        suggestion=result.suggestion,
    )


def _references(build: Any, record: dict[str, Any]) -> list[dict[str, Any]]:
    keys = [*record.get("references", ()), *(c["key"] for c in record.get("citations", ()))]
    if record.get("reference"):
        keys.insert(0, record["reference"])
    return [ref for key in dict.fromkeys(keys) if (ref := build.record("reference", key))]


def _context(record_type: str, record: dict[str, Any]) -> dict[str, Any]:
    """What each page shows besides the record itself: linked records, in full."""
    build = current_build()
    if record_type == "recommendation":
        expanded = expand(record, {"evidence", "references", "guideline"})["expanded"]
        return {"expanded": expanded, "references": expanded["references"]}
    if record_type == "reference":
        cited_by = [
            (t, build.record(t, ident))
            for ident in record["cited_by"]
            for t in ITEM_TYPES
            if build.record(t, ident)
        ]
        return {"cited_by": cited_by, "references": [record]}
    context: dict[str, Any] = {"references": _references(build, record)}
    if record_type == "evidence":
        recommendations = build.of_type("recommendation")
        context["superseded_by"] = record["superseded_by"] and build.record(
            "evidence", record["superseded_by"]
        )
        context["supersedes"] = [build.record("evidence", e) for e in record["supersedes"]]
        context["used_by"] = [
            (rec, "as_basis" if record["id"] in rec["evidence_considered"] else "as_newer")
            for rec in sorted(recommendations, key=lambda r: r["id"])
            if record["id"] in (*rec["evidence_considered"], *rec["newer_evidence"])
        ]
    elif record_type == "guideline":
        context["recommendations"] = [build.record("recommendation", r) for r in record["recommendations"]]
    elif record_type == "service":
        context["service_reports"] = [build.record("report", r) for r in record["reports"]]
        context["service_facts"] = [build.record("fact", f) for f in record["facts"]]
    return context


def _styled(references: list[dict[str, Any]]) -> dict[str, Any]:
    """The references in the style and locale the URL asks for (aliases welcome; APA and the page's locale
    otherwise), as safe HTML by key, from the build's citations (the core styles are pre-rendered). An
    empty `styled` when they cannot be formatted: the page then lists titles and links."""
    try:
        style, locale = citing.style_and_locale(request.args.get("style"), request.args.get("locale"))
    except CitationError:
        style, locale = CORE_STYLES[0], None
    locale = locale or LABELS[ui_lang()]["default_locale"]
    keys = [r["key"] for r in references]
    try:  # one list as its style orders it: sorted and disambiguated (2016a, 2016b), or numbered
        entries = current_build().citations.bibliography(keys, style, locale)[0] if keys else []
    except (MtkbError, OSError):  # a build made before citations were stored with it
        entries = []
    html = {e.key: Markup(_NUMBER.sub("", safe_html(e.bibliography_html))) for e in entries}  # noqa: S704
    order = {e.key: i for i, e in enumerate(entries)}
    references.sort(key=lambda r: order.get(r["key"], len(order)))
    return {"chosen_style": style, "chosen_locale": locale, "styled": html, "numbered": numbered(style)}


def _recommendation_citation(record: dict[str, Any]) -> str:
    """The recommendation cited in Helsedirektoratet's own form, read today ("" if it cannot be)."""
    build = current_build()
    try:
        ref_key = record.get("citation_reference")
        return cite_recommendation(
            build.item("recommendation", record["id"]),  # type: ignore[arg-type]
            build.citations.reference(ref_key) if ref_key else None,
            build.item("guideline", record["guideline"]),  # type: ignore[arg-type]
            "helsedirektoratet",
            LABELS[ui_lang()]["default_locale"],
            date.today(),
        ).bibliography_text
    except (MtkbError, OSError):
        return ""


def _item_view(record_type: str) -> Any:
    def view(ident: str) -> Response:
        record = get_record(record_type, ident)
        context = _context(record_type, record)
        context.update(_styled(context["references"]))
        if record_type == "recommendation":
            context["own_citation"] = _recommendation_citation(record)
        api_url = f"/api/v1/{COLLECTIONS[record_type]}/{quote(ident)}"
        return render(f"{record_type}.html", record=record, api_url=api_url, **context)

    view.__name__ = f"{record_type}_page"
    return view


for _type, _collection in COLLECTIONS.items():
    bp.add_url_rule(f"/{_collection}/<ident>", _type, _item_view(_type))


@bp.get("/privacy")
def privacy() -> Response:
    days = current_app.config.get("ACCESS_LOG_RETENTION_DAYS", LOG_RETENTION_DAYS)
    return render("privacy.html", retention_days=days)


EMBED = (
    '<script src="{host}/widget.js" data-mtkb-recommendation="musikkterapi-rusbehandling" data-lang="{lang}" '
    'referrerpolicy="no-referrer" crossorigin="anonymous" async></script>'
)
"""The copy-paste line for a website (docs/WIDGET.md explains it)."""


@bp.get("/widget-example")
def widget_example() -> Response:
    host = request.host_url.rstrip("/")
    return render("widget_example.html", host=host, embed=EMBED.format(host=host, lang=ui_lang()))


@bp.get("/widget.js")
def widget() -> Response:
    response = bp.send_static_file("widget.js")
    response.mimetype = "text/javascript"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.after_request
def page_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


@bp.errorhandler(NotFound)
def not_found(_: NotFound) -> Response:
    return render("message.html", 404, title_key="not_found_title", text_key="not_found")


@bp.errorhandler(IndexUnavailable)
def unavailable(_: IndexUnavailable) -> Response:
    response = render("message.html", 503, title_key="unavailable_title", text_key="unavailable")
    response.headers["Retry-After"] = "5"
    return response


def init_app(app: Flask) -> None:
    from api import page_text  # its helpers use this module's links and labels

    for helper in (*TEMPLATE_HELPERS, *page_text.TEMPLATE_HELPERS):
        app.add_template_global(helper)
    app.register_blueprint(bp)
