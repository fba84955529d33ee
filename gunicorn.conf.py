"""gunicorn settings for mtkb. A missing index is built once, in the master, before any worker starts."""

from __future__ import annotations

import os
from typing import Any

wsgi_app = "wsgi:app"
bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gevent, chosen by measurement (RELIABILITY.md, bench/fault_bench.py): with 200 connections that sent half
# a request, sync workers (and gthread, whose threads block reading a half-sent request) answered nothing
# for 15 s; gevent keeps each connection in a greenlet of its own and answered a concurrent search with
# p99 8 ms. Waiting for the citation engine (a child process) yields to the other requests too. CPU work
# (a search) still runs one at a time per worker, in the main thread, where the search time limit's timer
# signal works as in a sync worker.
worker_class = "gevent"
worker_connections = 1000
# The app is imported and created once in the master (about 1.5 s of imports and route set-up) and
# forked into workers, so a new or replaced worker answers within milliseconds; each worker opens the
# index itself on its first request (nothing index-related is opened before the fork).
preload_app = True
timeout = 30
graceful_timeout = 10
keepalive = 5
limit_request_line = 8190  # gunicorn's maximum; longer request lines get its own (HTML) 414
limit_request_fields = 50
limit_request_field_size = 8190
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'


def on_starting(server: Any) -> None:
    """Build the index if there is none, under the build lock, so that workers never race to build it."""
    from pathlib import Path

    from api import config
    from index.builds import current_build

    index_dir = Path(config.from_environment().get("INDEX_DIR", config.INDEX_DIR))
    if current_build(index_dir) is None:
        from index import build_index
        from mtkb.corpus import load_corpus

        env = config.from_environment()
        corpus = load_corpus(
            Path(env.get("KB_DIR", config.KB_DIR)), Path(env.get("REFERENCES_DIR", config.REFERENCES_DIR))
        )
        corpus.raise_for_problems()
        info = build_index(corpus, index_dir)
        server.log.info("built index %s (content version %s)", info.path.name, info.version)
