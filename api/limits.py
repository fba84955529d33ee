"""Rate limiting per client, and the client address behind trusted proxies.

Limiting is WSGI middleware in front of everything else (the response memo included), so a request
answered from memory counts against its client like any other. It only counts and marks: a request over
its client's limit reaches Flask marked, and `refuse_marked` turns it into the one error shape (a 429
problem with Retry-After). Counting uses the `limits` library (fixed windows, one or several limits such as
"300 per minute; 20 per second"; `RATELIMIT_STORAGE_URI` says where the counters live).

The client address is the TCP peer unless TRUSTED_PROXIES says how many proxy hops may be believed;
only then is X-Forwarded-For read (werkzeug's ProxyFix takes the address that many hops from the end).
Loopback is exempt by default so that load tests on 127.0.0.1 measure the service.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

REFUSED = "mtkb.rate_limit_refused"
"""The environ key that marks a request over its limit: (seconds until the window resets, the limit)."""

LOG = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def is_loopback(address: str | None) -> bool:
    return address is not None and (address.startswith("127.") or address == "::1")


class RateLimit:
    """Counts each client's requests against every limit and marks those over any of them (see the
    module docstring). If the counters cannot be reached the request is let through and the failure
    logged: a broken limiter must not take the service down."""

    def __init__(self, app: WSGIApp, limits: str, storage_uri: str, exempt_loopback: bool):
        self.app = app
        self.limits = parse_many(limits)
        self.counter = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self.exempt_loopback = exempt_loopback

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        client = environ.get("REMOTE_ADDR")
        if self.exempt_loopback and is_loopback(client):
            return self.app(environ, start_response)
        try:
            headers = self._count(client or "unknown", environ)
        except Exception:  # the storage (redis://, ...) is down
            LOG.exception("rate limiting skipped: the counters cannot be reached")
            return self.app(environ, start_response)

        def start_with_headers(status: str, response_headers: list[Any], exc_info: Any = None) -> Any:
            return start_response(status, response_headers + headers, exc_info)

        return self.app(environ, start_with_headers)

    def _count(self, key: str, environ: dict[str, Any]) -> list[tuple[str, str]]:
        """Count the request against every limit, mark it in `environ` if it is over any, and return the
        headers of the limit with the fewest requests left."""
        tightest: tuple[int, float, RateLimitItem] | None = None
        for limit in self.limits:
            allowed = self.counter.hit(limit, key)
            reset, remaining = self.counter.get_window_stats(limit, key)
            if not allowed:
                retry_after = max(1, math.ceil(reset - time.time()))
                previous = environ.get(REFUSED, (0, ""))
                environ[REFUSED] = max(previous, (retry_after, str(limit)))
            if tightest is None or remaining < tightest[0]:
                tightest = (remaining, reset, limit)
        assert tightest is not None, "parse_many refuses an empty limit string"
        remaining, reset, limit = tightest
        return [
            ("X-RateLimit-Limit", str(limit.amount)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", str(math.ceil(reset))),
        ]


def refuse_marked() -> None:
    """A `before_request` hook: a request marked by `RateLimit` is answered 429 (by api.errors)."""
    marked = request.environ.get(REFUSED)
    if marked is not None:
        retry_after, limit = marked
        raise TooManyRequests(limit, retry_after=retry_after)


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable. Call after any other middleware: limits must see every request."""
    app.before_request(refuse_marked)
    app.wsgi_app = RateLimit(  # type: ignore[method-assign]
        app.wsgi_app,
        app.config["RATELIMIT_DEFAULT"],
        app.config["RATELIMIT_STORAGE_URI"],
        bool(app.config["RATELIMIT_EXEMPT_LOOPBACK"]),
    )
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
