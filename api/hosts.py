"""Which host names the service answers to, and the one address its absolute links are made from.

Every absolute link the API makes (JSON `links`, RFC 8288 `Link` headers, JSON-LD `@id`, the widget's
embed line) is built from the request's scheme and host, and behind trusted proxies from
X-Forwarded-Proto and X-Forwarded-Host (werkzeug's ProxyFix, api/limits.py). Responses are
`Cache-Control: public`: a shared cache that keys on one host while the links came from another could be
poisoned. So:

* a request whose host (after ProxyFix) is not in ALLOWED_HOSTS, nor the host of PUBLIC_BASE_URL, is
  answered 400 (a problem, by Flask: `refuse_untrusted`) and never from the response memo;
* with PUBLIC_BASE_URL set, the request's scheme and host are replaced by the configured ones before
  anything else sees them, so every link, the memo's key included, is made from the configured address.

Host names are checked and matched by werkzeug's `host_is_trusted` (the port is ignored; ".example.org"
also matches its subdomains), after lower-casing (it expects lower case); IPv6 literals ([::1]:8000),
which its matcher cannot compare, are compared here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.sansio.utils import host_is_trusted

from api.errors import ApiProblem

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
UNTRUSTED = "mtkb.untrusted_host"
"""The environ key that marks a request for a host the service does not answer to (holds that host)."""


def parse_base_url(value: str) -> tuple[str, str] | None:
    """(scheme, host[:port]) of PUBLIC_BASE_URL, or None when it is empty. Raises ValueError for anything
    but an http(s) origin (a path prefix is not supported: the pages' scripts use absolute paths)."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"PUBLIC_BASE_URL must be an http(s) address (https://mtkb.example.no): {value!r}")
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"PUBLIC_BASE_URL must be scheme://host[:port] only, no path or query: {value!r}")
    return parts.scheme, parts.netloc.lower()


def allowed_hosts(configured: Sequence[str] | str, base: tuple[str, str] | None) -> list[str]:
    """The host names to answer to: the configured list (a JSON list or a comma-separated string) and
    PUBLIC_BASE_URL's host."""
    names = configured.split(",") if isinstance(configured, str) else list(configured)
    hosts = [name.strip().lower() for name in names if name.strip()]
    if base is not None:
        hosts.append(urlsplit(f"{base[0]}://{base[1]}").hostname or "")  # (no brackets around IPv6)
    return hosts


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether `host` (a Host header: name or address, optional port) names one of `allowed`."""
    host = host.lower()
    if not host_is_trusted(host, ()):  # (an empty list: only the characters are checked)
        return False
    if host.startswith("["):
        return host[1 : host.index("]")] in allowed
    return host_is_trusted(host, [name for name in allowed if ":" not in name])


class TrustedHost:
    """WSGI middleware: marks requests for unknown hosts, and puts the public address in place of the
    request's own when one is configured (see the module docstring)."""

    def __init__(self, app: WSGIApp, hosts: list[str], base: tuple[str, str] | None):
        self.app, self.hosts, self.base = app, hosts, base

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if not host_allowed(host, self.hosts):
            environ[UNTRUSTED] = host
        elif self.base is not None:
            environ["wsgi.url_scheme"], environ["HTTP_HOST"] = self.base
        return self.app(environ, start_response)


def refuse_untrusted() -> None:
    """A `before_request` hook: a request for an unknown host is a 400 problem."""
    host = request.environ.get(UNTRUSTED)
    if host is not None:
        raise ApiProblem(
            400,
            "this server does not answer to the host named in the request (Host or X-Forwarded-Host); "
            "see ALLOWED_HOSTS and PUBLIC_BASE_URL",
        )


def init_app(app: Flask) -> None:
    """Wrap the app's WSGI callable: after the response memo (so it sees the public address and never
    answers an unknown host), before api.limits (so ProxyFix has resolved X-Forwarded-Host)."""
    base = parse_base_url(str(app.config["PUBLIC_BASE_URL"]))
    hosts = allowed_hosts(app.config["ALLOWED_HOSTS"], base)
    app.before_request(refuse_untrusted)
    app.wsgi_app = TrustedHost(app.wsgi_app, hosts, base)  # type: ignore[method-assign]
