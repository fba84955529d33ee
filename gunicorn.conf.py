"""gunicorn settings for mtkb. A missing index is built once, in the master, before any worker starts."""

from __future__ import annotations

import json
import os
from typing import Any

import gunicorn.util

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
# gunicorn 25+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl): two servers on
# one host would take it from each other, and nothing here uses it.
control_socket_disable = True
accesslog = "-"
access_log_format = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'


PROBLEM_HEADERS = (
    "Content-Type: application/problem+json\r\n"
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
    "Access-Control-Allow-Origin: *\r\n"
)


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn answers itself (a malformed request: 400; a request line over limit_request_line:
    414; too many or too long header fields: 431; an error before the app answered: 500) as the API's
    one error shape, application/problem+json (ASCII, <, > and & escaped), with the security headers,
    instead of gunicorn's HTML page (`gunicorn.util.write_error`, which its workers' handle_error calls)."""
    body = {"type": "about:blank", "title": reason, "status": status_int, "detail": mesg or reason}
    text = json.dumps(body).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    head = f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n{PROBLEM_HEADERS}"
    data = f"{head}Content-Length: {len(text)}\r\n\r\n{text}".encode("latin-1")
    gunicorn.util.write_nonblock(sock, data)


gunicorn.util.write_error = write_problem


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
