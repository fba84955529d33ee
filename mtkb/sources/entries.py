"""One resolved BibTeX/biblatex entry (its fields as plain strings) → a Reference record.

Every field is kept: the ones with a place in the record fill it, the others are decoded into
`Reference.extra` (and `Reference.names` for name lists), and the raw values stay in
`Reference.fields` for the BibTeX export. Which field is which kind comes from the one mapping table,
`mtkb.bibmap`. What had to be guessed (an unknown macro, a malformed name, a year in words) is reported
through `warn`, never a reason to drop the entry: only what BibTeX itself cannot read is rejected.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from mtkb.bibmap import ALIASES, KEY_FIELDS, VERBATIM_FIELDS, field_row
from mtkb.records import Origin, Person, Reference
from mtkb.sources.dates import read_issued
from mtkb.sources.latex import decode
from mtkb.sources.names import read_names

Warn = Callable[[str, str], None]
"""`warn(field, message)`: report a guess at the line of `field`."""

DOI = re.compile(r"^10\.\d{4,9}/\S+$")
MAX_FIELD = 20_000
"""A field longer than this is refused (abstracts included)."""
RECURRING = {
    "year",
    "month",
    "volume",
    "edition",
    "language",
    "langid",
    "mtkb_verification",
    "journal",
    "journaltitle",
    "series",
    "publisher",
    "institution",
    "school",
    "organization",
    "address",
    "location",
    "howpublished",
    "type",
    "keywords",
}
"""Fields whose values recur across a bibliography (a few journals, publishers, languages, years): their
values are interned, like the entry types and the people's names, so that a large bibliography holds
each once instead of once per reference."""
ATTRIBUTES = {
    "title": "title",
    "journaltitle": "journal",
    "booktitle": "booktitle",
    "volume": "volume",
    "number": "number",
    "pages": "pages",
    "publisher": "publisher",
    "location": "address",
    "institution": "institution",
    "organization": "organization",
    "type": "report_type",
    "howpublished": "howpublished",
    "edition": "edition",
    "url": "url",
    "doi": "doi",
    "pmid": "pmid",
    "isbn": "isbn",
    "language": "language",
    "abstract": "abstract",
    "note": "note",
    "urldate": "urldate",
}
"""Field (its biblatex name) → the Reference attribute that holds it; the others go to `extra`."""
_DATE_FIELDS = {"year", "month", "date"}
_NONE: Mapping[str, Any] = MappingProxyType({})
"""The one empty table that every reference without extra fields or other names shares."""
_USEPREFIX = re.compile(r"(?:^|,)\s*useprefix\s*(?:=\s*true\s*)?(?:,|$)", re.I)
"""biblatex's entry option `options = {useprefix=true}` (or bare `useprefix`)."""
_URL_IN_TEXT = re.compile(r"\\url\{([^{}]+)\}")


def single_spaced(value: str) -> str:
    """`value` with its white space made single spaces, trimmed. When there is nothing to change, it is
    `value` itself, not a copy: a reference keeps its raw fields too, and most values decode to what was
    written, so the record and its raw fields then share one string (abstracts are most of the memory a
    loaded bibliography takes)."""
    spaced = " ".join(value.split())
    return value if spaced == value else spaced


LITERAL_LISTS = frozenset({"publisher", "institution", "organization", "location", "address", "school"})
"""biblatex's literal lists: several publishers or places, written `{A} and {B}`."""


def _braced_list(value: str) -> list[str] | None:
    """The items of a literal list written as braced groups joined by `and` at the top level
    (`{KoRus-Vest Bergen} and {Stiftelsen Bergensklinikkene}`), or None for any other value. An unbraced
    `Taylor and Francis` is left whole: it is one publisher far more often than two (bibtexparser and
    pylatexenc read values, not lists, so this split is written here)."""
    items, depth, start = [], 0, 0
    text = value.strip()
    for i, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and text.startswith(" and ", i):
            items.append(text[start:i].strip())
            start = i + len(" and ")
    items.append(text[start:].strip())
    if len(items) < 2 or not all(item.startswith("{") and item.endswith("}") for item in items):
        return None
    return items


def _text(name: str, value: str, raw_name: str, warn: Warn) -> str:
    """The plain text of field `name` (written `raw_name`): LaTeX decoded, or (URLs, DOIs) kept as
    written without braces. A literal list of braced items becomes its items separated by semicolons, as
    APA and CSL list several publishers."""
    if name in VERBATIM_FIELDS:
        return single_spaced(value.replace("{", "").replace("}", "") if "{" in value else value)
    items = _braced_list(value) if name in LITERAL_LISTS else None
    if items is not None:
        return "; ".join(_text(name, item[1:-1], raw_name, warn) for item in items)
    decoded = decode(value)
    for guess in decoded.guesses:
        warn(raw_name, guess)
    return decoded.text if decoded.text != " ".join(value.split()) else single_spaced(value)


def canonical_name(name: str, present: dict[str, str]) -> str:
    """The biblatex name of a field (`journal` → `journaltitle`), unless the entry has both."""
    target = ALIASES.get(name)
    return target if target and target not in present else name


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def build(key: str, entry_type: str, values: dict[str, str], origin: Origin, warn: Warn) -> Reference:
    """A Reference from resolved raw field values. Raises ValueError for what cannot be used at all
    (a field longer than MAX_FIELD, mtkb_unknown naming a field that has a value)."""
    for name, value in values.items():
        if len(value) > MAX_FIELD:
            raise ValueError(f"field {name!r} is longer than {MAX_FIELD} characters")
    text: dict[str, str] = {}
    names: dict[str, tuple[Person, ...]] = {}
    useprefix = bool(_USEPREFIX.search(values.get("options", "")))
    more = False
    for raw_name, value in values.items():
        name = canonical_name(raw_name, values)
        row = field_row(name)
        if row.kind == "names":
            people = read_names(value, useprefix)
            for guess in people.guesses:
                warn(raw_name, guess)
            names[name] = people.people
            more = more or (name == "author" and people.more)
        elif name not in _DATE_FIELDS:
            text[name] = _text(name, value, raw_name, warn)
    dates = {f: decode(values[f]).text for f in _DATE_FIELDS if values.get(f)}
    issued = read_issued(dates.get("year"), dates.get("month"), dates.get("date"))
    for guess in issued.guesses:
        warn("date" if "date" in dates else "year", guess)
    unknown = tuple(dict.fromkeys(f.lower() for f in re.split(r"[\s,;]+", text.get("mtkb_unknown", "")) if f))
    if not text.get("title") and "title" not in unknown:
        unknown = ("title", *unknown)  # as biber does, an entry without a title is kept; it is flagged
    for name in unknown:
        if text.get(name):
            raise ValueError(f"field {name!r} is listed in mtkb_unknown but has a value")
    doi = text.get("doi")
    if doi:
        doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi.strip(), flags=re.I)
        text["doi"] = doi
        if not DOI.match(doi):
            warn("doi", f"malformed DOI {doi!r} (not 10.NNNN/suffix): kept as an extra field, not as the DOI")
            text["doi"], text["malformed_doi"] = "", doi
    if not text.get("url"):
        found = _URL_IN_TEXT.search(values.get("note", "") or values.get("howpublished", ""))
        if found:
            text["url"] = found.group(1)  # a URL given only inside the note is still the locator
    if text.get("pages"):
        text["pages"] = text["pages"].replace("–", "-").replace("--", "-")
    updated = text.get("mtkb_updated")
    if updated and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", updated):
        raise ValueError(f"mtkb_updated must be YYYY-MM-DD; got {updated!r}")
    attributes: dict[str, Any] = {attribute: text.get(name) or None for name, attribute in ATTRIBUTES.items()}
    if not attributes["institution"] and text.get("school"):
        attributes["institution"] = text["school"]
    extra = {
        name: value
        for name, value in text.items()
        if name not in ATTRIBUTES and name not in KEY_FIELDS and value and not name.startswith("mtkb_")
    }
    if text.get("langid"):
        extra["langid"] = text["langid"]  # a key for babel, but the only language many entries have
    return Reference(
        key=key,
        entry_type=entry_type,
        authors=names.pop("author", ()),
        editors=names.pop("editor", ()),
        names=names or _NONE,
        authors_incomplete=more,
        year=issued.year,
        month=issued.month,
        date=issued.edtf,
        unknown=unknown,
        updated=updated,
        verification=text.get("mtkb_verification", "unverified"),
        sources=text.get("mtkb_sources"),
        extra=extra or _NONE,
        fields=dict(values),
        origin=origin,
        **attributes,
    )


def intern_value(name: str, value: str) -> str:
    """`value`, interned when the field's values recur across a bibliography."""
    return sys.intern(value) if name in RECURRING else value
