"""Reference → CSL-JSON, through a marshmallow schema.

The mapping is the one place that decides how a BibTeX entry is represented for the CSL styles:
which CSL type an entry type becomes, where an article number goes, which date is the issue date.
Titles pass through unchanged (they are stored in the case the styles need); every item carries
its `language`, so that styles which title-case English titles leave Norwegian ones alone.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, fields, post_dump

from mtkb.records import Person, Reference

ENTRY_TYPES = {
    "article": "article-journal",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "techreport": "report",
    "manual": "report",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "unpublished": "manuscript",
    "booklet": "pamphlet",
}
"""BibTeX entry type → CSL type. `@misc` is decided by its fields (see `csl_type`)."""

LANGUAGES = {"nb": "nb-NO", "nn": "nn-NO", "en": "en"}
"""Reference.lang → CSL `language`. English stays plain `en`, which every engine title-cases."""

OTHERS = {"literal": "others"}
"""The last author of a list that ended in BibTeX's "and others": pandoc's BibTeX reader writes it so, and
pandoc's citeproc prints it as the locale's "et al." ("mfl.") in every style, whatever the style's et-al
rules (citeproc-js prints it as a name: see tests/referee/accepted.yaml)."""

_DOMAIN = re.compile(r"^[\w.-]+\.[a-z]{2,}$", re.IGNORECASE)
_DESCRIPTION = re.compile(r"\.\s")
"""A `howpublished` with a sentence break describes the document (it is no website name)."""
_ELOCATOR = re.compile(r"^[A-Za-z]+\d+$")
_PLACES = re.compile(r"\s+(?:and|og|&)\s+|\s*;\s*")


class NameSchema(Schema):
    """A CSL name: family and given, or a literal (a corporate author kept whole)."""

    family = fields.String()
    given = fields.String()
    literal = fields.String()


class DateSchema(Schema):
    """A CSL date as `date-parts`: [[year, month?, day?]]."""

    date_parts = fields.List(fields.List(fields.Integer()), data_key="date-parts", required=True)


class CslItemSchema(Schema):
    """One CSL-JSON item (the subset this knowledge base fills). Dumping drops empty values."""

    id = fields.String(required=True)
    type = fields.String(required=True)
    language = fields.String()
    title = fields.String()
    author = fields.List(fields.Nested(NameSchema))
    editor = fields.List(fields.Nested(NameSchema))
    issued = fields.Nested(DateSchema)
    accessed = fields.Nested(DateSchema)
    container_title = fields.String(data_key="container-title")
    container_title_short = fields.String(data_key="container-title-short")
    collection_title = fields.String(data_key="collection-title")
    volume = fields.String()
    issue = fields.String()
    number = fields.String()
    page = fields.String()
    edition = fields.String()
    genre = fields.String()
    publisher = fields.String()
    publisher_place = fields.String(data_key="publisher-place")
    DOI = fields.String()
    URL = fields.String()
    PMID = fields.String()
    PMCID = fields.String()
    ISBN = fields.String()
    note = fields.String()
    abstract = fields.String()

    class Meta:
        ordered = True

    @post_dump
    def _drop_empty(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: v for k, v in data.items() if v not in (None, "", [], {})}


_schema = CslItemSchema()


def csl_name(person: Person) -> dict[str, str]:
    """A CSL name; a corporate author stays one `literal` so that no engine splits it."""
    if person.literal:
        return {"literal": person.literal}
    return {k: v for k, v in (("family", person.family), ("given", person.given)) if v}


def date_parts(value: str | None, year: int | None = None, month: int | None = None) -> dict | None:
    """`{"date-parts": [[y, m?, d?]]}` from an ISO date (YYYY, YYYY-MM, YYYY-MM-DD), else year/month."""
    if value and re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        return {"date_parts": [[int(p) for p in value.split("-")]]}
    if year:
        return {"date_parts": [[year, month] if month else [year]]}
    return None


def csl_type(ref: Reference) -> str:
    """The CSL type of a reference. `@misc` is a web page when it has a URL or is published on a
    website (howpublished is a domain name), and a report (a document) otherwise."""
    if ref.entry_type == "misc":
        if ref.url or (ref.howpublished and _DOMAIN.match(ref.howpublished)):
            return "webpage"
        return "report"
    return ENTRY_TYPES.get(ref.entry_type, "report")


def first_place(address: str | None) -> str | None:
    """The first place of publication ("London and Philadelphia" → "London"): the styles that print
    a place want one (Citing Medicine, Chicago, Cite Them Right all take the first listed)."""
    if not address:
        return None
    return _PLACES.split(address.strip())[0] or None


def _article_numbers(ref: Reference) -> tuple[str | None, str | None, str | None]:
    """(issue, article number, page) of a journal article. BibTeX has no article-number field, so
    a non-numeric `number` (CD012576) and an e-locator in `pages` (e0187363) are article numbers."""
    issue, number, page = ref.number, None, ref.pages
    if issue and not issue.isdigit() and not re.fullmatch(r"\d+[-–/]\d+", issue):
        issue, number = None, issue
    if page and _ELOCATOR.match(page) and not number:
        page, number = None, page
    return issue, number, page


def _attributes(ref: Reference) -> dict[str, Any]:
    kind = csl_type(ref)
    item: dict[str, Any] = {
        "id": ref.key,
        "type": kind,
        "language": LANGUAGES.get(ref.lang, ref.lang),
        "title": ref.title,
        "author": [*(csl_name(p) for p in ref.authors), *([OTHERS] if ref.authors_incomplete else [])],
        "editor": [csl_name(p) for p in ref.editors],
        "issued": date_parts(ref.date, ref.year, ref.month),
        "accessed": date_parts(ref.urldate),
        "volume": ref.volume,
        "edition": ref.edition,
        "DOI": ref.doi,
        "URL": ref.url,
        "PMID": ref.pmid,
        "PMCID": ref.fields.get("pmcid"),
        "ISBN": ref.isbn,
        "abstract": ref.abstract,
        "note": ref.note,
        "publisher_place": first_place(ref.address),
    }
    short = ref.fields.get("shortjournal") or ref.fields.get("journalabbrev")
    if kind == "article-journal":
        issue, number, page = _article_numbers(ref)
        item.update(container_title=ref.journal, container_title_short=short, issue=issue)
        item.update(number=number, page=page)
    else:
        item.update(number=ref.number, page=ref.pages, container_title=ref.booktitle or ref.journal)
        item["publisher"] = ref.publisher or ref.institution or ref.organization
        item["genre"] = ref.report_type
    if ref.entry_type == "misc" and ref.howpublished:
        if kind == "webpage" and _DESCRIPTION.search(ref.howpublished):
            item["genre"] = ref.howpublished
        elif kind == "webpage":
            item["container_title"] = ref.howpublished
        else:
            item["number"] = ref.number or ref.howpublished
    return item


def to_csl_json(ref: Reference, *, accessed: date | None = None) -> dict[str, Any]:
    """The CSL-JSON item of a reference (keys as CSL names them, empty values left out).
    `accessed` sets the access date (for a web document cited on a given day)."""
    item = _attributes(ref)
    if accessed:
        item["accessed"] = {"date_parts": [[accessed.year, accessed.month, accessed.day]]}
    dumped: dict[str, Any] = _schema.dump(item)
    return dumped
