"""A bounded per-worker memo of finished GET responses, keyed by the build they came from.

Everything the API serves from a build is a pure function of (build, path, query, Accept), so the
second identical request is answered from memory without running the resource: the body, its ETag and
its headers as they were. A newly published build has a new id, so its responses are computed afresh
and the old ones age out. A response opts out by setting `g.memo = False` (anything that depends on the
clock); only `Cache-Control: public` 200 responses are kept.
"""

from __future__ import annotations

from collections import OrderedDict

from flask import Flask, Response, g, request

from api.access import index_handle
from mtkb.errors import MtkbError

MemoKey = tuple[str, str, tuple[tuple[str, str], ...], str]


class ResponseMemo:
    """An LRU of (status, headers, body) by key, at most `size` entries."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[MemoKey, tuple[int, list[tuple[str, str]], bytes]] = OrderedDict()

    def get(self, key: MemoKey) -> tuple[int, list[tuple[str, str]], bytes] | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: MemoKey, entry: tuple[int, list[tuple[str, str]], bytes]) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _key() -> MemoKey | None:
    if request.method not in ("GET", "HEAD") or not request.path.startswith("/api/"):
        return None
    try:
        build_id = index_handle().current().build_id
    except MtkbError:
        return None
    args = tuple(sorted((k, v) for k, values in request.args.lists() for v in values))
    return build_id, request.path, args, request.headers.get("Accept", "")


def _lookup() -> Response | None:
    memo = _memo_of_app()
    key = _key()
    g.memo_key = key
    if key is None:
        return None
    entry = memo.get(key)
    if entry is None:
        return None
    status, headers, body = entry
    response = Response(body, status=status, headers=headers)
    response.make_conditional(request)
    g.memo_hit = True
    return response


def _store(response: Response) -> Response:
    key = g.get("memo_key")
    if key is None or g.get("memo_hit") or g.get("memo", True) is False:
        return response
    public = response.headers.get("Cache-Control", "").startswith("public")
    if response.status_code == 200 and public and not response.direct_passthrough:
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        _memo_of_app().put(key, (200, headers, response.get_data()))
    return response


def _memo_of_app() -> ResponseMemo:
    from flask import current_app

    memo: ResponseMemo = current_app.extensions["mtkb_memo"]
    return memo


def init_app(app: Flask) -> None:
    """Register the memo. Call after the hooks that finish a response (so it stores finished ones)."""
    app.extensions["mtkb_memo"] = ResponseMemo(int(app.config["RESPONSE_MEMO_SIZE"]))
    app.before_request(_lookup)
    # after_request hooks run in reverse order of registration, and create_app registers this module
    # before api.http: so _store runs last and keeps the finished response (ETag, CORS and all).
    app.after_request(_store)
