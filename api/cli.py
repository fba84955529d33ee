"""The `mtkb` command: Flask's CLI with the content commands (check, build, search)."""

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
from flask.cli import FlaskGroup

from index import IndexHandle, SearchRequest, build_index
from index.citations import PRERENDER_LIMIT
from mtkb.corpus import Corpus, load_corpus
from mtkb.errors import MtkbError


def _dirs(kb: str | None, references: str | None) -> tuple[Path, Path]:
    return Path(kb or current_app.config["KB_DIR"]), Path(references or current_app.config["REFERENCES_DIR"])


def _print_problems(corpus: Corpus) -> None:
    for problem in corpus.problems:
        click.echo(str(problem), err=True)


def _print_counts(corpus: Corpus) -> None:
    for name, count in corpus.counts().items():
        click.echo(f"{name:15} {count:6}")


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
    corpus = load_corpus(*_dirs(kb, references))
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
    with _progress(indexed) as progress:
        info = build_index(corpus, target, progress)
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


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal for large inputs; nothing otherwise."""
    if not sys.stdout.isatty() or total < 1000:
        yield None
        return
    with click.progressbar(length=total, label="indexing") as bar:
        yield lambda done, _total: bar.update(done - bar.pos)


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


def init_app(app: Flask) -> None:
    for command in (check_command, build_command, search_command):
        app.cli.add_command(command)


def main() -> None:
    """Entry point of the `mtkb` console script."""
    from api import create_app

    FlaskGroup(create_app=create_app, add_version_option=False, load_dotenv=False)(prog_name="mtkb")


if __name__ == "__main__":
    main()
