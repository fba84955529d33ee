"""Exports round trip: BibTeX through bibtexparser (and the project's reader), RIS through rispy,
CSL-JSON through the CSL-JSON schema and pandoc."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy

from mtkb.citations import to_bibtex, to_csl_json, to_csljson, to_ris
from mtkb.citations.exports import latex_escape, ris_entry
from mtkb.citations.pandoc import pandoc_binary
from mtkb.corpus import Corpus
from mtkb.records import Person, Reference
from mtkb.sources.bibtex import load_bibliography

SCHEMA = Path(__file__).resolve().parent / "data" / "citations" / "csl-data.json"
BIBLIOGRAPHIC = [
    f.name
    for f in dataclasses.fields(Reference)
    if f.name not in {"fields", "origin", "cited_by", "verification", "sources", "updated", "unknown"}
]
"""Reference fields an export carries (the mtkb_* provenance fields stay in the knowledge base)."""


CSL_102_TYPES = ("classic", "collection", "document", "event", "hearing", "performance", "periodical")
CSL_102_TYPES += ("regulation", "software", "standard")
CSL_102_VARIABLES = ("chapter-number", "part", "event", "ISSN", "archive", "archive_location", "keyword")
"""What CSL 1.0.2 added that the 1.0.1 schema (the one a registry package ships) lacks and mtkb uses:
types and string variables, as the CSL 1.0.2 specification lists them."""


def csl_102_schema() -> dict:
    """The CSL-JSON 1.0.1 schema with the CSL 1.0.2 types and variables that mtkb writes added."""
    schema = json.loads(SCHEMA.read_text("utf-8"))
    properties = schema["items"]["properties"]
    properties["type"]["enum"] += [t for t in CSL_102_TYPES if t not in properties["type"]["enum"]]
    for name in CSL_102_VARIABLES:
        properties.setdefault(name, {"type": "string"})
    return schema


@pytest.fixture(scope="module")
def references(corpus: Corpus) -> list[Reference]:
    return list(corpus.references.values())


@pytest.fixture(scope="module")
def awkward(references: list[Reference]) -> Reference:
    """A reference with every LaTeX special character in its title and names, and no raw fields (so that
    the export writes it from the record, escaped)."""
    return dataclasses.replace(
        references[0],
        key="awkward",
        fields={},
        title="50% of {braces} & $dollars$ #1 under_score ~tilde back\\slash",
        authors=(Person(family="O'Brien & Sons", given="Ä"), Person(literal="R&D Group")),
    )


def _reread(text: str, tmp_path: Path) -> dict[str, Reference]:
    path = tmp_path / "export.bib"
    path.write_text(text, "utf-8")
    result = load_bibliography([(path, "export.bib")])
    assert not result.problems, result.problems
    return result.references


def test_bibtex_round_trips_every_reference(references, awkward, tmp_path: Path) -> None:
    text = to_bibtex([*references, awkward])
    back = _reread(text, tmp_path)
    for ref in [*references, awkward]:
        for name in BIBLIOGRAPHIC:
            assert getattr(back[ref.key], name) == getattr(ref, name), (ref.key, name)


def test_bibtex_is_escaped_and_parses_with_bibtexparser(references, awkward) -> None:
    text = to_bibtex([*references, awkward])
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    assert [e.key for e in library.entries] == [*(r.key for r in references), "awkward"]
    fields = library.entries[-1].fields_dict
    assert fields["title"].value == (
        r"50\% of \{braces\} \& \$dollars\$ \#1 under\_score \textasciitilde{}tilde back\textbackslash{}slash"
    )
    assert r"{R\&D Group}" in fields["author"].value
    ghetti = library.entries_dict["ghetti2022cochrane"].fields_dict
    assert ghetti["doi"].value == "10.1002/14651858.CD012576.pub3"
    hdir = library.entries_dict["hdir2016rus"].fields_dict
    assert hdir["author"].value == "{Helsedirektoratet}"


def test_caret_is_escaped() -> None:
    # pylatexenc (the reader's decoder) reads \textasciicircum{} back as U+02C6, so "^" is checked
    # here rather than in the round trip.
    assert latex_escape("x^2") == r"x\textasciicircum{}2"


def test_ris_round_trips(references) -> None:
    text = to_ris(references)
    back = rispy.loads(text)
    assert back == [ris_entry(ref) for ref in references]
    first = back[0]
    assert first["type_of_reference"] == "JOUR" and first["doi"] == "10.1002/14651858.CD012576.pub3"
    assert first["authors"][0] == "Ghetti, Claire"
    kinds = {entry["id"]: entry["type_of_reference"] for entry in back}
    assert kinds["aldridge2010music"] == "EDBOOK" and kinds["hdir2016rus"] == "RPRT"
    assert kinds["bjerke_hjernen"] == "ELEC"


def test_csl_json_validates_against_the_schema(references) -> None:
    schema = csl_102_schema()
    data = json.loads(to_csljson(references))
    jsonschema.Draft3Validator(schema).validate(data)
    assert data == [to_csl_json(ref) for ref in references]
    hdir = to_csl_json(next(r for r in references if r.key == "hdir2016rus"))  # by key, not by position
    assert hdir["author"] == [{"literal": "Helsedirektoratet"}] and hdir["language"] == "nb-NO"


def test_csl_json_renders_with_pandoc(references, tmp_path: Path) -> None:
    path = tmp_path / "refs.json"
    path.write_text(to_csljson(references), "utf-8")
    done = subprocess.run(
        [pandoc_binary(), "--citeproc", "--bibliography", str(path), "-t", "plain", "--wrap=none"],
        input="---\nnocite: '@*'\n---\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stderr == ""
    # pandoc's default style is Chicago author-date: full given names, corporate authors whole
    assert "Ghetti, Claire" in done.stdout and "Helsedirektoratet. 2016" in done.stdout
    assert done.stdout.count("\n\n") >= len(references) - 1
