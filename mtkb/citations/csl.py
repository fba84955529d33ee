"""Reference → CSL-JSON, through a marshmallow schema.

Which CSL type an entry type becomes and which CSL variable a field fills is the one mapping table,
`mtkb.bibmap`; this module applies it, and decides what the table cannot say row by row: where an
article number goes, how a title and its subtitle join, which of publisher, institution, organization
and howpublished names the publisher, and how a biblatex (EDTF) date becomes a CSL date.
Titles pass through unchanged (they are stored in the case the styles need); every item carries
its `language`, so that styles which title-case English titles leave Norwegian ones alone.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import Schema, fields, post_dump

from mtkb.bibmap import EPRINT_ARCHIVES, EPRINT_TYPES, TypeRow, entry_type_row, field_row, localised
from mtkb.records import Person, Reference

LANGUAGES = {"nb": "nb-NO", "nn": "nn-NO", "en": "en"}
"""Reference.lang → CSL `language`. English stays plain `en`, which every engine title-cases."""

OTHERS = {"literal": "others"}
"""The last author of a list that ended in BibTeX's "and others": pandoc's BibTeX reader writes it so, and
pandoc's citeproc prints it as the locale's "et al." ("mfl.") in every style, whatever the style's et-al
rules (citeproc-js prints it as a name: see tests/referee/accepted.yaml)."""

_DOMAIN = re.compile(r"^[\w.-]+\.[a-z]{2,}$", re.IGNORECASE)
_IN_A_BOOK = {"chapter", "paper-conference", "entry", "entry-dictionary", "entry-encyclopedia"}
"""CSL types whose container is the book (`booktitle`)."""
_ELOCATOR = re.compile(r"^[A-Za-z]+\d+$")
_PLACES = re.compile(r"\s+(?:and|og|&)\s+|\s*;\s*")


class NameSchema(Schema):
    """A CSL name: family and given, or a literal (a corporate author kept whole)."""

    family = fields.String()
    given = fields.String()
    literal = fields.String()
    particle = fields.String(data_key="non-dropping-particle")
    dropping_particle = fields.String(data_key="dropping-particle")
    suffix = fields.String()


class DateSchema(Schema):
    """A CSL date as `date-parts`: [[year, month?, day?]] (two for a range), a season (1-4) and circa, or
    a `literal` for what is no date in parts (an open range)."""

    date_parts = fields.List(fields.List(fields.Integer()), data_key="date-parts")
    season = fields.Integer()
    circa = fields.Boolean()
    literal = fields.String()


class CslItemSchema(Schema):
    """One CSL-JSON item (the subset this knowledge base fills). Dumping drops empty values."""

    id = fields.String(required=True)
    type = fields.String(required=True)
    language = fields.String()
    title = fields.String()
    title_short = fields.String(data_key="title-short")
    author = fields.List(fields.Nested(NameSchema))
    editor = fields.List(fields.Nested(NameSchema))
    translator = fields.List(fields.Nested(NameSchema))
    container_author = fields.List(fields.Nested(NameSchema), data_key="container-author")
    issued = fields.Nested(DateSchema)
    accessed = fields.Nested(DateSchema)
    original_date = fields.Nested(DateSchema, data_key="original-date")
    event_date = fields.Nested(DateSchema, data_key="event-date")
    container_title = fields.String(data_key="container-title")
    container_title_short = fields.String(data_key="container-title-short")
    collection_title = fields.String(data_key="collection-title")
    volume = fields.String()
    issue = fields.String()
    number = fields.String()
    chapter_number = fields.String(data_key="chapter-number")
    part = fields.String()
    page = fields.String()
    number_of_pages = fields.String(data_key="number-of-pages")
    number_of_volumes = fields.String(data_key="number-of-volumes")
    edition = fields.String()
    version = fields.String()
    genre = fields.String()
    status = fields.String()
    publisher = fields.String()
    publisher_place = fields.String(data_key="publisher-place")
    original_publisher = fields.String(data_key="original-publisher")
    original_publisher_place = fields.String(data_key="original-publisher-place")
    original_title = fields.String(data_key="original-title")
    event = fields.String()
    event_place = fields.String(data_key="event-place")
    archive = fields.String()
    archive_location = fields.String()
    DOI = fields.String()
    URL = fields.String()
    PMID = fields.String()
    PMCID = fields.String()
    ISBN = fields.String()
    ISSN = fields.String()
    keyword = fields.String()
    note = fields.String()
    annote = fields.String()
    abstract = fields.String()

    class Meta:
        ordered = True

    @post_dump
    def _drop_empty(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: v for k, v in data.items() if v not in (None, "", [], {})}


_schema = CslItemSchema()


def csl_name(person: Person) -> dict[str, str]:
    """A CSL name; a corporate author stays one `literal` so that no engine splits it. A particle
    ("van") is CSL's dropping particle, as biblatex's default (useprefix=false) treats it: sorted and
    cited under the family name ("Gogh, V. van"); with useprefix it is the non-dropping particle."""
    if person.literal:
        return {"literal": person.literal}
    particle = "particle" if person.useprefix else "dropping_particle"
    parts = (("family", person.family), ("given", person.given), (particle, person.particle))
    return {k: v for k, v in (*parts, ("suffix", person.suffix)) if v}


_EDTF_PART = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%]?)$")


def _edtf_parts(text: str) -> tuple[list[int], int | None, bool] | None:
    match = _EDTF_PART.match(text)
    if not match:
        return None
    parts, season = [int(match.group(1))], None
    if match.group(2):
        month = int(match.group(2))
        if month > 12:
            season = month - 20
        else:
            parts.append(month)
            if match.group(3):
                parts.append(int(match.group(3)))
    return parts, season, match.group(4) in ("~", "%")


def date_parts(value: str | None, year: int | None = None, month: int | None = None) -> dict | None:
    """A CSL date from an EDTF date as biblatex stores it (`1996-03-11`, `1984/1986`, `2010-21` for a
    season, `1987/..` for an open range, `~` circa), else from year and month."""
    if value:
        start, slash, end = value.partition("/")
        first = _edtf_parts(start)
        if first and slash and end in ("", ".."):
            return {"literal": f"{first[0][0]}–"}
        last = _edtf_parts(end) if slash else None
        if first:
            date: dict[str, Any] = {"date_parts": [first[0], *([last[0]] if last else [])]}
            if first[1]:
                date["season"] = first[1]
            if first[2]:
                date["circa"] = True
            return date
    if year:
        return {"date_parts": [[year, month] if month else [year]]}
    return None


def type_row(ref: Reference) -> TypeRow:
    """The mapping table's row for a reference's type. A `@misc` is a web page when it has a URL or is
    published on a website (howpublished is a domain name), and no publisher."""
    web = bool(ref.url) or bool(ref.howpublished and _DOMAIN.match(ref.howpublished))
    return entry_type_row(ref.entry_type, web, bool(ref.publisher))


def csl_type(ref: Reference) -> str:
    """The CSL type of a reference, from the mapping table."""
    return type_row(ref).csl


def first_place(address: str | None) -> str | None:
    """The first place of publication ("London and Philadelphia" → "London"): the styles that print
    a place want one (Citing Medicine, Chicago, Cite Them Right all take the first listed)."""
    if not address:
        return None
    return _PLACES.split(address.strip())[0] or None


def _article_numbers(ref: Reference) -> tuple[str | None, str | None, str | None]:
    """(issue, article number, page) of a journal article. BibTeX has no article-number field, so
    a non-numeric `number` (CD012576) and an e-locator in `pages` (e0187363) are article numbers
    (biblatex's `eid` is one too)."""
    issue, number, page = ref.number, ref.extra.get("eid"), ref.pages
    if issue and not issue.isdigit() and not re.fullmatch(r"\d+[-–/]\d+", issue) and not number:
        issue, number = None, issue
    issue = issue or ref.extra.get("issue")  # biblatex's issue: "Spring", "Special issue"
    if page and _ELOCATOR.match(page) and not number:
        page, number = None, page
    return issue, number, page


def _joined(main: str | None, subtitle: str | None, addon: str | None = None) -> str | None:
    """A title with its subtitle ("Main: Sub") and addon ("Main. Addon"), as biblatex prints them."""
    if not main:
        return None
    text = (
        f"{main}: {subtitle}"
        if subtitle and main[-1] not in "?!:"
        else f"{main} {subtitle}"
        if subtitle
        else main
    )
    return f"{text}. {addon}" if addon else text


def _mapped_extras(ref: Reference) -> dict[str, Any]:
    """The CSL variables of the fields in `extra` that the mapping table sends to a CSL variable."""
    item: dict[str, Any] = {}
    for name, value in ref.extra.items():
        row = field_row(name)
        if row.csl and row.kind == "text" and row.csl.replace("-", "_") in _schema.fields:
            item.setdefault(row.csl.replace("-", "_"), value)
    eprint, kind = ref.extra.get("eprint"), (ref.extra.get("eprinttype") or "").lower()
    if kind in EPRINT_ARCHIVES:
        item["archive"] = EPRINT_ARCHIVES[kind]
    if eprint and kind in EPRINT_TYPES:
        item.pop("archive", None)
        item.pop("archive_location", None)
        item[EPRINT_TYPES[kind]] = eprint
    elif eprint:
        item["archive_location"] = eprint
    return item


def _attributes(ref: Reference) -> dict[str, Any]:
    kind = csl_type(ref)
    extra = ref.extra
    item: dict[str, Any] = _mapped_extras(ref)
    item.update(
        {
            "id": ref.key,
            "type": kind,
            "language": LANGUAGES.get(ref.lang, ref.lang),
            "title": _joined(ref.title, extra.get("subtitle"), extra.get("titleaddon")),
            "author": [*(csl_name(p) for p in ref.authors), *([OTHERS] if ref.authors_incomplete else [])],
            "editor": [csl_name(p) for p in ref.editors],
            "translator": [csl_name(p) for p in ref.names.get("translator", ())],
            "container_author": [csl_name(p) for p in ref.names.get("bookauthor", ())],
            "issued": date_parts(ref.date, ref.year, ref.month),
            "accessed": date_parts(ref.urldate),
            "original_date": date_parts(extra.get("origdate")),
            "event_date": date_parts(extra.get("eventdate")),
            "volume": ref.volume,
            "edition": ref.edition,
            "DOI": ref.doi or item.get("DOI"),
            "URL": ref.url,
            "PMID": ref.pmid or item.get("PMID"),
            "PMCID": extra.get("pmcid") or item.get("PMCID"),
            "ISBN": ref.isbn,
            "abstract": ref.abstract,
            "note": ref.note,
            "publisher_place": first_place(localised(ref.address)) if ref.address else None,
            "collection_title": extra.get("series") or extra.get("maintitle"),
            "container_title_short": extra.get("shortjournal") or extra.get("journaltitleaddon"),
        }
    )
    if kind == "article-journal":
        issue, number, page = _article_numbers(ref)
        container = _joined(ref.journal, extra.get("journalsubtitle"))
        item.update(container_title=container, issue=issue, number=number, page=page)
    else:
        # biblatex gives a whole book a booktitle only for its parts to inherit: it is no container.
        book = _joined(ref.booktitle, extra.get("booksubtitle"), extra.get("booktitleaddon"))
        container = book if kind in _IN_A_BOOK else None
        item.update(number=ref.number, page=ref.pages, container_title=container or ref.journal)
        publishers = (ref.publisher, ref.institution, ref.organization)
        item["publisher"] = next((p for p in publishers if p), None)
        genre = localised(ref.report_type) if ref.report_type else entry_type_row(ref.entry_type).genre
        item["genre"] = genre
    _howpublished(ref, kind, item)
    return item


def _howpublished(ref: Reference, kind: str, item: dict[str, Any]) -> None:
    """`howpublished` says how an unusual work was published: on a web page, the website it is on
    (its container: "Kontekst (nettmagasin)", "kontekst.no"); otherwise its publisher ("Mendeley Data",
    "Dept. handout"), where the entry names none. A URL in it is no name. Never a report number."""
    value = ref.howpublished
    if not value or "://" in value or "\\url" in value:
        return
    if kind == "webpage":
        item["container_title"] = item.get("container_title") or value
    elif not item.get("publisher"):
        item["publisher"] = value


def to_csl_json(ref: Reference, *, accessed: date | None = None) -> dict[str, Any]:
    """The CSL-JSON item of a reference (keys as CSL names them, empty values left out).
    `accessed` sets the access date (for a web document cited on a given day)."""
    item = _attributes(ref)
    if accessed:
        item["accessed"] = {"date_parts": [[accessed.year, accessed.month, accessed.day]]}
    dumped: dict[str, Any] = _schema.dump(item)
    return dumped
