"""`mtkb preview`: the site and the API served from the working folders while an editor writes.

A development server of its own (werkzeug's `run_simple`, one thread per request; not gunicorn) serves
the app over a preview index of its own (`var/preview` by default, never the production INDEX_DIR). A thread
polls kb/**/*.md and references/**/*.bib every POLL_SECONDS and, when a file changed, appeared or went,
rebuilds: the content is read, every valid entry is indexed (as `mtkb build --keep-going`) and the build
is incremental, so an edit costs what it changed. A content problem never stops the preview: every HTML
page shows the problems of the last build as `path:line: message` at its top.

Pages reload themselves after a rebuild: a small script (`/_preview/reload.js`, from this origin, so the
pages' Content-Security-Policy, `script-src 'self'`, allows it unchanged) polls `/_preview/state` and reloads
when the build number changed. The script and the problem list are added to HTML responses by this module's
middleware, in preview only; the production app never has them.

Polling rather than inotify (watchdog): it needs no native library, works the same on every file system
(network and container mounts included, where inotify events do not arrive), and stat-ing the content's
hundred-odd files twice a second costs well under a millisecond.
"""

from __future__ import annotations

import html
import json
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from index import build_index
from index.build import HISTORY_CACHE_DIR
from mtkb.corpus import ParsedItems, load_corpus
from mtkb.history import derive

POLL_SECONDS = 0.5
"""How often the content folders are looked at for changes."""
STATE_PATH = "/_preview/state"
SCRIPT_PATH = "/_preview/reload.js"
STYLE_PATH = "/_preview/preview.css"
RELOAD_JS = """// mtkb preview: reload this page when the content has been rebuilt.
(function () {
  var me = document.currentScript;
  var seen = me ? me.getAttribute("data-build") : null;
  function poll() {
    fetch("STATE_PATH", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
      if (seen !== null && String(s.build) !== seen && !s.building) { location.reload(); return; }
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 1000);
})();
""".replace("STATE_PATH", STATE_PATH)
PREVIEW_CSS = """.mtkb-preview { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: .5rem 1rem;
  background: #fbe9e7; color: #8a1c1c; border-bottom: 2px solid #8a1c1c; }
.mtkb-preview.ok { background: #e5f4ea; color: #17502b; border-color: #17502b; }
.mtkb-preview ul { margin: .25rem 0 0; padding-left: 1.25rem; }
.mtkb-preview code { white-space: pre-wrap; }
"""


def _snapshot(folders: Iterable[tuple[Path, str]]) -> dict[str, tuple[int, int]]:
    """Each content file with its modification time and size."""
    found = {}
    for folder, pattern in folders:
        for file in sorted(folder.rglob(pattern)) if folder.is_dir() else []:
            try:
                stat = file.stat()
            except OSError:  # removed between listing and stat: the next poll sees it gone
                continue
            found[str(file)] = (stat.st_mtime_ns, stat.st_size)
    return found


class Preview:
    """The preview's state: the content folders, the preview index, the last build and its problems."""

    def __init__(self, kb_dir: Path, references_dir: Path, index_dir: Path):
        self.kb_dir, self.references_dir, self.index_dir = kb_dir, references_dir, index_dir
        self.build = 0  # rebuilds done, for the pages' reload script
        self.building = False
        self.problems: list[str] = []
        self.error: str | None = None
        self.seconds = 0.0
        self._files: dict[str, tuple[int, int]] = {}
        self._parsed: ParsedItems = {}  # only the files that changed are read again
        self._lock = threading.Lock()

    def _folders(self) -> list[tuple[Path, str]]:
        return [(self.kb_dir, "*.md"), (self.references_dir, "*.bib")]

    def changed(self) -> bool:
        """Whether a content file changed, appeared or went since the last look."""
        files = _snapshot(self._folders())
        if files == self._files:
            return False
        self._files = files
        return True

    def rebuild(self) -> None:
        """Read the content and build every valid entry; problems and failures are kept, never raised."""
        with self._lock:
            self.building = True
            started = time.perf_counter()
            try:
                corpus = load_corpus(self.kb_dir, self.references_dir, self._parsed)
                history = derive(self.kb_dir, self.references_dir, self.index_dir / HISTORY_CACHE_DIR)
                build_index(corpus, self.index_dir, history=history)
                self.problems = [str(p) for p in corpus.problems]
                self.error = None
            except Exception as exc:  # shown on the page; the previous build keeps serving
                self.error = "".join(traceback.format_exception_only(exc)).strip()
            finally:
                self.seconds = time.perf_counter() - started
                self.build += 1
                self.building = False

    def watch(self, stop: threading.Event) -> None:
        """Rebuild whenever the content changes, until `stop` is set."""
        while not stop.wait(POLL_SECONDS):
            if self.changed():
                self.rebuild()

    def state(self) -> dict[str, Any]:
        return {
            "build": self.build,
            "building": self.building,
            "problems": self.problems,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }

    def banner(self) -> str:
        """The problem list at the top of every page (or a line saying the content is clean)."""
        lines = [*self.problems, *([f"build failed: {self.error}"] if self.error else [])]
        if not lines:
            return (
                f'<div class="mtkb-preview ok" role="status">Preview: build {self.build}, no problems.</div>'
            )
        items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in lines)
        return (
            f'<div class="mtkb-preview" role="alert"><strong>Preview: {len(lines)} problem(s) in the '
            f"content</strong> (the pages show every valid entry)<ul>{items}</ul></div>"
        )

    def middleware(self, app: Callable[..., Any]) -> Callable[..., Any]:
        """`app` with the preview's own routes and, on HTML pages, the problem list and reload script."""

        def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            request = Request(environ)
            if request.path == STATE_PATH:
                response = Response(json.dumps(self.state()), mimetype="application/json")
            elif request.path == SCRIPT_PATH:
                response = Response(RELOAD_JS, mimetype="text/javascript")
            elif request.path == STYLE_PATH:
                response = Response(PREVIEW_CSS, mimetype="text/css")
            else:
                response = Response.from_app(app, environ, buffered=True)
                if response.mimetype == "text/html":
                    self._decorate(response)
            response.headers["Cache-Control"] = "no-store"
            return response(environ, start_response)

        return wrapped

    def _decorate(self, response: Response) -> None:
        page = response.get_data(as_text=True)
        head = f'<link rel="stylesheet" href="{STYLE_PATH}">'
        body = f'{self.banner()}<script src="{SCRIPT_PATH}" data-build="{self.build}"></script>'
        page = page.replace("</head>", head + "</head>", 1)
        page = page.replace("<body>", "<body>" + body, 1) if "<body>" in page else body + page
        response.set_data(page)
        for name in ("ETag", "Last-Modified"):
            response.headers.pop(name, None)


@click.command("preview")
@with_appcontext
@click.option("--kb", type=click.Path(file_okay=False), help="Markdown folder (default: KB_DIR).")
@click.option(
    "--references", type=click.Path(file_okay=False), help="BibTeX folder (default: REFERENCES_DIR)."
)
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False),
    help="Preview index folder (default: var/preview beside INDEX_DIR; never INDEX_DIR itself).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def preview_command(
    kb: str | None, references: str | None, index_dir: str | None, host: str, port: int
) -> None:
    """Serve the site and the API from the working folders on a development server, rebuild on every
    save and reload the open page; content problems are shown on the page, not fatal."""
    from api import create_app

    config = current_app.config
    kb_dir = Path(kb or config["KB_DIR"])
    references_dir = Path(references or config["REFERENCES_DIR"])
    target = Path(index_dir) if index_dir else Path(config["INDEX_DIR"]).parent / "preview"
    preview = Preview(kb_dir, references_dir, target)
    preview.changed()
    click.echo(f"building {kb_dir} and {references_dir} into {target} ...")
    preview.rebuild()
    for line in [*preview.problems, *([preview.error] if preview.error else [])]:
        click.echo(line, err=True)
    app = create_app({"INDEX_DIR": str(target), "KB_DIR": str(kb_dir), "REFERENCES_DIR": str(references_dir)})
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, args=(stop,), daemon=True, name="mtkb-preview-watch")
    watcher.start()
    click.echo(
        f"preview on http://{host}:{port}/ (Ctrl-C to stop); watching for changes every {POLL_SECONDS} s"
    )
    try:
        run_simple(host, port, preview.middleware(app), threaded=True, use_reloader=False)
    finally:
        stop.set()
        watcher.join()
