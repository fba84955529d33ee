"""The `mtkb` command: the editor's commands first (check, build, preview, search, cite, new, export), then
the upkeep ones (verify-upstream), and Flask's generic commands moved under `mtkb flask`.

Exit codes: 0 clean; 1 content problems (or a command that could not do its work: no index, an unknown
key, a drifted quote); 2 a usage error (click's: an unknown option, a missing argument, a bad value)."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, routes_command, run_command, shell_command
from tqdm import tqdm

from api import authoring, preview
from index import IndexHandle, SearchRequest, build_index
from index.build import HISTORY_CACHE_DIR
from index.citations import PRERENDER_LIMIT
from mtkb.corpus import Corpus, load_corpus
from mtkb.errors import MtkbError
from mtkb.history import derive
from mtkb.records import Recommendation
from mtkb.upstream import compare, fetch, page_text


def _dirs(kb: str | None, references: str | None) -> tuple[Path, Path]:
    return Path(kb or current_app.config["KB_DIR"]), Path(references or current_app.config["REFERENCES_DIR"])


def _print_problems(corpus: Corpus) -> None:
    for problem in corpus.problems:
        click.echo(str(problem), err=True)
    for warning in corpus.warnings:
        click.echo(f"{warning} (warning)", err=True)


def _print_counts(corpus: Corpus) -> None:
    for name, count in corpus.counts().items():
        click.echo(f"{name:15} {count:6}")


PROGRESS_DELAY = 1.0
"""Seconds a build stage runs before its progress bar shows (a quick build prints no bar)."""

kb_option = click.option("--kb", type=click.Path(file_okay=False), help="Markdown folder (default: KB_DIR).")
refs_option = click.option(
    "--references", type=click.Path(file_okay=False), help="BibTeX folder (default: REFERENCES_DIR)."
)


@click.command("check")
@kb_option
@refs_option
def check_command(kb: str | None, references: str | None) -> None:
    """Validate the content: one `path:line: message` per problem, then the count per type."""
    corpus = load_corpus(*_dirs(kb, references))
    _print_problems(corpus)
    _print_counts(corpus)
    if corpus.problems:
        click.echo(f"{len(corpus.problems)} problem(s)", err=True)
        sys.exit(1)


@click.command("build")
@kb_option
@refs_option
@click.option(
    "--index", "index_dir", type=click.Path(file_okay=False), help="Index folder (default: INDEX_DIR)."
)
@click.option("--keep-going", is_flag=True, help="Index every valid entry and report the rejected ones.")
def build_command(kb: str | None, references: str | None, index_dir: str | None, keep_going: bool) -> None:
    """Build a new index from the content and switch to it atomically. Strict by default: a content
    problem aborts and the current index keeps serving."""
    started = time.perf_counter()
    kb_dir, references_dir = _dirs(kb, references)
    corpus = load_corpus(kb_dir, references_dir)
    target = Path(index_dir or current_app.config["INDEX_DIR"])
    _print_problems(corpus)
    indexed = len(corpus.items) + len(corpus.references)
    if corpus.problems and not keep_going:
        click.echo(
            f"build aborted: {len(corpus.problems)} problem(s); the current index is unchanged "
            "(use --keep-going to index the valid entries)",
            err=True,
        )
        sys.exit(1)
    with _progress("indexing") as progress, _progress("citations") as citations_progress:
        history = derive(kb_dir, references_dir, target / HISTORY_CACHE_DIR)
        info = build_index(corpus, target, progress, history=history, citations_progress=citations_progress)
    click.echo(f"indexed {indexed}, rejected {corpus.entries_seen - indexed}")
    counts = ", ".join(f"{n} {t}" for t, n in info.counts.items())
    click.echo(
        f"build {info.path.name} ({counts}), content version {info.version}, "
        f"{time.perf_counter() - started:.1f} s"
    )
    if info.citations_prerendered:
        click.echo("citations: the core styles are pre-rendered in every locale")
    else:
        click.echo(f"citations: formatted on first request (more than {PRERENDER_LIMIT} references)")


@click.command("verify-upstream")
@kb_option
@refs_option
@click.option(
    "--page",
    "pages",
    multiple=True,
    metavar="ID=FILE",
    help="Compare item ID with a stored copy of its official page instead of fetching it.",
)
@click.option("--item", "only", multiple=True, metavar="ID", help="Check only these items (default: all).")
@click.option("--timeout", default=15.0, show_default=True, help="Seconds to wait for each page.")
def verify_upstream_command(
    kb: str | None, references: str | None, pages: tuple[str, ...], only: tuple[str, ...], timeout: float
) -> None:
    """Compare every verbatim quote with its official page and report drift item by item. Exit 0 when
    every quote stands word for word, 1 when one has drifted, 2 when a page could not be read."""
    stored = dict(p.split("=", 1) for p in pages if "=" in p)
    corpus = load_corpus(*_dirs(kb, references))
    status = 0
    for item in corpus.of_type("recommendation"):
        assert isinstance(item, Recommendation)
        url = item.wording.source or item.url
        if (
            item.wording.status != "quoted"
            or not item.wording.text
            or not url
            or (only and item.id not in only)
        ):
            continue
        try:
            html = (
                Path(stored[item.id]).read_text(encoding="utf-8")
                if item.id in stored
                else fetch(url, timeout)
            )
        except OSError as exc:
            click.echo(f"{item.id}: could not read {url}: {exc}", err=True)
            status = max(status, 2)
            continue
        drift = compare(item.wording.text, page_text(html))
        if drift.found:
            click.echo(f"{item.id}: unchanged")
            continue
        status = max(status, 1)
        click.echo(
            f"{item.id}: DRIFT (closest passage {drift.similarity:.0%} alike): "
            f"quote has {' '.join(drift.removed) or '-'}; page has {' '.join(drift.added) or '-'}\n"
            f"  page: {drift.passage}"
        )
    sys.exit(status)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for one stage of a build: shown on a terminal once the stage has taken a second
    (tqdm's `delay`), nothing when the output is not a terminal (tqdm's `disable=None`)."""
    with tqdm(desc=label, unit="", delay=PROGRESS_DELAY, disable=None, leave=False) as bar:

        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield update


@click.command("search")
@click.argument("query")
@click.option("--type", "item_type", help="Only hits of this type.")
@click.option("--per-page", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def search_command(query: str, item_type: str | None, per_page: int, as_json: bool) -> None:
    """Search the current index and print the hits with their ids, titles and snippets."""
    try:
        build = IndexHandle(Path(current_app.config["INDEX_DIR"])).current()
        result = build.search(SearchRequest(q=query, type=item_type, per_page=per_page, highlights=True))
    except MtkbError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.total} hit(s) for {result.query!r}")
    if result.corrected:
        click.echo(f"nothing found; showing hits for {result.corrected!r}")
    if result.relaxed:
        click.echo(
            f"no hit has every word; showing hits with at least {result.relaxed['minimum_should_match']} "
            f"of the {result.relaxed['words']} words"
        )
    for hit in result.hits:
        click.echo(f"{hit.type}/{hit.id}  {hit.title}")
        click.echo("    " + re.sub(r"</?mark[^>]*>", "*", hit.snippet).replace("\n", " "))
    if result.suggestion:
        click.echo(f"did you mean: {result.suggestion}")


EDITOR_COMMANDS = ("check", "build", "preview", "search", "cite", "new", "export")
"""The commands an editor needs, in the order `mtkb --help` lists them; the others follow."""

HELP = """mtkb: the knowledge base and citation API for the evidence on music therapy in substance use (rus)
treatment, Norwegian context.

\b
Content is Markdown in kb/ and BibTeX in references/. The editor's loop:
  mtkb new recommendation my-id   a new item, every required field in place
  mtkb check                      every problem as path:line: message
  mtkb preview                    the site from the working folders, rebuilt and reloaded on each save
  mtkb build                      a new index for the API, switched in atomically

\b
Exit codes: 0 clean; 1 content problems (or the command could not do its work:
no index, an unknown key); 2 a usage error."""


class MtkbGroup(FlaskGroup):
    """Flask's command group, with mtkb's help, its commands in the editor's order, and none of Flask's
    own options (`--app`, `--env-file`, `--debug`) or commands at the top."""

    def __init__(self) -> None:
        from api import create_app

        super().__init__(
            name="mtkb",
            help=HELP,
            create_app=create_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
        )
        self.params = [p for p in self.params if p.name not in ("env_file", "app", "debug")]
        generic = AppGroup("flask", help="Flask's generic commands: run, shell, routes.")
        for command in (run_command, shell_command, routes_command):
            generic.add_command(command)
        self.add_command(generic)

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = super().list_commands(ctx)
        first = [n for n in EDITOR_COMMANDS if n in names]
        return first + sorted(n for n in names if n not in first and n != "flask") + ["flask"]


def init_app(app: Flask) -> None:
    commands = (check_command, build_command, search_command, verify_upstream_command)
    for command in (*commands, *authoring.COMMANDS, preview.preview_command):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the `mtkb` console script."""
    MtkbGroup()(prog_name="mtkb")


if __name__ == "__main__":
    main()
