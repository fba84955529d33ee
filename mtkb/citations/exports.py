"""Exports of references: BibTeX (bibtexparser's writer), RIS (rispy) and CSL-JSON (the marshmallow
schema in `mtkb.citations.csl`). No format is assembled by string concatenation.

BibTeX is written from the fields as they were read (macros and crossrefs resolved), so that brace
case-protection (`{{EEG}}`), math and every field the knowledge base does not use come back as they
were; a reference without raw fields is written from its record, with LaTeX's special characters
escaped in the text fields. Which RIS type and tag a field gets is the one mapping table,
`mtkb.bibmap`. Exports read back with `mtkb.sources.bibtex` (and bibtexparser) to the same fields,
and with rispy to the same RIS entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import bibtexparser
import rispy
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

from mtkb.bibmap import entry_type_row, field_row, localised
from mtkb.citations.csl import to_csl_json, type_row
from mtkb.records import Person, Reference

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))

BIBTEX_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "title"),
    ("journal", "journal"),
    ("booktitle", "booktitle"),
    ("year", "year"),
    ("month", "month"),
    ("date", "date"),
    ("volume", "volume"),
    ("number", "number"),
    ("pages", "pages"),
    ("edition", "edition"),
    ("publisher", "publisher"),
    ("address", "address"),
    ("institution", "institution"),
    ("organization", "organization"),
    ("type", "report_type"),
    ("howpublished", "howpublished"),
    ("url", "url"),
    ("urldate", "urldate"),
    ("doi", "doi"),
    ("pmid", "pmid"),
    ("isbn", "isbn"),
    ("language", "language"),
    ("note", "note"),
    ("abstract", "abstract"),
)
"""BibTeX field → Reference attribute, in the order written."""


def latex_escape(text: str) -> str:
    """`text` with LaTeX's special characters escaped (`&` → `\\&` ...), other characters kept."""
    return _SPECIAL.sub(lambda m: _LATEX_SPECIALS[m.group(0)], text)


def _bibtex_name(person: Person) -> str:
    if person.literal:
        return "{" + latex_escape(person.literal) + "}"
    family, given = latex_escape(person.family or ""), latex_escape(person.given or "")
    return f"{family}, {given}" if given else family


def _bibtex_names(people: Sequence[Person], more: bool = False) -> str:
    return " and ".join([*(_bibtex_name(p) for p in people), *(["others"] if more else [])])


def bibtex_entry(ref: Reference) -> Entry:
    """The bibtexparser entry of a reference (values not yet enclosed in braces): its fields as read,
    but mtkb's own (mtkb_*), or, for a record without them, its attributes escaped."""
    if ref.fields:
        kept = [
            Field(name, value) for name, value in ref.fields.items() if field_row(name).kind != "internal"
        ]
        return Entry(ref.entry_type, ref.key, kept)
    values: list[Field] = []
    if ref.authors:
        values.append(Field("author", _bibtex_names(ref.authors, ref.authors_incomplete)))
    if ref.editors:
        values.append(Field("editor", _bibtex_names(ref.editors)))
    for name, attribute in BIBTEX_FIELDS:
        value = getattr(ref, attribute)
        if value is None or value == "":
            continue
        value = str(value)
        if name == "pages":
            value = value.replace("-", "--")
        values.append(Field(name, latex_escape(value) if field_row(name).kind == "text" else value))
    for name, value in ref.extra.items():  # every other field read, decoded: written escaped again
        values.append(Field(name, latex_escape(value) if field_row(name).kind == "text" else value))
    return Entry(ref.entry_type, ref.key, values)


def to_bibtex(refs: Iterable[Reference]) -> str:
    """The references as a BibTeX file, written by bibtexparser."""
    library = Library()
    for ref in refs:
        library.add(bibtex_entry(ref))
    text: str = bibtexparser.write_string(library)
    return text


RIS_OTHERS = "et al."
"""The last AU of an author list that ended in "and others" (RIS has no marker of its own)."""


def _ris_name(person: Person) -> str:
    return person.display()


def ris_entry(ref: Reference) -> dict[str, Any]:
    """The rispy entry (a dict keyed by rispy's field names) of a reference."""
    kind = type_row(ref).ris
    if kind == "BOOK" and ref.editors and not ref.authors:
        kind = "EDBOOK"
    entry: dict[str, Any] = {"type_of_reference": kind, "id": ref.key}
    if ref.title:
        entry["title"] = ref.title
    if kind == "EDBOOK":
        entry["authors"] = [_ris_name(p) for p in ref.editors]  # RIS: an edited book's AU is its editor
    else:
        if ref.authors:
            more = [RIS_OTHERS] if ref.authors_incomplete else []
            entry["authors"] = [*(_ris_name(p) for p in ref.authors), *more]
        if ref.editors:
            entry["secondary_authors"] = [_ris_name(p) for p in ref.editors]
    container = ref.journal or ref.booktitle
    if container:
        entry["secondary_title"] = container
    if ref.fields.get("shortjournal"):
        entry["alternate_title1"] = ref.fields["shortjournal"]
    if ref.year:
        entry["year"] = str(ref.year)
        if ref.month:
            entry["date"] = f"{ref.year}/{ref.month:02d}//"
    if ref.pages:
        first, _, last = ref.pages.partition("-")
        entry["start_page"] = first
        if last:
            entry["end_page"] = last
    simple = {
        "volume": ref.volume,
        "number": ref.number,
        "publisher": ref.publisher or ref.institution or ref.organization,
        "place_published": ref.address,
        "doi": ref.doi,
        "edition": ref.edition,
        "language": ref.language,
        "abstract": ref.abstract,
        "type_of_work": localised(ref.report_type)
        if ref.report_type
        else entry_type_row(ref.entry_type).genre,
        "access_date": ref.urldate,
        "issn": ref.isbn,
    }
    entry.update({k: v for k, v in simple.items() if v})
    if ref.url:
        entry["urls"] = [ref.url]
    if ref.note:
        entry["notes"] = [ref.note]
    _ris_extras(ref, entry)
    return entry


def _ris_extras(ref: Reference, entry: dict[str, Any]) -> None:
    """The RIS tags of the fields in `extra` and `names` that the mapping table gives one, where the
    entry has not set that tag already."""
    for name, value in ref.extra.items():
        tag = field_row(name).ris
        key = rispy.TAG_KEY_MAPPING.get(tag or "")
        if key and key not in entry and name == "keywords":
            entry[key] = [k.strip() for k in value.split(",") if k.strip()]
        elif key and key not in entry:
            entry[key] = [value] if tag in rispy.LIST_TYPE_TAGS else value
    for name, people in ref.names.items():
        tag = field_row(name).ris
        key = rispy.TAG_KEY_MAPPING.get(tag or "")
        if key and key not in entry and people:
            entry[key] = [_ris_name(p) for p in people]
    if (
        not ref.publisher
        and not entry.get("publisher")
        and ref.howpublished
        and "://" not in ref.howpublished
    ):
        entry["publisher"] = ref.howpublished


def to_ris(refs: Iterable[Reference]) -> str:
    """The references as an RIS file, written by rispy."""
    text: str = rispy.dumps([ris_entry(ref) for ref in refs])
    return text


def to_csljson(refs: Iterable[Reference]) -> str:
    """The references as a CSL-JSON array (UTF-8 text)."""
    return json.dumps([to_csl_json(ref) for ref in refs], ensure_ascii=False, indent=2)
