"""HTTP conventions applied to every response in one place: content version, CORS, caching
(ETag per representation, 304 on If-None-Match, Cache-Control) and security headers."""

from __future__ import annotations

import hashlib
import json

from flask import Flask, Response, current_app, request

from api.access import current_build
from mtkb.errors import MtkbError

EXPOSED = "ETag, Link, X-Content-Version, Retry-After, Content-Location, Warning"
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""CSP for any HTML page that does not set its own (error pages): nothing may load or run."""
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
"""CSP for the Swagger UI page only: it needs its inline bootstrap script and styles."""


CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
"""The request headers that make a request conditional (304 or 412)."""


def etag_for(response: Response) -> str:
    """A strong ETag over the representation: its media type and its bytes."""
    digest = hashlib.sha1(
        (response.mimetype or "").encode() + b"\0" + response.get_data(), usedforsecurity=False
    )
    return digest.hexdigest()[:24]


def _content_version() -> str | None:
    try:
        return current_build().version
    except MtkbError:
        return None


JSON_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))
"""<, > and & in a JSON body, written as escapes: the same JSON to every parser, and a body pasted into an
HTML <script> can never close it. In JSON these characters can only stand inside strings, and in UTF-8
an ASCII byte is never part of another character, so replacing the bytes is always safe."""


def is_json(mimetype: str | None) -> bool:
    return bool(mimetype) and (mimetype == "application/json" or str(mimetype).endswith("+json"))


def escape_json(response: Response) -> None:
    """Every JSON body (problems, JSON-LD, CSL-JSON, the OpenAPI document ...) with <, > and & escaped."""
    if response.direct_passthrough or response.is_streamed or not is_json(response.mimetype):
        return
    body = response.get_data()
    if b"<" in body or b">" in body or b"&" in body:
        for raw, escaped in JSON_ESCAPES:
            body = body.replace(raw, escaped)
        response.set_data(body)


def precondition_failed(response: Response) -> None:
    """A 412 made by `make_conditional` as a problem, without the resource, its ETag or caching headers."""
    for name in ("ETag", "Last-Modified", "Link", "Content-Location", "Content-Disposition"):
        response.headers.pop(name, None)
    response.headers["Cache-Control"] = "no-store"
    body = {
        "type": "about:blank",
        "title": "Precondition Failed",
        "status": 412,
        "detail": "If-Match or If-Unmodified-Since does not hold for the current representation",
    }
    response.set_data(json.dumps(body))
    response.mimetype = "application/problem+json"


def finish(response: Response) -> Response:
    """Add the conventions to `response` (an `after_request` hook)."""
    escape_json(response)
    headers = response.headers
    version = _content_version()
    if version:
        headers["X-Content-Version"] = version
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
    response.vary.update(("Accept", "Origin"))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    if response.mimetype == "text/html" and "Content-Security-Policy" not in headers:
        docs = request.path.startswith("/api/v1/docs")
        headers["Content-Security-Policy"] = DOCS_CSP if docs else STRICT_CSP
    cacheable = request.method in ("GET", "HEAD") and response.status_code in (200, 301)
    if "Cache-Control" not in headers:
        cache = f"public, max-age={current_app.config['CACHE_MAX_AGE']}" if cacheable else "no-cache"
        headers["Cache-Control"] = cache
    if cacheable and response.status_code == 200 and not response.direct_passthrough:
        if not response.get_etag()[0]:
            response.set_etag(etag_for(response))
        if any(name in request.environ for name in CONDITIONS):  # (without one it would only add Date)
            response.make_conditional(request)
            if response.status_code == 412:
                precondition_failed(response)
    return response


def init_app(app: Flask) -> None:
    app.after_request(finish)
