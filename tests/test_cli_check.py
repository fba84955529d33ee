"""`mtkb check` and `mtkb build` on real content folders, through Flask's CLI runner."""

from __future__ import annotations

import os
import re
from pathlib import Path

from click.testing import Result
from flask.testing import FlaskCliRunner

from mtkb import ITEM_TYPES

from .conftest import DATA, KB_DIR, REFERENCES_DIR

BROKEN = DATA / "content" / "broken"
VALID = DATA / "content" / "valid"


def check(runner: FlaskCliRunner, content: Path | None = None) -> Result:
    kb, refs = (content / "kb", content / "references") if content else (KB_DIR, REFERENCES_DIR)
    return runner.invoke(args=["check", "--kb", str(kb), "--references", str(refs)])


def counts(output: str) -> dict[str, int]:
    """The `type  count` lines `check` and `build` print."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", output, re.M)}


def test_check_real_content(runner: FlaskCliRunner) -> None:
    result = check(runner)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    found = counts(result.stdout)
    assert list(found) == [*ITEM_TYPES, "reference"]
    assert found["guideline"] >= 3 and found["recommendation"] >= 3 and found["evidence"] >= 7
    assert found["report"] >= 7 and found["fact"] >= 8 and found["reference"] >= 25
    assert found["service"] >= 12


def test_check_valid_fixture_counts(runner: FlaskCliRunner) -> None:
    result = check(runner, VALID)
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == {
        "guideline": 1,
        "recommendation": 1,
        "evidence": 2,
        "report": 1,
        "fact": 1,
        "service": 1,
        "reference": 5,
    }


def test_check_broken_content_names_every_problem(runner: FlaskCliRunner) -> None:
    result = check(runner, BROKEN)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    # a .bib file with a syntax error
    assert any(line.startswith("references/syntax.bib:7: BibTeX syntax error") for line in errors), errors
    # a duplicate key
    assert (
        "references/second.bib:3: duplicate entry key 'good2020' (first at references/good.bib:3)" in errors
    )
    # a Markdown file missing a required field
    assert "kb/facts/mangler-felt.md:2: statement: Missing data for required field." in errors
    # a citation of an unknown key, at the citation's line
    assert "kb/evidence/ukjent-sitat.md:21: unknown reference key 'nosuchkey'" in errors
    # a broken superseded_by link, at the field's line
    assert "kb/evidence/erstattet-feil.md:16: superseded_by: evidence 'finnes-ikke' does not exist" in errors
    assert errors[-1] == "13 problem(s)"
    assert len(errors) == 13 + 1
    assert all(re.match(r"^(kb|references)/[\w/.-]+:\d+: ", line) for line in errors[:-1]), errors


def test_check_broken_content_still_counts_the_good_items(runner: FlaskCliRunner) -> None:
    result = check(runner, BROKEN)
    assert counts(result.stdout) == {
        "guideline": 1,
        "recommendation": 1,
        "evidence": 1,
        "report": 1,
        "fact": 1,
        "service": 0,
        "reference": 6,
    }


def test_build_keep_going_indexes_the_good_and_counts_the_rest(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    args = ["build", "--keep-going", "--index", str(index)]
    result = runner.invoke(
        args=[*args, "--kb", str(BROKEN / "kb"), "--references", str(BROKEN / "references")]
    )
    match = re.search(r"^indexed (\d+), rejected (\d+)$", result.stdout, re.M)
    assert match, result.output
    indexed, rejected = int(match[1]), int(match[2])
    markdown_files = len(list((BROKEN / "kb").rglob("*.md")))
    bib_entries = sum(
        len(re.findall(r"^@(?!string|comment|preamble)\w+\{", f.read_text(), re.M | re.I))
        for f in (BROKEN / "references").glob("*.bib")
    )
    assert indexed + rejected == markdown_files + bib_entries == 16 + 8
    assert (indexed, rejected) == (5 + 6, 11 + 2)
    assert (index / "current").is_symlink()
    assert result.stderr.count("\n") >= 13  # the problems were printed


def test_strict_build_fails_and_keeps_the_previous_index(runner: FlaskCliRunner, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = runner.invoke(
        args=[
            "build",
            "--index",
            str(index),
            "--kb",
            str(VALID / "kb"),
            "--references",
            str(VALID / "references"),
        ]
    )
    assert first.exit_code == 0, first.output
    assert "indexed 12, rejected 0" in first.stdout
    before = os.readlink(index / "current")

    result = runner.invoke(
        args=[
            "build",
            "--index",
            str(index),
            "--kb",
            str(BROKEN / "kb"),
            "--references",
            str(BROKEN / "references"),
        ]
    )
    assert result.exit_code == 1
    assert "build aborted: 13 problem(s); the current index is unchanged" in result.stderr
    assert "indexed" not in result.stdout
    assert os.readlink(index / "current") == before
    assert (index / "current").resolve().is_dir()
