"""Reading records for a request: the current build, lookups that redirect old ids and 404 unknown ones."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from index import IndexHandle, OpenBuild
from mtkb.errors import NotFound


class Moved(Exception):
    """An old id (an alias): the resource lives at the current id."""

    def __init__(self, old: str, new: str):
        super().__init__(f"{old} is now {new}")
        self.old, self.new = old, new


def index_handle() -> IndexHandle:
    handle: IndexHandle = current_app.extensions["mtkb_index"]
    return handle


BUILD = "mtkb.build"
"""The environ key that holds the build a request is answered from, resolved once per request (so one
request never mixes two builds, and `current` is read once)."""


def current_build() -> OpenBuild:
    """The build to answer this request from (reopened when a new one was published)."""
    build: OpenBuild | None = request.environ.get(BUILD)
    if build is None:
        build = request.environ[BUILD] = index_handle().current()
    return build


def get_record(record_type: str, ident: str) -> dict[str, Any]:
    """The record, or raises Moved for an alias of one of this type, or NotFound."""
    build = current_build()
    record = build.record(record_type, ident)
    if record is not None:
        return record
    canonical = build.canonical_id(ident)
    if canonical is not None and build.record(record_type, canonical) is not None:
        raise Moved(ident, canonical)
    raise NotFound(record_type, ident)
