"""The one mapping table (mtkb/bibmap.py): every row tested. Each entry type is read, converted and
cited in APA and Vancouver by the real engine; each field is read and lands where its row says."""

from __future__ import annotations

from pathlib import Path

import pytest
import rispy

from mtkb.bibmap import ALIASES, ENTRY_TYPES, FIELDS, LOCALISATION_KEYS, field_row
from mtkb.citations import format_references
from mtkb.citations.csl import to_csl_json
from mtkb.citations.exports import ris_entry
from mtkb.records import Reference
from mtkb.sources.bibtex import load_bibliography

BIBLATEX_TYPES = [
    "article",
    "book",
    "mvbook",
    "inbook",
    "bookinbook",
    "suppbook",
    "booklet",
    "collection",
    "mvcollection",
    "incollection",
    "suppcollection",
    "dataset",
    "manual",
    "misc",
    "online",
    "patent",
    "periodical",
    "suppperiodical",
    "proceedings",
    "mvproceedings",
    "inproceedings",
    "reference",
    "mvreference",
    "inreference",
    "report",
    "set",
    "software",
    "thesis",
    "unpublished",
    "xdata",
    "customa",
    "customb",
    "customc",
    "customd",
    "custome",
    "customf",
    "conference",
    "electronic",
    "mastersthesis",
    "phdthesis",
    "techreport",
    "www",
    "artwork",
    "audio",
    "bibnote",
    "commentary",
    "image",
    "jurisdiction",
    "legislation",
    "legal",
    "letter",
    "movie",
    "music",
    "performance",
    "review",
    "standard",
    "video",
]
"""The biblatex manual's lists of entry types (§2.1.1 regular, §2.1.2 aliases, §2.1.3 non-standard)."""
BIBLATEX_FIELDS = [
    "abstract",
    "addendum",
    "afterword",
    "annotation",
    "annotator",
    "author",
    "authortype",
    "bookauthor",
    "bookpagination",
    "booksubtitle",
    "booktitle",
    "booktitleaddon",
    "chapter",
    "commentator",
    "date",
    "doi",
    "edition",
    "editor",
    "editora",
    "editorb",
    "editorc",
    "editortype",
    "editoratype",
    "editorbtype",
    "editorctype",
    "eid",
    "entrysubtype",
    "eprint",
    "eprintclass",
    "eprinttype",
    "eventdate",
    "eventtitle",
    "eventtitleaddon",
    "file",
    "foreword",
    "holder",
    "howpublished",
    "indextitle",
    "institution",
    "introduction",
    "isan",
    "isbn",
    "ismn",
    "isrc",
    "issn",
    "issue",
    "issuesubtitle",
    "issuetitle",
    "issuetitleaddon",
    "iswc",
    "journalsubtitle",
    "journaltitle",
    "journaltitleaddon",
    "label",
    "language",
    "library",
    "location",
    "mainsubtitle",
    "maintitle",
    "maintitleaddon",
    "month",
    "nameaddon",
    "note",
    "number",
    "organization",
    "origdate",
    "origlanguage",
    "origlocation",
    "origpublisher",
    "origtitle",
    "pages",
    "pagetotal",
    "pagination",
    "part",
    "publisher",
    "pubstate",
    "reprinttitle",
    "series",
    "shortauthor",
    "shorteditor",
    "shorthand",
    "shorthandintro",
    "shortjournal",
    "shortseries",
    "shorttitle",
    "subtitle",
    "title",
    "titleaddon",
    "translator",
    "type",
    "url",
    "urldate",
    "venue",
    "version",
    "volume",
    "volumes",
    "year",
    "crossref",
    "entryset",
    "execute",
    "gender",
    "langid",
    "langidopts",
    "ids",
    "indexsorttitle",
    "keywords",
    "options",
    "presort",
    "related",
    "relatedoptions",
    "relatedtype",
    "relatedstring",
    "sortkey",
    "sortname",
    "sortshorthand",
    "sorttitle",
    "sortyear",
    "xdata",
    "xref",
    "namea",
    "nameb",
    "namec",
    "nameatype",
    "namebtype",
    "namectype",
    "lista",
    "listb",
    "listc",
    "listd",
    "liste",
    "listf",
    "usera",
    "userb",
    "userc",
    "userd",
    "usere",
    "userf",
    "verba",
    "verbb",
    "verbc",
    "address",
    "annote",
    "archiveprefix",
    "journal",
    "key",
    "pdf",
    "primaryclass",
    "school",
]
"""The biblatex manual's lists of fields (§2.2.2 data, §2.2.3 special, §2.2.4 custom, §2.2.5 aliases)."""
SAMPLE = {"names": "Strand, Ingrid", "date": "2020-05-04", "verbatim": "https://example.org/x"}
IN_AN_ARTICLE = {
    "eid",
    "issue",
    "journal",
    "journaltitle",
    "journalsubtitle",
    "shortjournal",
    "journaltitleaddon",
}
IN_A_BOOK = {"booktitle", "booksubtitle", "booktitleaddon", "chapter"}
SPECIAL = {"type", "howpublished", "organization", "institution", "school", "language", "number"}
"""Fields whose CSL variable depends on the entry: type (localised genre), the publisher's stand-ins,
language (CSL wants a locale code: see Reference.lang), number (issue or number)."""


def read(tmp_path: Path, text: str) -> Reference:
    (tmp_path / "a.bib").write_text(text, "utf-8")
    result = load_bibliography([(tmp_path / "a.bib", "a.bib")])
    assert result.problems == [], result.problems
    return result.references["a"]


def test_every_biblatex_type_and_field_has_a_row() -> None:
    assert set(BIBLATEX_TYPES) <= set(ENTRY_TYPES)
    assert set(BIBLATEX_FIELDS) <= set(FIELDS)


@pytest.fixture(scope="module")
def typed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Reference]:
    """One entry of each type, with the fields most types use."""
    path = tmp_path_factory.mktemp("types") / "types.bib"
    path.write_text(
        "".join(
            f"@{kind}{{{kind},\n  author = {{Strand, Ingrid}},\n  title = {{Musikk og rus}},\n"
            f"  booktitle = {{Boka}},\n  journal = {{Tidsskriftet}},\n  publisher = {{Forlaget}},\n"
            f"  institution = {{Universitetet}},\n  number = {{7}},\n  year = {{2020}},\n}}\n\n"
            for kind in ENTRY_TYPES
        ),
        "utf-8",
    )
    result = load_bibliography([(path, "types.bib")])
    assert result.problems == []
    return result.references


@pytest.mark.parametrize("style", ["apa", "vancouver"])
def test_every_entry_type_is_cited_as_its_row_says(typed: dict[str, Reference], style: str) -> None:
    formatted = format_references(list(typed.values()), style, "en-US")
    for kind, row in ENTRY_TYPES.items():
        ref = typed[kind]
        assert to_csl_json(ref)["type"] == row.csl, kind
        assert ris_entry(ref)["type_of_reference"] in (row.ris, "EDBOOK"), kind
        text = formatted[kind].bibliography_text
        assert "Musikk og rus".casefold() in text.casefold() and "2020" in text, (kind, text)
        if row.csl not in ("legal_case", "legislation", "treaty", "bill"):  # cited without their authors
            assert "Strand" in text, (kind, text)
        if row.csl != "report":
            assert "Report" not in text, (kind, text)
        if row.csl in ("chapter", "paper-conference", "entry-encyclopedia"):
            assert "Boka" in text, (kind, text)
        if row.csl == "article-journal":
            assert "Tidsskriftet" in text, (kind, text)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_field_lands_where_its_row_says(tmp_path: Path, name: str) -> None:
    row = field_row(name)
    value = SAMPLE.get(row.kind, "Verdi")
    if name in ("month",):
        value = "5"
    if name == "mtkb_updated":
        value = "2020-01-02"
    own = "" if name in ("title", "year") else "title = {T}, year = 2020,\n"
    kind = "article" if name in IN_AN_ARTICLE else "incollection" if name in IN_A_BOOK else "misc"
    ref = read(tmp_path, f"@{kind}{{a, {own}  {name} = {{{value}}}}}\n")
    if name != "crossref":  # resolved: the parent's fields are merged in (here: it has none, a warning)
        assert ref.fields[name] == value
    csl = to_csl_json(ref)
    ris = rispy.loads(rispy.dumps([ris_entry(ref)]))[0]
    if row.csl and row.kind == "text" and name not in SPECIAL:
        assert value in str(csl.get(row.csl)), (name, csl)
    if row.kind == "names" and name not in ("author", "editor"):
        assert ref.names[name][0].family == "Strand"
    if row.kind == "text" and row.csl is None and not name.startswith("mtkb_"):
        assert ref.extra[ALIASES.get(name, name)] == value, "kept as an extra field"
    if row.ris and row.kind == "text" and name not in SPECIAL:
        assert value in str(ris), (name, ris)


@pytest.mark.parametrize(("key", "text"), sorted(LOCALISATION_KEYS.items()))
def test_localisation_keys_are_printed_as_biblatex_prints_them(tmp_path: Path, key: str, text: str) -> None:
    ref = read(tmp_path, f"@report{{a, title = {{T}}, type = {{{key}}}, institution = {{I}}, year = 2020}}")
    assert to_csl_json(ref)["genre"] == text
