"""One error shape for the whole API: RFC 9457 `application/problem+json`, produced here and nowhere else.

Domain errors (`mtkb.errors`) and HTTP errors both become a problem document with `type`, `title`,
`status` and `detail` (and `errors` for field problems). Anything unexpected is logged and answered
with a bare 500 that names no internals.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, current_app, redirect, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from api.access import Moved
from mtkb.errors import CitationError, EngineUnavailable, IndexUnavailable, MtkbError, NotFound, QueryError

PROBLEM_TYPE = "application/problem+json"
MAX_LISTED_PROBLEMS = 20
"""Field problems a problem document lists; the rest are counted in `errors_not_listed`."""
MAX_DETAIL = 1000
"""Characters of `detail` kept (a request naming 1,500 unknown parameters would otherwise be echoed whole)."""


class ApiProblem(Exception):
    """An error the API raises itself (a bad parameter, an unacceptable format)."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers or {}


def problem(
    status: int, detail: str, errors: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> Response:
    """The problem+json response for `status`."""
    from http import HTTPStatus

    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…",
    }
    if errors:
        names = list(errors)
        body["errors"] = {name: errors[name] for name in names[:MAX_LISTED_PROBLEMS]}
        if len(names) > MAX_LISTED_PROBLEMS:
            body["errors_not_listed"] = len(names) - MAX_LISTED_PROBLEMS
    # ASCII: input echoed in `detail` may hold a lone surrogate ("\ud800" in JSON), which has no UTF-8.
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    response.headers.update(headers or {})
    return response


def to_problem(error: BaseException) -> Response:
    """Translate any exception into a problem response."""
    if isinstance(error, Moved):
        path = request.path.replace(f"/{error.old}", f"/{error.new}", 1)
        query = request.query_string.decode("latin-1")
        return redirect(path + (f"?{query}" if query else ""), 301)  # type: ignore[return-value]
    if isinstance(error, ApiProblem):
        return problem(error.status, error.detail, error.errors, error.headers)
    if isinstance(error, ValidationError):
        messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        return problem(
            400,
            "invalid parameters: "
            + "; ".join(
                f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in messages.items()
            ),
            messages,
        )
    if isinstance(error, NotFound):
        return problem(404, str(error))
    if isinstance(error, QueryError | CitationError):
        return problem(400, str(error))
    if isinstance(error, EngineUnavailable):
        detail = f"{error}; what is pre-rendered (the core styles) and everything else still answers"
        return problem(503, detail, headers={"Retry-After": str(error.retry_after)})
    if isinstance(error, IndexUnavailable):
        return problem(503, "the index is being built; try again shortly", headers={"Retry-After": "5"})
    if isinstance(error, HTTPException):
        code = error.code or 500
        headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")}
        return problem(code, _http_detail(error), headers=headers)
    if isinstance(error, MtkbError):
        current_app.logger.exception("unhandled domain error")
        return problem(500, "internal error")
    current_app.logger.exception("unhandled error")
    return problem(500, "internal error")


def _http_detail(error: HTTPException) -> str:
    if error.code == 404:
        return "no resource at this URL"
    if error.code == 405:
        return "this method is not allowed here; the API is read-only"
    if error.code == 429:
        return f"rate limit exceeded ({error.description}); retry after the time in Retry-After"
    if error.code == 413:
        return "request body too large"
    return str(error.description or error.name)


def init_app(app: Flask) -> None:
    app.register_error_handler(Exception, to_problem)
