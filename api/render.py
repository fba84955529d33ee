"""Turning data into responses: JSON bodies, list pages with RFC 8288 Link headers, licence links."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, request

from api.errors import ApiProblem
from api.intext import present

JSON = "application/json"


def dumps(data: Any) -> str:
    """Compact JSON with <, > and & escaped, so that a JSON (or JSON-LD) body pasted into an HTML
    <script> element can never close it: still the same JSON to every parser. (Three str.replace calls:
    str.translate is ten times slower on non-ASCII text.)"""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def json_response(
    data: Any, status: int = 200, mimetype: str = JSON, headers: dict[str, str] | None = None
) -> Response:
    body = dumps(data)
    response = Response(body, status=status, mimetype=mimetype)
    if headers:
        response.headers.update(headers)
    return response


def project_rights() -> dict[str, str]:
    config = current_app.config
    return {
        "holder": "mtkb",
        "licence": config["PROJECT_LICENCE"],
        "url": config["PROJECT_LICENCE_URL"],
        "applies_to": "the project's own text: summaries, notes, corrections and data curation",
    }


def hdir_rights() -> dict[str, str]:
    config = current_app.config
    return {
        "holder": "Helsedirektoratet",
        "licence": config["HDIR_LICENCE"],
        "url": config["HDIR_LICENCE_URL"],
        "attribution": "Innhold fra Helsedirektoratet, gjengitt under NLOD",
        "applies_to": "Helsedirektoratet's recommendation wording, grading and guideline data, "
        "reproduced unaltered",
    }


def rights(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The licences that apply to `records`: the project's own text always, and NLOD with Helsedirektoratet's
    attribution when any record carries Helsedirektoratet content."""
    hdir = any(r.get("licence") == current_app.config["HDIR_LICENCE"] for r in records)
    return [project_rights(), hdir_rights()] if hdir else [project_rights()]


def license_links(applying: list[dict[str, str]]) -> list[str]:
    """RFC 8288 links to each licence, titled with the licence, whose content it covers and (for
    Helsedirektoratet's) the attribution: `<https://data.norge.no/nlod/no/2.0>; rel="license"; title="..."`.
    Titles are ASCII (a header value is), quotes and backslashes escaped."""
    links = []
    for r in applying:
        credit = f" - {r['attribution']}" if r.get("attribution") else ""
        title = f"{r['licence']} ({r['holder']}): {r['applies_to']}{credit}"
        ascii_title = title.encode("ascii", "replace").decode().replace("\\", "").replace('"', "'")
        links.append(f'<{r["url"]}>; rel="license"; title="{ascii_title}"')
    return links


def page(
    records: list[dict[str, Any]],
    args: dict[str, Any],
    key: str = "items",
    extra: dict[str, Any] | None = None,
) -> Response:
    """One page of `records` as `{total, page, per_page, items, rights}` with Link headers. A page past the
    last is a 400 problem."""
    total, number, per_page = len(records), args["page"], args["per_page"]
    last = max(1, -(-total // per_page))
    if number > last:
        raise ApiProblem(
            400, f"page {number} is out of range: there are {last} page(s)", {"page": [f"at most {last}"]}
        )
    chosen = [present(r) for r in records[(number - 1) * per_page : number * per_page]]
    links = []
    for rel, target in (("first", 1), ("prev", number - 1), ("next", number + 1), ("last", last)):
        if 1 <= target <= last and not (rel in ("prev", "next") and target == number):
            query = {k: v for k, v in request.args.items() if k not in ("page",)}
            query["page"] = str(target)
            links.append(f'<{request.base_url}?{urlencode(query)}>; rel="{rel}"')
    body = {
        "total": total,
        "page": number,
        "per_page": per_page,
        key: chosen,
        "rights": rights(chosen),
        **(extra or {}),
    }
    response = json_response(body)
    response.headers["Link"] = ", ".join(links + license_links(body["rights"]))
    return response


def item(record: dict[str, Any], mimetype: str = JSON, source: dict[str, Any] | None = None) -> Response:
    """One record (its prose formatted for this request, see api/intext.py), with its licence links; a
    representation built from another record (JSON-LD) names `source`, whose licences apply."""
    record = present(record) if mimetype == JSON else record
    response = json_response(record, mimetype=mimetype)
    response.headers["Link"] = ", ".join(license_links(rights([source or record])))
    return response
