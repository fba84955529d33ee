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

import io
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

REFUSED = "mtkb.rate_limit_refused"
"""The environ key that marks a request over its limit: (seconds until the window resets, the limit)."""

LOG = logging.getLogger(__name__)
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def is_loopback(address: str | None) -> bool:
    """Whether `address` is a loopback address (127.0.0.0/8, ::1, or ::ffff:127.x.y.z), parsed as an address
    by `ipaddress`: anything that is not an address ("127.evil") is not loopback."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(parsed, "ipv4_mapped", None)
    return bool(parsed.is_loopback or (mapped is not None and mapped.is_loopback))


def local_client(environ: dict[str, Any], trusted_proxies: int) -> bool:
    """Whether the request comes from a real loopback client. Behind trusted proxies REMOTE_ADDR is
    already the client ProxyFix found in X-Forwarded-For. Without them, a loopback peer that forwards
    for someone (X-Forwarded-For or Forwarded) is a proxy on this host, not a local client."""
    if not is_loopback(environ.get("REMOTE_ADDR")):
        return False
    return trusted_proxies > 0 or not ("HTTP_X_FORWARDED_FOR" in environ or "HTTP_FORWARDED" in environ)


class RateLimit:
    """Counts each client's requests against every limit and marks those over any of them (see the
    module docstring). If the counters cannot be reached the request is let through and the failure
    logged: a broken limiter must not take the service down."""

    def __init__(
        self, app: WSGIApp, limits: str, storage_uri: str, exempt_loopback: bool, trusted_proxies: int = 0
    ):
        self.app = app
        self.limits = parse_many(limits)
        self.counter = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self.exempt_loopback = exempt_loopback
        self.trusted_proxies = trusted_proxies
        self._warned = False

    def exempt(self, environ: dict[str, Any]) -> bool:
        """Whether the request is exempt: from a real loopback client (`local_client`). A proxy on this
        host that is not trusted has its requests counted (all as one client, until TRUSTED_PROXIES is
        set), and that is logged once."""
        if not self.exempt_loopback or not is_loopback(environ.get("REMOTE_ADDR")):
            return False
        if not local_client(environ, self.trusted_proxies):
            if not self._warned:
                self._warned = True
                LOG.warning(
                    "requests arrive through a proxy on this host but TRUSTED_PROXIES is 0: they are "
                    "rate-limited as one client; set MTKB_TRUSTED_PROXIES to the number of proxies"
                )
            return False
        return True

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        client = environ.get("REMOTE_ADDR")
        if self.exempt(environ):
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


class ChunkedBody:
    """WSGI middleware: a chunked request body (no Content-Length) is read here, up to MAX_CONTENT_LENGTH
    and one byte more. One over the limit is marked for a 413; one within it is handed on with its length,
    like any other. (werkzeug applies the limit to a chunked body by stopping at it: the truncated body
    was then parsed as if it were whole.)"""

    def __init__(self, app: WSGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(self.max_bytes + 1)
            if len(body) > self.max_bytes:
                environ[TOO_LARGE] = True
                body = b""
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start_response)


TOO_LARGE = "mtkb.body_too_large"
"""The environ key that marks a chunked request body over MAX_CONTENT_LENGTH."""


def refuse_marked() -> None:
    """A `before_request` hook: a request marked by `RateLimit` is answered 429, one marked by
    `ChunkedBody` 413 (by api.errors)."""
    if request.environ.get(TOO_LARGE):
        raise RequestEntityTooLarge()
    marked = request.environ.get(REFUSED)
    if marked is not None:
        retry_after, limit = marked
        raise TooManyRequests(limit, retry_after=retry_after)


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable. Call after any other middleware: limits must see every request."""
    app.before_request(refuse_marked)
    app.wsgi_app = ChunkedBody(app.wsgi_app, int(app.config["MAX_CONTENT_LENGTH"]))  # type: ignore[method-assign]
    proxies = int(app.config["TRUSTED_PROXIES"])
    app.wsgi_app = RateLimit(  # type: ignore[method-assign]
        app.wsgi_app,
        app.config["RATELIMIT_DEFAULT"],
        app.config["RATELIMIT_STORAGE_URI"],
        bool(app.config["RATELIMIT_EXEMPT_LOOPBACK"]),
        proxies,
    )
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
