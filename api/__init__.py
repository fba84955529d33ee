"""The web adapter: the Flask app factory. No parsing, no query building: it asks `mtkb` and `index`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from api import config
from index import IndexHandle


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from `api.config`, then `MTKB_*` variables, then `test_config`."""
    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(config.defaults())
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    app.extensions["mtkb_index"] = IndexHandle(
        Path(app.config["INDEX_DIR"]), float(app.config["SEARCH_TIME_LIMIT"])
    )

    from api import cli, engine, errors, hosts, http, limits, memo, pages, v1

    errors.init_app(app)
    engine.init_app(app)
    memo.init_app(app)
    http.init_app(app)
    v1.init_app(app)
    pages.init_app(app)
    cli.init_app(app)
    hosts.init_app(app)  # after the memo: it sees the public address, never an unknown host
    limits.init_app(app)  # last: its middleware wraps the others (ProxyFix around it): every request counts
    return app
