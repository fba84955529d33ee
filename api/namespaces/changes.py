"""/changes: what was created, changed or removed since a content version or a time, as JSON (paged,
with Link headers) and as feeds a CMS can subscribe to: Atom (`/changes.atom`, written by feedgen) and
JSON Feed 1.1 (`/changes.json`), each for every type or one (`?type=recommendation`)."""

from __future__ import annotations

from typing import Any

from feedgen.feed import FeedGenerator
from flask import Response, current_app, request
from flask_restx import Namespace, Resource
from flask_restx import fields as rx

from api import models
from api.access import current_build
from api.errors import ApiProblem
from api.namespaces.versions import permalink
from api.params import ChangesArgs, FeedArgs, read_args
from api.paths import COLLECTIONS
from api.render import json_response, page
from mtkb.history import Event, events_since, summarise

ns = Namespace("changes", description="What changed since a content version or a time; Atom and JSON feeds")
change = ns.model(
    "Change",
    {
        "type": rx.String(required=True),
        "id": rx.String(required=True),
        "change": rx.String(required=True, enum=["created", "changed", "removed"]),
        "old_version": rx.Integer(description="null when it was created"),
        "new_version": rx.Integer(description="null when it was removed"),
        "last_edited": rx.String(required=True),
        "professional": rx.Boolean(required=True),
        "commits": rx.List(rx.String, required=True),
    },
)


def _events(args: dict[str, Any]) -> list[Event]:
    history = current_build().history()
    since = args["since"]
    if since is None or since == current_build().version:
        events = history.events if since is None else []
    else:
        found = events_since(history, since)
        if found is None:
            raise ApiProblem(
                400,
                f"since {since!r} is neither a content version of this knowledge base's history nor an "
                "RFC 3339 time with a time zone",
                {"since": ["unknown content version or malformed time"]},
            )
        events = found
    return [e for e in events if args["type"] is None or e.type == args["type"]]


def _title(event: Event) -> str:
    record = current_build().record(event.type, event.id)
    if record is not None:
        return str(record.get("title") or event.id)
    for version in reversed(current_build().history().of(event.type, event.id)):
        if version.data and version.data.get("title"):
            return str(version.data["title"])
    return event.id


def _link(event: Event) -> str:
    if event.version is not None:
        return permalink(event.type, event.id, event.version)
    return f"{request.host_url.rstrip('/')}/api/v1/{COLLECTIONS[event.type]}/{event.id}"


def _entry_text(event: Event) -> str:
    what = {"created": "Created", "changed": "Changed", "removed": "Removed"}[event.change]
    version = f", version {event.version}" if event.version else ""
    substance = " (a change of substance)" if event.professional else ""
    return f"{what}: {_title(event)} ({event.type}{version}){substance}"


def _latest(args: dict[str, Any]) -> list[Event]:
    return sorted(_events(args), key=lambda e: e.date, reverse=True)[: current_app.config["FEED_ENTRIES"]]


def _feed_title(args: dict[str, Any]) -> str:
    return "mtkb: changes" + (f" ({COLLECTIONS[args['type']]})" if args["type"] else "")


@ns.route("")
class Changes(Resource):
    @ns.doc(params=models.params(ChangesArgs), responses=models.ERRORS)
    @ns.response(200, "The records created, changed or removed since then", models.page_of(ns, change))
    def get(self) -> Response:
        """Poll with the content version you saw last (`X-Content-Version`): an empty list means nothing
        changed. Each record appears once, with its old and new version."""
        args = read_args(ChangesArgs)
        extra = {"since": args["since"], "content_version": current_build().version}
        extra["history"] = current_build().manifest.get("history")
        return page(summarise(_events(args)), args, extra=extra)


@ns.route(".atom")
class ChangesAtom(Resource):
    @ns.doc(params=models.params(FeedArgs), responses=models.ERRORS)
    @ns.produces(["application/atom+xml", "application/problem+json"])
    @ns.response(200, "An Atom feed of the latest changes, newest first")
    def get(self) -> Response:
        """The latest changes as an Atom feed (one entry per version or removal)."""
        args = read_args(FeedArgs)
        feed = FeedGenerator()
        feed.id(request.url)
        feed.title(_feed_title(args))
        feed.link(href=request.url, rel="self")
        feed.author({"name": "mtkb"})
        feed.language("nb")
        events = _latest(args)
        feed.updated(events[0].date if events else current_build().manifest["built_at"])
        for event in reversed(events):  # feedgen lists the last added first
            entry = feed.add_entry()
            entry.id(f"{_link(event)}#{event.commit}")
            entry.title(_entry_text(event))
            entry.link(href=_link(event))
            entry.updated(event.date)
            entry.summary(_entry_text(event))
        return Response(feed.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")


@ns.route(".json")
class ChangesJsonFeed(Resource):
    @ns.doc(params=models.params(FeedArgs), responses=models.ERRORS)
    @ns.produces(["application/feed+json", "application/problem+json"])
    @ns.response(200, "A JSON Feed (1.1) of the latest changes, newest first")
    def get(self) -> Response:
        """The latest changes as a JSON Feed (https://jsonfeed.org/version/1.1)."""
        args = read_args(FeedArgs)
        items = [
            {
                "id": f"{_link(event)}#{event.commit}",
                "url": _link(event),
                "title": _entry_text(event),
                "content_text": _entry_text(event),
                "date_modified": event.date,
                "_mtkb": {
                    "type": event.type,
                    "id": event.id,
                    "change": event.change,
                    "version": event.version,
                    "professional": event.professional,
                },
            }
            for event in _latest(args)
        ]
        body = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": _feed_title(args),
            "feed_url": request.url,
            "language": "nb",
            "items": items,
        }
        return json_response(body, mimetype="application/feed+json")
