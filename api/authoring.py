"""The editor's commands beside check and build: `mtkb new`, `mtkb cite` and `mtkb export`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from index import IndexHandle, OpenBuild
from mtkb import ITEM_TYPES
from mtkb.citations import resolve_locale, resolve_style, to_bibtex, to_csljson, to_ris
from mtkb.errors import MtkbError
from mtkb.skeleton import folder, skeleton


def _current() -> OpenBuild:
    try:
        return IndexHandle(Path(current_app.config["INDEX_DIR"])).current()
    except MtkbError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("new")
@with_appcontext
@click.argument("item_type", metavar="TYPE", type=click.Choice(ITEM_TYPES))
@click.argument("ident", metavar="ID")
@click.option("--kb", type=click.Path(file_okay=False), help="Markdown folder (default: KB_DIR).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the file instead of writing it.")
def new_command(item_type: str, ident: str, kb: str | None, to_stdout: bool) -> None:
    """Write kb/<folder>/ID.md for a new item of TYPE: every required field, `unknown` where a value must
    be looked up, a comment saying what each field takes. Refuses to overwrite a file."""
    try:
        text = skeleton(item_type, ident, date.today())
    except MtkbError as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from None
    if to_stdout:
        click.echo(text, nl=False)
        return
    target = Path(kb or current_app.config["KB_DIR"]) / folder(item_type) / f"{ident}.md"
    if target.exists():
        raise click.ClickException(f"{target} exists already")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}: fill in every `unknown`, then run `mtkb check`")


@click.command("cite")
@with_appcontext
@click.argument("key")
@click.option("--style", default="apa", show_default=True, help="A core style, its alias or any CSL style.")
@click.option("--locale", default="nb-NO", show_default=True, help="nb-NO, nn-NO, en-US or en-GB.")
@click.option("--html", "as_html", is_flag=True, help="HTML instead of plain text.")
def cite_command(key: str, style: str, locale: str, as_html: bool) -> None:
    """Print the reference KEY formatted as its bibliography entry and in-text citation, from the current
    index (as the API serves it)."""
    try:
        style, locale = resolve_style(style), resolve_locale(locale)
    except MtkbError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        formatted = _current().citations.formatted([key], style, locale)[key]
    except MtkbError as exc:
        raise click.ClickException(str(exc)) from None
    if as_html:
        click.echo(formatted.bibliography_html)
        click.echo(formatted.intext_html)
    else:
        click.echo(formatted.bibliography_text)
        click.echo(formatted.intext_text)


EXPORTERS = {"bibtex": to_bibtex, "ris": to_ris, "csljson": to_csljson}


@click.command("export")
@with_appcontext
@click.argument("keys", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(list(EXPORTERS)), default="bibtex", show_default=True)
def export_command(keys: tuple[str, ...], fmt: str) -> None:
    """Print the references KEYS (default: every reference) as BibTeX, RIS or CSL-JSON, from the current
    index."""
    build = _current()
    wanted = keys or tuple(build.records.get("reference", {}))
    try:
        refs = [build.citations.reference(key) for key in wanted]
    except MtkbError as exc:
        raise click.ClickException(str(exc)) from None
    out = EXPORTERS[fmt](refs)
    if not isinstance(out, str):
        out = json.dumps(out, ensure_ascii=False, indent=2)
    sys.stdout.write(out if out.endswith("\n") else out + "\n")


COMMANDS = (new_command, cite_command, export_command)
