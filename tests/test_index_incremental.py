"""Incremental builds: a build takes from the previous one what did not change, and the result is the same,
file for file and byte for byte, as a full build of the same content (only the manifest's time differs)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import index.citations
from index import build_index
from index.build import MANIFEST_FILE, SPELLING_FILE, WHOOSH_DIR
from index.builds import current_build
from index.reuse import INPUTS_FILE, Previous
from mtkb.citations import CORE_STYLES, LOCALES
from mtkb.corpus import load_corpus
from mtkb.records import Reference

from .conftest import KB_DIR, REFERENCES_DIR

EDITED_ITEM = "kb/evidence/cochrane-2022-rus.md"
EDITED_REFERENCE = ("references/evidence.bib", "{Music therapy for people with substance use disorders}")


def files(build: Path) -> dict[str, bytes]:
    """Every file of a build by its path in the build, the manifest without `built_at` (the one part that
    is meant to differ)."""
    found = {str(p.relative_to(build)): p.read_bytes() for p in sorted(build.rglob("*")) if p.is_file()}
    manifest = json.loads(found[MANIFEST_FILE])
    assert manifest.pop("built_at")
    found[MANIFEST_FILE] = json.dumps(manifest).encode()
    return found


def assert_same(incremental: Path, full: Path) -> None:
    left, right = files(incremental), files(full)
    assert sorted(left) == sorted(right)
    different = [name for name in left if left[name] != right[name]]
    assert not different, f"differ from a full build: {different}"


@pytest.fixture()
def formatted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Every (style, locale, key) the engine formats during the test."""
    seen: list[tuple[str, str, str]] = []
    real = index.citations.format_many

    def counting(requests: Sequence[tuple[Sequence[Reference], str, str]]) -> Any:
        seen.extend((style, locale, ref.key) for refs, style, locale in requests for ref in refs)
        return real(requests)

    monkeypatch.setattr(index.citations, "format_many", counting)
    return seen


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    """A copy of the real content, to edit."""
    shutil.copytree(KB_DIR, tmp_path / "content" / "kb")
    shutil.copytree(REFERENCES_DIR, tmp_path / "content" / "references")
    return tmp_path / "content"


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_rebuild_after_an_edit_is_byte_identical_to_a_full_build(
    tmp_path: Path, index_dir: Path, content: Path, formatted: list[tuple[str, str, str]]
) -> None:
    incremental = tmp_path / "incremental"
    shutil.copytree(index_dir, incremental, symlinks=True)  # the session's full build of the real content
    previous = current_build(incremental)
    edit(content / EDITED_ITEM, "\n---\n", "\n---\n\nEn ny setning i sammendraget.\n")
    bib, title = EDITED_REFERENCE
    edit(content / bib, title, "{Music therapy for people with substance use disorders: edited}")
    corpus = load_corpus(content / "kb", content / "references")
    assert not corpus.problems

    rebuilt = build_index(corpus, incremental).path
    changed = {key for _, _, key in formatted}
    formatted.clear()
    full = build_index(corpus, tmp_path / "full").path

    assert rebuilt != previous
    assert_same(rebuilt, full)
    # only the edited reference went through the engine again, in every style and locale
    assert changed == {"ghetti2022cochrane"}
    assert len(formatted) == len(CORE_STYLES) * len(LOCALES) * len(corpus.references)
    assert json.loads((rebuilt / "records.json").read_text("utf-8")) != json.loads(
        (previous / "records.json").read_text("utf-8")
    )


def test_a_rebuild_without_changes_reuses_the_index_and_formats_nothing(
    tmp_path: Path, index_dir: Path, formatted: list[tuple[str, str, str]]
) -> None:
    incremental = tmp_path / "incremental"
    shutil.copytree(index_dir, incremental, symlinks=True)
    previous = current_build(incremental)
    assert previous is not None
    rebuilt = build_index(load_corpus(KB_DIR, REFERENCES_DIR), incremental).path
    assert rebuilt != previous and current_build(incremental) == rebuilt
    assert formatted == []
    for name in (f"{WHOOSH_DIR}/_MAIN_1.toc", SPELLING_FILE):  # linked, not written again
        assert (rebuilt / name).stat().st_ino == (previous / name).stat().st_ino
    assert_same(rebuilt, previous)


def test_a_previous_build_of_other_code_is_not_reused(tmp_path: Path, index_dir: Path) -> None:
    previous = tmp_path / "previous"
    shutil.copytree(current_build(index_dir) or index_dir, previous)
    assert Previous.of(previous).build == previous
    inputs = previous / INPUTS_FILE
    inputs.write_text(inputs.read_text("utf-8").replace('"code": "', '"code": "other'), "utf-8")
    assert Previous.of(previous).build is None
    assert Previous.of(None).build is None
