"""Real-world BibTeX and biblatex files (tests/data/realworld/, origins in its README), each read as a
bibliography of its own: every entry accounted for, none rejected that pybtex accepts, every field
mapped or kept, the BibTeX export read back to the same fields, and no LaTeX left in what is served."""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import Any

import pybtex.database
import pybtex.errors
import pytest
import rispy

from mtkb.bibmap import FIELDS, KEY_FIELDS, VERBATIM_FIELDS, field_row
from mtkb.citations import format_references, to_bibtex, to_ris
from mtkb.citations.csl import to_csl_json
from mtkb.records import Reference
from mtkb.schemas.reference import ReferenceSchema
from mtkb.sources.bibtex import BibResult, load_bibliography
from mtkb.sources.entries import ATTRIBUTES, canonical_name

REALWORLD = Path(__file__).resolve().parent / "data" / "realworld"
FILES = sorted(p.name for p in REALWORLD.glob("*.bib"))
_BLOCK = re.compile(r"^\s*@\s*(\w+)\s*[{(]", re.M)
_LATEX = re.compile(r"\\[A-Za-z]+|[{}]")
VERBATIM = {*VERBATIM_FIELDS, "malformed_doi", "url", "doi"}
"""Values kept exactly as written (URLs, DOIs, file names): LaTeX-free by nature, braces allowed."""


@cache
def loaded(name: str) -> BibResult:
    return load_bibliography([(REALWORLD / name, name)])


@cache
def pybtex_keys(name: str) -> set[str]:
    """The keys of the entries pybtex reads from the file (in its tolerant mode, as BibTeX reads:
    problems are reported and the entry kept when it can be)."""
    pybtex.errors.set_strict_mode(False)
    logging.getLogger("pybtex").setLevel(logging.CRITICAL)
    try:
        data = pybtex.database.parse_file(str(REALWORLD / name), bib_format="bibtex")
    finally:
        pybtex.errors.set_strict_mode(True)
    return set(data.entries.keys())


def entries_in(name: str) -> int:
    """The entries the file holds: blocks that open with `@type{`, but @string, @comment, @preamble."""
    text = (REALWORLD / name).read_text("utf-8")
    return sum(m.group(1).lower() not in ("string", "comment", "preamble") for m in _BLOCK.finditer(text))


def test_at_least_four_sources() -> None:
    sources = {name.split("-")[0] for name in FILES}
    assert len(sources) >= 4, sources
    readme = (REALWORLD / "README.md").read_text("utf-8")
    for name in FILES:
        stem = name.removesuffix(".bib")
        assert stem in readme or stem.rsplit("-", 1)[0] in readme, f"{name}: origin and licence in README"


@pytest.mark.parametrize("name", FILES)
def test_every_entry_is_indexed_or_rejected(name: str) -> None:
    result = loaded(name)
    rejected = result.entries_seen - len(result.references)
    assert result.entries_seen == entries_in(name)
    assert len(result.references) + rejected == entries_in(name)
    assert rejected == len(result.problems), [str(p) for p in result.problems]


@pytest.mark.parametrize("name", FILES)
def test_no_rejection_of_an_entry_pybtex_accepts(name: str) -> None:
    missing = pybtex_keys(name) - set(loaded(name).references)
    assert not missing, [str(p) for p in loaded(name).problems]


def _represented(ref: Reference, name: str) -> bool:
    """Whether field `name` of `ref` has its place in the record (an attribute, a name list, `extra`),
    or, for biblatex's keys and options and mtkb's own fields, is kept for the export."""
    row = field_row(name)
    if row.kind in ("key", "internal") or name in ("year", "month", "date"):
        return name in ref.fields
    if row.kind == "names":
        people = {"author": ref.authors, "editor": ref.editors}.get(name, ref.names.get(name))
        return bool(people)
    canonical = canonical_name(name, ref.fields)
    if canonical == "school":
        return ref.institution is not None
    if canonical == "doi":
        return ref.doi is not None or "malformed_doi" in ref.extra
    attribute = ATTRIBUTES.get(canonical)
    return getattr(ref, attribute) is not None if attribute else canonical in ref.extra


@pytest.mark.parametrize("name", FILES)
def test_every_field_is_mapped_or_kept(name: str) -> None:
    lost = []
    for ref in loaded(name).references.values():
        for field_name, value in ref.fields.items():
            if value.strip("{} ") and not _represented(ref, field_name):
                lost.append((ref.key, field_name, value[:40]))
    assert not lost


@pytest.mark.parametrize("name", FILES)
def test_bibtex_export_reads_back_to_the_same_fields(name: str, tmp_path: Path) -> None:
    refs = list(loaded(name).references.values())
    path = tmp_path / "export.bib"
    path.write_text(to_bibtex(refs), "utf-8")
    back = load_bibliography([(path, "export.bib")])
    assert back.problems == []
    assert sorted(back.references) == sorted(r.key for r in refs)
    for ref in refs:
        again = back.references[ref.key]
        internal = {k for k in ref.fields if field_row(k).kind == "internal"}
        assert again.fields == {k: v for k, v in ref.fields.items() if k not in internal}, ref.key
        assert (again.title, again.authors, again.date, again.extra) == (
            ref.title,
            ref.authors,
            ref.date,
            ref.extra,
        )


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{path}.{k}")]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v, path)]
    return []


def _latex_left(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(p, v) for p, v in pairs if p.rsplit(".", 1)[-1] not in VERBATIM and _LATEX.search(v)]


@pytest.mark.parametrize("name", FILES)
def test_no_latex_reaches_json_csl_or_ris(name: str) -> None:
    refs = list(loaded(name).references.values())
    schema = ReferenceSchema()
    left = []
    for ref in refs:
        left += _latex_left(_strings(schema.dump(ref), ref.key))
        csl = {k: v for k, v in to_csl_json(ref).items() if k not in ("URL", "DOI", "archive_location")}
        left += _latex_left(_strings(csl, ref.key))
    for entry in rispy.loads(to_ris(refs)):
        fields = {k: v for k, v in entry.items() if k not in ("urls", "doi", "id", "accession_number")}
        left += _latex_left(_strings(fields, entry.get("id", "")))
    assert not left


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("style", ["apa", "vancouver"])
def test_no_latex_reaches_a_citation(name: str, style: str) -> None:
    refs = list(loaded(name).references.values())
    formatted = format_references(refs, style, "en-US")
    assert set(formatted) == {r.key for r in refs}
    urls = re.compile(r"https?://\S+|doi:\S+|<a [^>]*>")
    left = []
    for key, f in formatted.items():
        for text in (f.bibliography_text, f.intext_text, re.sub(r"<[^>]+>", "", f.bibliography_html)):
            if _LATEX.search(urls.sub("", text)):
                left.append((key, text[:160]))
    assert not left


def test_every_mapping_row_is_a_field_the_reader_knows() -> None:
    assert set(FIELDS) >= KEY_FIELDS
