"""A bounded per-worker memo of finished GET responses, keyed by the build they came from.

Everything the API serves from a build is a pure function of (build, scheme and host (its links are
absolute), path, query, Accept), so the second identical request is answered from memory without running
the resource: the body, its ETag and its headers as they were. A newly published build has a new id, so
its responses are computed afresh and the old ones age out. A response opts out by setting
`g.memo = False` (anything that depends on the clock); only `Cache-Control: public` 200 responses are
kept.

Hits are answered by WSGI middleware in front of Flask (a hit costs a dictionary lookup, not a request
context, routing and the after-request hooks); misses go through Flask, whose last after-request hook
stores the finished response. Rate limiting sits in front of this middleware (api/limits.py), and a
request it refused is never answered from here.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.http import parse_etags

from api.access import BUILD
from api.http import CONDITIONS
from api.limits import REFUSED, WSGIApp
from index import IndexHandle

MemoKey = tuple[str, str, str, str, str, str]
Entry = tuple[list[tuple[str, str]], bytes, str]
"""The headers of a 200 response (without Content-Length), its body and its ETag."""

KEY = "mtkb.memo_key"
"""The environ key under which the middleware hands a missed request's key to `_store`."""

PRECONDITIONS = tuple(name for name in CONDITIONS if name != "HTTP_IF_NONE_MATCH")
"""Conditions the memo leaves to Flask (412 for a failed If-Match); If-None-Match it checks itself."""
NOT_IN_304 = ("content-type", "content-length")
NOT_KEPT = ("content-length", "date")
"""Headers the server sets for each response itself."""


MAX_KEY_BYTES = 512
"""Requests whose key (host, path, query, Accept) is longer than this are not memoised: real clients'
keys are a few dozen bytes, and crafted 8 KB ones would each keep kilobytes of key."""
NODE_COST = 104
"""Bytes the LRU's own bookkeeping takes per entry (an OrderedDict node and its hash table slot)."""


def _cost(key: MemoKey, entry: Entry) -> int:
    """Every byte an entry keeps: its key's strings and tuple, its header pairs and their list, its body and
    ETag (sys.getsizeof of each object), and the LRU's node."""
    headers, body, etag = entry
    cost = NODE_COST + sys.getsizeof(key) + sum(sys.getsizeof(part) for part in key)
    cost += sys.getsizeof(entry) + sys.getsizeof(headers) + sys.getsizeof(body) + sys.getsizeof(etag)
    pairs = (sys.getsizeof(pair) + sys.getsizeof(pair[0]) + sys.getsizeof(pair[1]) for pair in headers)
    return cost + sum(pairs)


def key_size(key: MemoKey) -> int:
    return sum(len(part) for part in key[1:])


class ResponseMemo:
    """An LRU of entries by key, holding at most about `max_bytes` (bodies, keys and headers)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[MemoKey, tuple[Entry, int]] = OrderedDict()

    def get(self, key: MemoKey) -> Entry | None:
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: MemoKey, entry: Entry) -> None:
        """Keep `entry` (not when its key is over MAX_KEY_BYTES or it alone is over the budget), evicting
        the least recently used entries until the memo is within its budget."""
        cost = _cost(key, entry) + sys.getsizeof(0)  # (the int that holds the cost)
        if cost > self.max_bytes or key_size(key) > MAX_KEY_BYTES:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._entries[key] = (entry, cost)
        self.size += cost
        while self.size > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.size -= evicted

    def __len__(self) -> int:
        return len(self._entries)


class MemoMiddleware:
    """Answers a GET or HEAD under /api/ from the memo when it holds one for the current build."""

    def __init__(self, app: WSGIApp, memo: ResponseMemo, handle: IndexHandle):
        self.app, self.memo, self.handle = app, memo, handle

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        if (
            method not in ("GET", "HEAD")
            or not path.startswith("/api/")
            or REFUSED in environ
            or any(name in environ for name in PRECONDITIONS)
        ):
            return self.app(environ, start_response)
        try:
            build = environ[BUILD] = self.handle.current()
        except Exception:  # no index yet, or a broken one: Flask answers (and logs) it as a problem
            return self.app(environ, start_response)
        query = environ.get("QUERY_STRING", "")
        key = (
            build.build_id,
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST", ""),
            path,
            "&".join(sorted(query.split("&"))),
            environ.get("HTTP_ACCEPT", ""),
        )
        entry = self.memo.get(key) if key_size(key) <= MAX_KEY_BYTES else None
        if entry is None:
            environ[KEY] = key
            return self.app(environ, start_response)
        headers, body, etag = entry
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            start_response("304 Not Modified", [h for h in headers if h[0].lower() not in NOT_IN_304])
            return []
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [] if method == "HEAD" else [body]


def _store(response: Response) -> Response:
    """An `after_request` hook: keep a finished, public 200 response of a request the memo missed."""
    key = request.environ.get(KEY)
    if key is None or g.get("memo", True) is False or response.status_code != 200:
        return response
    etag = response.get_etag()[0]
    public = response.headers.get("Cache-Control", "").startswith("public")
    if public and etag and not response.direct_passthrough:
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in NOT_KEPT]
        memo: ResponseMemo = current_app.extensions["mtkb_memo"]
        memo.put(key, (headers, response.get_data(), etag))
    return response


def init_app(app: Flask) -> None:
    """Register the memo. Call after the hooks that finish a response (so it stores finished ones) and
    before api.limits wraps the app (so limits come first)."""
    memo = ResponseMemo(int(app.config["RESPONSE_MEMO_BYTES"]))
    app.extensions["mtkb_memo"] = memo
    # after_request hooks run in reverse order of registration, and create_app registers this module
    # before api.http: so _store runs last and keeps the finished response (ETag, CORS and all).
    app.after_request(_store)
    app.wsgi_app = MemoMiddleware(app.wsgi_app, memo, app.extensions["mtkb_index"])  # type: ignore[method-assign]
