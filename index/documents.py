"""The whoosh schema and the document each record becomes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from whoosh.analysis import Analyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Positions

from index.analysis import PLAIN_WORD, WordList, english, fold, folded, norwegian, split_languages
from index.concepts import concept_index
from mtkb.prose import prose_text
from mtkb.records import Evidence, Fact, Item, Recommendation, Reference, Report, Service

TITLE_BOOST = 3.0
AUTHOR_BOOST = 2.0
TEXT_FIELDS = ("title_nb", "title_en", "body_nb", "body_en", "author")
FACET_FIELDS = ("type", "decade", "grade", "strength", "lang", "county", "level")


class FastPositions(Positions):
    """whoosh's Positions format (the same postings on disk) whose terms and positions, when indexing, come
    from the analyser's one-pass `index_terms`; queries and highlights go through its whoosh chain."""

    def term_positions(self, value: str, analyzer: Analyzer) -> dict[str, list[int]]:
        """Each term of `value` with its positions, as `word_values` would index them."""
        index_terms = getattr(analyzer, "index_terms", None)
        if index_terms is not None:
            return index_terms(value)
        terms: dict[str, list[int]] = {}
        for token in analyzer(value, positions=True, mode="index"):
            if not token.stopped:
                terms.setdefault(token.text, []).append(token.pos)
        return terms

    def word_values(
        self, value: Any, analyzer: Analyzer, **kwargs: Any
    ) -> Iterator[tuple[str, int, float, bytes]]:
        if not isinstance(value, str) or kwargs.get("mode") != "index":
            yield from super().word_values(value, analyzer, **kwargs)
            return
        for term, positions in self.term_positions(value, analyzer).items():
            yield term, len(positions), len(positions) * self.field_boost, self.encode(positions)


def _text(analyzer: Analyzer, boost: float = 1.0) -> TEXT:
    field = TEXT(analyzer=analyzer, field_boost=boost)
    field.format = FastPositions(field_boost=boost)
    return field


def _keywords() -> KEYWORD:
    # Scored (BM25 like the text), so that a document about a concept ranks by it in either language: an
    # English query finds a Norwegian report through its concept, and the rarer concept counts for more.
    field = KEYWORD(lowercase=True, scorable=True)
    field.analyzer = WordList()  # the same analysis, with the one-pass indexing path
    return field


def make_schema() -> Schema:
    """Separate Norwegian and English fields for title and text, so each language gets its own stemmer.

    Titles go to both language fields (they are short, and often mix languages); the text goes sentence by
    sentence to the field of its language. Facet values are indexed for filtering (`lang:nb`) and read
    back from their postings for counting, so nothing is stored that a hit does not show."""
    nb, en = norwegian(), english()
    return Schema(
        key=ID(unique=True),  # "type/id": unique across types
        id=ID(stored=True),
        type=ID(stored=True),
        title_nb=_text(nb, TITLE_BOOST),
        title_en=_text(en, TITLE_BOOST),
        body_nb=_text(nb),
        body_en=_text(en),
        author=_text(folded(), AUTHOR_BOOST),
        concepts=_keywords(),
        year=NUMERIC(int, bits=16, stored=True),
        decade=ID,
        grade=ID,
        grade_term=ID,  # the grade in the source's own term (Konsensus), for filters
        strength=ID,
        lang=ID,
        county=ID,  # a service's county, as written (Vestland, Møre og Romsdal)
        level=ID,  # a service's first (main) level: facets count one value per document
        levels=_keywords(),  # every level of a service, for `level:` in queries
        doi=ID,  # lowercased (DOIs are case-insensitive)
        display=STORED,  # title and text as shown, for snippets
    )


def _item_text(item: Item, body: str) -> list[str]:
    parts = [body, item.summary_en or ""]
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
    elif isinstance(item, Service):
        parts += [
            item.organisation,
            item.unit or "",
            item.municipality or "",
            item.county or "",
            " ".join(item.settings),
            " ".join(item.target_groups),
        ]
    if item.summary_nb:
        parts.append(item.summary_nb)
    return parts


def _year(record: Item | Reference) -> int | None:
    year = getattr(record, "year", None)
    if year is None and isinstance(record, Recommendation) and record.last_professional_change:
        return record.last_professional_change.year
    return year


@dataclass(frozen=True)
class IndexDocument:
    """What one record adds to a build: its whoosh fields, and its words for spelling suggestions."""

    fields: dict[str, Any]
    words: set[str]


def document(record: Item | Reference) -> IndexDocument:
    """The fields to index for one record, and its folded words (for "did you mean")."""
    cites: list[str] = []
    if isinstance(record, Reference):
        title = record.title or ""
        people = [*record.authors, *record.editors]
        authors = " ".join(n for p in people for n in (p.literal, p.particle, p.family, p.given) if n)
        parts = [
            record.abstract or "",
            record.journal or "",
            record.booktitle or "",
            record.institution or "",
            record.publisher or "",
            record.howpublished or "",
            record.note or "",
            *(record.extra.get(k, "") for k in ("subtitle", "keywords", "series", "maintitle")),
        ]
    else:
        title = record.title
        authors = " ".join(getattr(record, "authors", ()) or ())
        body, cites = prose_text(record.body)
        parts = _item_text(record, body)
    text = "\n".join(p for p in parts if p)
    folded_text = fold(f"{title}\n{text}")
    words = set(PLAIN_WORD.findall(folded_text))
    body_nb, body_en = split_languages(text, record.lang, words)
    fields: dict[str, Any] = {
        "key": f"{record.type}/{record.id}",
        "id": record.id,
        "type": record.type,
        "title_nb": title,
        "title_en": title,
        "body_nb": body_nb,
        "body_en": body_en,
        "author": authors,
        "concepts": " ".join(sorted(concept_index().find(folded_text, words))),
        "lang": record.lang,
        "display": {"title": title, "text": text, **({"cites": cites} if cites else {})},
    }
    year = _year(record)
    if year is not None:
        fields["year"], fields["decade"] = year, f"{year // 10 * 10}s"
    if isinstance(record, Recommendation):
        fields["grade"], fields["strength"] = record.grade.code, record.strength.value
        if record.grade.term:
            fields["grade_term"] = record.grade.term
    if isinstance(record, Service):
        if record.county:
            fields["county"] = record.county
        if record.levels:
            fields["level"], fields["levels"] = record.levels[0], " ".join(record.levels)
    if isinstance(record, Reference) and record.doi:
        fields["doi"] = record.doi.lower()
    words.update(PLAIN_WORD.findall(fold(authors)))
    return IndexDocument(fields, words)
