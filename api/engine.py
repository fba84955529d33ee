"""The citation engine while answering requests: its time limit, its run slots, its own rate limit.

Every engine run made while answering a request runs under `EngineLimits` from the settings (see
`mtkb.citations.pandoc`): ENGINE_TIME_LIMIT seconds, well under gunicorn's worker timeout (builds keep
their own, longer one); at most ENGINE_CONCURRENCY runs at once per worker; after a run that timed out
or an engine that cannot be started, ENGINE_PAUSE seconds in which engine work is refused at once. The
API answers all of these 503 with Retry-After (api/errors.py); what needs no engine (pre-rendered
styles, cached results, search, every other resource) keeps answering. Each engine run also counts
against RATELIMIT_ENGINE for its client, a lower limit than the general one: engine work costs a process.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from api.errors import ApiProblem
from api.limits import local_client
from mtkb.citations.engine_runs import ENGINE_LIMITS, EngineLimits
from mtkb.citations.pandoc import use_binary

TOKEN = "mtkb_engine_limits"


class EngineRateLimit:
    """Counts engine runs per client against RATELIMIT_ENGINE (the `limits` library's fixed windows)."""

    def __init__(self, limits: str, storage_uri: str):
        self.limits = parse_many(limits)
        self.counter = FixedWindowRateLimiter(storage_from_string(storage_uri))

    def charge(self, client: str | None, exempt: bool) -> None:
        """Count one engine run for `client` (unless `exempt`); raises a 429 ApiProblem when it is over a
        limit."""
        if exempt:
            return
        for limit in self.limits:
            if not self.counter.hit(limit, "engine", client or "unknown"):
                reset, _ = self.counter.get_window_stats(limit, "engine", client or "unknown")
                retry = max(1, math.ceil(reset - time.time()))
                raise ApiProblem(
                    429,
                    f"rate limit for formatting with the citation engine exceeded ({limit}); pre-rendered "
                    "styles (see /styles, core) are not limited by it; retry after the time in Retry-After",
                    headers={"Retry-After": str(retry)},
                )


def _enter() -> None:
    """A `before_request` hook: this request's engine runs go under the request limits."""
    config = current_app.config
    rate: EngineRateLimit = current_app.extensions["mtkb_engine_rate"]
    client = request.remote_addr
    exempt = bool(config["RATELIMIT_EXEMPT_LOOPBACK"]) and local_client(
        request.environ, int(config["TRUSTED_PROXIES"])
    )
    limits = EngineLimits(
        timeout=float(config["ENGINE_TIME_LIMIT"]),
        concurrent=int(config["ENGINE_CONCURRENCY"]),
        queue_wait=float(config["ENGINE_QUEUE_WAIT"]),
        pause=float(config["ENGINE_PAUSE"]),
        before_run=lambda: rate.charge(client, exempt),
    )
    setattr(g, TOKEN, ENGINE_LIMITS.set(limits))


def _leave(_: BaseException | None) -> None:
    token = g.pop(TOKEN, None)
    if token is not None:
        ENGINE_LIMITS.reset(token)


def init_app(app: Flask) -> None:
    use_binary(app.config["CITATION_ENGINE"] or None)
    app.extensions["mtkb_engine_rate"] = EngineRateLimit(
        app.config["RATELIMIT_ENGINE"],
        app.config["RATELIMIT_STORAGE_URI"],
    )
    app.before_request(_enter)
    app.teardown_request(_leave)
