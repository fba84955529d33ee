"""Settings, declared once as data. Each UPPER_CASE name is a default; an environment variable
`MTKB_<NAME>` overrides it (converted to the default's type), and `create_app(test_config)` overrides both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

KB_DIR = str(ROOT / "kb")
"""Folder of Markdown knowledge items."""

REFERENCES_DIR = str(ROOT / "references")
"""Folder of BibTeX files."""

INDEX_DIR = str(ROOT / "var" / "index")
"""Folder of numbered index builds and the `current` pointer (a build artefact, never committed)."""

DEFAULT_PER_PAGE = 20
"""List and search page size when the client gives none."""

MAX_PER_PAGE = 100
"""Largest page a client may ask for."""

FEED_ENTRIES = 50
"""Entries in the Atom and JSON change feeds (the latest changes, newest first)."""

CACHE_MAX_AGE = 300
"""Seconds that clients and shared caches may reuse a response (`Cache-Control: max-age`)."""

PROJECT_LICENCE = "CC BY 4.0"
"""Licence of the project's own text (summaries, notes, corrections)."""

PROJECT_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
"""Where the project's licence is published."""

HDIR_LICENCE = "NLOD"
"""Licence of Helsedirektoratet's content (Norsk lisens for offentlige data)."""

HDIR_LICENCE_URL = "https://data.norge.no/nlod/no/2.0"
"""Where NLOD is published."""

RESTX_ERROR_404_HELP = False
"""flask-restx must not append its 'did you mean' hints to 404 errors."""

RESTX_MASK_SWAGGER = False
"""No X-Fields mask parameter in the OpenAPI document."""

MAX_CONTENT_LENGTH = 64 * 1024
"""Largest request body accepted (the only body is a bibliography request)."""

SEARCH_TIME_LIMIT = 3.0
"""Seconds one search may run before it is stopped and answered 400 "query too expensive" (a timer
signal in the worker's main thread: gunicorn's sync and gevent workers both run requests there)."""

RESPONSE_MEMO_BYTES = 16 * 1024 * 1024
"""Bytes of finished GET responses (bodies, keys and headers) each worker keeps in memory (see
api/memo.py); 0 turns it off. 16 MB holds about 4,000 search pages or 500 expanded recommendations."""

ACCESS_LOG_RETENTION_DAYS = 14
"""Days the access log (time, request line, status, size, duration; no addresses) is kept; the privacy
statement at /privacy states it, and the deployment's log rotation must keep to it."""

RATELIMIT_DEFAULT = "300 per minute"
"""Requests a client may make (per worker when storage is memory://), in the `limits` package's syntax
("300 per minute", "10/second")."""

RATELIMIT_STORAGE_URI = "memory://"
"""Where rate-limit counters live; memory:// counts per worker, redis://host:6379 shares them."""

RATELIMIT_EXEMPT_LOOPBACK = True
"""Clients on 127.0.0.0/8 or ::1 are not limited (load tests measure the service, not the limiter)."""

RATELIMIT_ENGINE = "20 per minute"
"""Runs of the citation engine a client may cause (formatting in a style that is not pre-rendered, or a
bibliography not formatted before), counted apart from RATELIMIT_DEFAULT: each costs a process."""

CITATION_ENGINE = ""
"""Path of the pandoc binary that formats citations; empty: the one installed with pypandoc-binary."""

ENGINE_TIME_LIMIT = 10.0
"""Seconds one run of the citation engine may take while answering a request (well under gunicorn's
30 s worker timeout; builds allow 120 s); a run past it is stopped and answered 503 with Retry-After."""

ENGINE_CONCURRENCY = 2
"""Engine processes one worker runs at once for requests; more wait (ENGINE_QUEUE_WAIT), then get 503."""

ENGINE_QUEUE_WAIT = 5.0
"""Seconds a request waits for a free engine slot before it is answered 503 with Retry-After."""

ENGINE_PAUSE = 30.0
"""Seconds a worker answers engine work 503 at once after a run timed out or the engine could not be
started, so that a slow or missing engine costs one wait, not one per request (also the Retry-After)."""

TRUSTED_PROXIES = 0
"""How many reverse proxies or CDN hops in front of the service may set X-Forwarded-For (and
X-Forwarded-Proto and X-Forwarded-Host). With 0 the client address is the TCP peer and X-Forwarded-* is
ignored."""

PUBLIC_BASE_URL = ""
"""The address people reach the service at, scheme://host[:port] (https://mtkb.example.no); when set,
every absolute link is made from it, whatever Host or X-Forwarded-Host a request names (api/hosts.py)."""

ALLOWED_HOSTS = "localhost,127.0.0.1,::1"
"""Comma-separated host names the service answers to besides PUBLIC_BASE_URL's (".example.org" also
matches subdomains); a request naming any other host in Host or X-Forwarded-Host is answered 400."""


def defaults() -> dict[str, Any]:
    """Every setting's default, by name."""
    return {name: value for name, value in globals().items() if name.isupper() and name != "ROOT"}


def from_environment(environ: dict[str, str] | os._Environ[str] = os.environ) -> dict[str, Any]:
    """Settings overridden by `MTKB_<NAME>` variables, each converted to its default's type."""
    out: dict[str, Any] = {}
    for name, default in defaults().items():
        raw = environ.get(f"MTKB_{name}")
        if raw is None:
            continue
        if isinstance(default, bool):
            out[name] = raw.strip().lower() in ("1", "true", "yes", "on")
        elif isinstance(default, int | float | list | dict):
            out[name] = json.loads(raw)
        else:
            out[name] = raw
    return out
