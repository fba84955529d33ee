"""Rate limiting per client with flask-limiter, and the client address behind trusted proxies.

The client address is the TCP peer unless TRUSTED_PROXIES says how many proxy hops may be believed;
only then is X-Forwarded-For read (werkzeug's ProxyFix takes the address that many hops from the end).
Loopback is exempt by default so that load tests on 127.0.0.1 measure the service.
"""

from __future__ import annotations

import ipaddress

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    limiter = Limiter(
        key_func=get_remote_address,
        app=app,
        default_limits=[app.config["RATELIMIT_DEFAULT"]],
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        headers_enabled=True,
    )

    @limiter.request_filter
    def exempt() -> bool:
        return bool(app.config["RATELIMIT_EXEMPT_LOOPBACK"]) and _is_loopback(request.remote_addr)
