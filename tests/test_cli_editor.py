"""mtkb's own command line: what `--help` says first, the order of the commands, the exit codes, the
skeletons of `mtkb new`, and `cite` and `export` over the current index."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask.testing import FlaskCliRunner
from marshmallow import Schema, fields, validate

from api.cli import EDITOR_COMMANDS, MtkbGroup
from mtkb import ITEM_TYPES
from mtkb.corpus import Corpus, load_corpus
from mtkb.schemas import schema_for
from mtkb.skeleton import UNKNOWN, folder

from .conftest import KB_DIR, REFERENCES_DIR


def mtkb(*args: str) -> Any:
    return CliRunner().invoke(MtkbGroup(), list(args), prog_name="mtkb")


def test_help_says_what_mtkb_is_and_lists_the_editors_commands_first() -> None:
    result = mtkb("--help")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Usage: mtkb")
    assert "knowledge base and citation API" in " ".join(lines[1:4])
    assert "music therapy" in result.output and "Exit codes: 0 clean; 1 content problems" in result.output
    commands = [line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()]
    assert commands[: len(EDITOR_COMMANDS)] == list(EDITOR_COMMANDS)
    assert commands[-1] == "flask" and not {"run", "shell", "routes"} & set(commands)
    for flask_only in ("--env-file", "--app", "python-dotenv", "--debug"):
        assert flask_only not in result.output


def test_flasks_generic_commands_are_under_a_group_of_their_own() -> None:
    result = mtkb("flask", "--help")
    assert result.exit_code == 0
    assert all(name in result.output for name in ("run", "shell", "routes"))


def test_usage_errors_exit_2_and_content_problems_1(tmp_path: Path) -> None:
    assert mtkb("no-such-command").exit_code == 2
    assert mtkb("check", "--no-such-option").exit_code == 2
    assert mtkb("new", "no-such-type", "x").exit_code == 2
    assert mtkb("new", "fact", "Not_A_Slug", "--stdout").exit_code == 2
    broken = Path(__file__).parent / "data" / "content" / "broken"
    assert (
        mtkb("check", "--kb", str(broken / "kb"), "--references", str(broken / "references")).exit_code == 1
    )
    assert mtkb("check", "--kb", str(KB_DIR), "--references", str(REFERENCES_DIR)).exit_code == 0


# ---------------------------------------------------------------- mtkb new


_TEXTS = itertools.count(1)


def filled(value: Any, field: fields.Field, known: dict[str, str]) -> Any:
    """`value` with every `unknown` an editor would look up replaced by a plausible value of the field's
    kind (`known`: ids of existing items and references, for the fields that point at them)."""
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        return {k: filled(v, field.schema.fields[k], known) for k, v in value.items()}
    if isinstance(field, fields.List) and isinstance(value, list):
        if field.name in known and value == [UNKNOWN]:
            return [known[field.name]]
        return [filled(v, field.inner, known) for v in value]
    if value != UNKNOWN:
        return value
    choices = next((r.choices for r in field.validators if isinstance(r, validate.OneOf)), None)
    if choices is not None:
        return UNKNOWN if UNKNOWN in choices else next(iter(choices))
    if field.name in known:
        return known[field.name]
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Integer):
        return 2017
    if isinstance(field, fields.Date):
        return "2017-09-01"
    if isinstance(field, fields.Url):
        return "https://www.helsedirektoratet.no/"
    return f"Fylt inn av redaktøren ({next(_TEXTS)})."  # one text per field: summaries must differ


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_every_skeleton_passes_check_once_its_unknowns_are_filled(tmp_path: Path, item_type: str) -> None:
    kb, refs = tmp_path / "kb", tmp_path / "references"
    shutil.copytree(KB_DIR, kb)
    shutil.copytree(REFERENCES_DIR, refs)
    corpus = load_corpus(kb, refs)
    reference = next(iter(corpus.references))
    known = {"guideline": corpus.of_type("guideline")[0].id, "reference": reference, "references": reference}

    ident = f"ny-{item_type}"
    result = mtkb("new", item_type, ident, "--kb", str(kb))
    assert result.exit_code == 0, result.output
    file = kb / folder(item_type) / f"{ident}.md"
    text = file.read_text(encoding="utf-8")
    assert UNKNOWN in text and "# " in text  # unknowns to look up, and comments saying what each takes
    assert mtkb("new", item_type, ident, "--kb", str(kb)).exit_code == 1, "never overwrites"

    front = yaml.safe_load(text.split("---\n")[1])
    schema = schema_for(item_type)
    assert set(front) >= {name for name, f in schema.fields.items() if f.required}
    data = {name: filled(value, schema.fields[name], known) for name, value in front.items()}
    file.write_text("---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n", "utf-8")

    check = mtkb("check", "--kb", str(kb), "--references", str(refs))
    assert check.exit_code == 0, check.output
    assert load_corpus(kb, refs).items[ident].type == item_type


# ---------------------------------------------------------------- cite, export, build


def test_cite_prints_the_entry_and_the_in_text_citation(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["cite", "ghetti2022cochrane", "--style", "vancouver", "--locale", "en"])
    assert result.exit_code == 0, result.output
    entry, intext = result.output.strip().splitlines()
    assert entry.startswith("Ghetti C") and "Music therapy for people with substance use disorders" in entry
    assert intext == "(1)"
    assert runner.invoke(args=["cite", "no-such-key"]).exit_code == 1
    assert runner.invoke(args=["cite", "ghetti2022cochrane", "--style", "no-such-style"]).exit_code == 2


def test_export_prints_references_in_the_format_asked(runner: FlaskCliRunner, corpus: Corpus) -> None:
    ris = runner.invoke(args=["export", "ghetti2022cochrane", "--format", "ris"])
    assert ris.exit_code == 0 and "TY  - JOUR" in ris.output and "ID  - ghetti2022cochrane" in ris.output
    everything = runner.invoke(args=["export"])
    assert everything.exit_code == 0 and everything.output.count("\n@") + 1 == len(corpus.references)
    assert runner.invoke(args=["export", "no-such-key"]).exit_code == 1


def test_build_prints_no_progress_bar_when_not_on_a_terminal(runner: FlaskCliRunner, tmp_path: Path) -> None:
    valid = Path(__file__).parent / "data" / "content" / "valid"
    result = runner.invoke(
        args=[
            "build",
            "--kb",
            str(valid / "kb"),
            "--references",
            str(valid / "references"),
            "--index",
            str(tmp_path),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "indexing" not in result.output and "citations:" in result.output and "\r" not in result.output
