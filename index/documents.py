"""The whoosh schema and the document each record becomes."""

from __future__ import annotations

from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from index.analysis import concepts_in, english, folded, norwegian
from mtkb.prose import plain_text
from mtkb.records import Evidence, Fact, Item, Recommendation, Reference, Report

TITLE_BOOST = 3.0
AUTHOR_BOOST = 2.0


def make_schema() -> Schema:
    """Separate Norwegian and English fields for title and text, so each language gets its own stemmer."""
    nb, en = norwegian(), english()
    return Schema(
        key=ID(stored=True, unique=True),  # "type/id": unique across types
        id=ID(stored=True),
        type=ID(stored=True),
        title_nb=TEXT(analyzer=nb, field_boost=TITLE_BOOST),
        title_en=TEXT(analyzer=en, field_boost=TITLE_BOOST),
        body_nb=TEXT(analyzer=nb),
        body_en=TEXT(analyzer=en),
        author=TEXT(analyzer=folded(), field_boost=AUTHOR_BOOST),
        words=TEXT(analyzer=folded()),  # unstemmed vocabulary for "did you mean"
        concepts=KEYWORD(lowercase=True),
        year=NUMERIC(int, bits=16, stored=True, sortable=True),
        decade=ID(stored=True),
        grade=ID(stored=True),
        strength=ID(stored=True),
        lang=ID(stored=True),
        display=STORED,  # title and text as shown, for snippets
    )


def _item_text(item: Item) -> list[str]:
    parts = [plain_text(item.body), item.summary_en or ""]
    if isinstance(item, Recommendation):
        parts += [item.wording.text or "", item.grade.term or "", " ".join(item.settings)]
    elif isinstance(item, Evidence):
        parts += [
            item.design,
            item.population or "",
            item.organisation or "",
            " ".join(o.name for o in item.outcomes),
        ]
    elif isinstance(item, Report):
        parts += [
            item.setting,
            item.institution or "",
            item.municipality or "",
            item.method or "",
            " ".join(item.themes),
        ]
    elif isinstance(item, Fact):
        parts += [item.statement, str(item.value or "")]
    return parts


def _year(record: Item | Reference) -> int | None:
    year = getattr(record, "year", None)
    if year is None and isinstance(record, Recommendation) and record.last_professional_change:
        return record.last_professional_change.year
    return year


def document(record: Item | Reference) -> dict[str, Any]:
    """The fields to index for one record."""
    if isinstance(record, Reference):
        title = record.title or ""
        people = [*record.authors, *record.editors]
        authors = " ".join(p.display() for p in people)
        parts = [
            record.abstract or "",
            record.journal or "",
            record.booktitle or "",
            record.institution or "",
            record.publisher or "",
            record.howpublished or "",
            record.note or "",
        ]
    else:
        title = record.title
        authors = " ".join(getattr(record, "authors", ()) or ())
        parts = _item_text(record)
    text = "\n".join(p for p in parts if p)
    year = _year(record)
    doc: dict[str, Any] = {
        "key": f"{record.type}/{record.id}",
        "id": record.id,
        "type": record.type,
        "title_nb": title,
        "title_en": title,
        "body_nb": text,
        "body_en": text,
        "author": authors,
        "words": f"{title}\n{text}\n{authors}",
        "concepts": " ".join(concepts_in(f"{title}\n{text}")),
        "lang": record.lang,
        "display": {"title": title, "text": text},
    }
    if year is not None:
        doc["year"], doc["decade"] = year, f"{year // 10 * 10}s"
    if isinstance(record, Recommendation):
        doc["grade"], doc["strength"] = record.grade.code, record.strength.value
    return doc
