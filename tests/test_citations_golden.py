"""Golden files: tests/data/citations/<case>/ holds one real entry (input.bib) and the expected
bibliography entries and in-text citations, written by hand from the style manuals (APA 7, Citing
Medicine). File names: <style>.<locale>.txt (entry) and <style>.<locale>.intext.txt (citation)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from mtkb.citations import Formatted, format_references
from mtkb.records import Reference
from mtkb.sources.bibtex import load_bibliography

CASES = Path(__file__).resolve().parent / "data" / "citations"


def _expected_files() -> list[tuple[str, str]]:
    return sorted(
        (case.name, file.name)
        for case in CASES.iterdir()
        if (case / "input.bib").is_file()
        for file in case.glob("*.txt")
    )


@cache
def _reference(case: str) -> Reference:
    result = load_bibliography([(CASES / case / "input.bib", f"{case}/input.bib")])
    assert not result.problems, result.problems
    (ref,) = result.references.values()
    return ref


@cache
def _rendered(style: str, locale: str) -> dict[str, Formatted]:
    """Every case's reference in one engine run per style and locale."""
    refs = [_reference(case) for case in sorted({case for case, _ in _expected_files()})]
    return format_references(refs, style, locale)


def test_every_case_has_an_entry_type_and_both_styles_and_locales() -> None:
    by_case: dict[str, set[str]] = {}
    for case, name in _expected_files():
        by_case.setdefault(case, set()).add(name)
    assert len(by_case) >= 7
    for case, names in by_case.items():
        for style in ("apa", "vancouver"):
            for locale in ("en-US", "nb-NO"):
                assert f"{style}.{locale}.txt" in names, (case, style, locale)
        assert (CASES / case / "README.md").is_file(), case


@pytest.mark.parametrize(("case", "name"), _expected_files())
def test_golden(case: str, name: str) -> None:
    style, locale, *kind = name.removesuffix(".txt").split(".")
    ref = _reference(case)
    formatted = _rendered(style, locale)[ref.key]
    got = formatted.intext_text if kind == ["intext"] else formatted.bibliography_text
    expected = (CASES / case / name).read_text("utf-8").rstrip("\n")
    assert got == expected
