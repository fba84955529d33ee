"""Records: frozen dataclasses for every item type. The schemas in `mtkb.schemas` build and dump them.

A bibliography may hold a hundred thousand references, all in memory while an index is built, so
`Reference` and what it holds (`Person`, `Origin`) have slots instead of a `__dict__` each (at 10,000
references the dicts took 15 MB). The knowledge items are few, and keep their `__dict__`: in Python 3.11
the zero-argument `super()` of their `linked_keys` fails in a dataclass with slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from mtkb.counts import counts_text

Day = date  # `Reference` has a field called `date`, which hides the type inside its class body


@dataclass(frozen=True)
class Citation:
    """A Pandoc citation `[@key, locator]` found in prose, with the line it stands on."""

    key: str
    locator: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was read from (a path relative to the content root, and a 1-based line), and the
    line of each field as lines after that one: relative, so that records laid out alike (as BibTeX
    entries mostly are) share one table instead of a dict each."""

    path: str
    line: int
    field_offsets: Mapping[str, int] = field(default_factory=dict, compare=False)

    def line_of(self, name: str) -> int:
        """The line of field `name`, or the record's first line when the field has none."""
        return self.line + self.field_offsets.get(name, 0)


@dataclass(frozen=True)
class Verification:
    status: str
    sources: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Correction:
    id: str
    text: str
    source: str


@dataclass(frozen=True, kw_only=True)
class Item:
    """Fields every knowledge item has."""

    id: str
    type: str
    title: str
    lang: str
    updated: date
    verification: Verification
    summary_en: str | None = None
    summary_nb: str | None = None  # plain-language Norwegian (klarspråk)
    aliases: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    corrections: tuple[Correction, ...] = ()
    body: str = ""
    citations: tuple[Citation, ...] = ()
    origin: Origin = Origin("", 1)
    version: int = 1  # derived from the content's git history (mtkb.history), as are the two dates
    first_published: date | None = None
    last_edited: date | None = None

    def linked_keys(self) -> tuple[str, ...]:
        """Every reference key this item rests on: listed ones and cited ones, each once, in order."""
        keys = [*self.references, *(c.key for c in self.citations)]
        return tuple(dict.fromkeys(keys))


@dataclass(frozen=True, kw_only=True)
class Guideline(Item):
    publisher: str
    identifier: str | None
    year: int
    url: str | None
    licence: str
    attribution: str
    reference: str | None = None
    published: date | None = None
    recommendations_total: int | None = None
    recommendations: tuple[str, ...] = ()  # derived by the corpus

    def linked_keys(self) -> tuple[str, ...]:
        extra = [self.reference] if self.reference else []
        return tuple(dict.fromkeys([*super().linked_keys(), *extra]))


@dataclass(frozen=True)
class Wording:
    text: str | None
    status: str
    source: str | None = None


@dataclass(frozen=True)
class Strength:
    value: str
    basis: str
    source_words: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Grade:
    system: str
    term: str | None
    code: str
    level: str | None = None


@dataclass(frozen=True, kw_only=True)
class Recommendation(Item):
    guideline: str
    wording: Wording
    strength: Strength
    grade: Grade
    licence: str
    attribution: str
    settings: tuple[str, ...] = ()
    last_professional_change: date | None = None
    url: str | None = None
    citation_reference: str | None = None
    evidence_considered: tuple[str, ...] = ()
    newer_evidence: tuple[str, ...] = ()
    guideline_references: tuple[str, ...] = ()

    def linked_keys(self) -> tuple[str, ...]:
        extra = [*self.guideline_references, *([self.citation_reference] if self.citation_reference else [])]
        return tuple(dict.fromkeys([*super().linked_keys(), *extra]))


@dataclass(frozen=True)
class Outcome:
    name: str
    measure: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    studies: int | None = None
    participants: int | None = None
    certainty: str = "unknown"
    summary: str | None = None


@dataclass(frozen=True, kw_only=True)
class Evidence(Item):
    year: int
    status: str
    published: bool
    design: str
    authors: tuple[str, ...] = ()
    organisation: str | None = None
    population: str | None = None
    studies: int | None = None
    controlled_studies: int | None = None
    participants: int | None = None
    participants_scope: str | None = None
    search_date: date | None = None
    outcomes: tuple[Outcome, ...] = ()
    superseded_by: str | None = None
    reference: str | None = None
    supersedes: tuple[str, ...] = ()  # derived by the corpus

    def linked_keys(self) -> tuple[str, ...]:
        extra = [self.reference] if self.reference else []
        return tuple(dict.fromkeys([*super().linked_keys(), *extra]))

    @property
    def counts_text(self) -> dict[str, str]:
        """The counts with the scope of the participants, in words, by language (see mtkb.counts)."""
        return counts_text(self.studies, self.controlled_studies, self.participants, self.participants_scope)


@dataclass(frozen=True)
class Informants:
    users: int | None = None
    staff: int | None = None
    total: int | None = None


@dataclass(frozen=True, kw_only=True)
class Report(Item):
    reference: str
    year: int
    setting: str
    institution: str | None = None
    municipality: str | None = None
    service: str | None = None  # id of the service the report is about
    method: str | None = None
    informants: Informants | None = None
    themes: tuple[str, ...] = ()

    def linked_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*super().linked_keys(), self.reference]))


@dataclass(frozen=True, kw_only=True)
class Fact(Item):
    statement: str
    value: str | int | float | None
    status: str
    unit: str | None = None
    year: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    service: str | None = None  # id of the service the fact is about


@dataclass(frozen=True, kw_only=True)
class Service(Item):
    """A place where music therapy is offered: an organisation's unit, where it is and what it offers.
    No address, phone number or opening hours: those change, and the sources do not give them."""

    organisation: str
    unit: str | None = None
    municipality: str | None = None
    county: str | None = None  # one of the counties in force since 1 January 2024
    county_in_source: str | None = None  # the source's own wording where it names an older county
    levels: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()  # rus, psykisk helse
    settings: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    since: int | None = None
    status: str = "unknown"
    as_of: int | None = None  # the year of the newest public source that describes the offer
    url: str | None = None
    last_checked: date
    unknown_fields: tuple[str, ...] = ()  # what no public source gives (address, phone, opening hours ...)
    reports: tuple[str, ...] = ()  # derived by the corpus: ids of the reports about this service
    facts: tuple[str, ...] = ()  # derived by the corpus: ids of the facts about this service


@dataclass(frozen=True, slots=True)
class Person:
    """A name: `family` and `given` (with a `particle` such as "van" or "de" and a `suffix` such as "Jr"
    kept apart), or a `literal` for a corporate author kept whole."""

    family: str | None = None
    given: str | None = None
    literal: str | None = None
    particle: str | None = None
    suffix: str | None = None
    useprefix: bool = False  # biblatex's option: the particle is part of the name for sorting and citing

    def display(self) -> str:
        """ "van Gogh, Vincent", "Pimentel, J. J., Jr", or the literal."""
        if self.literal:
            return self.literal
        family = " ".join(p for p in (self.particle, self.family) if p)
        return ", ".join(p for p in (family, self.given, self.suffix) if p)


@dataclass(frozen=True, kw_only=True, slots=True)
class Reference:
    """A BibTeX entry, resolved (macros, concatenation, crossref) and decoded."""

    key: str
    entry_type: str
    title: str | None
    authors: tuple[Person, ...] = ()
    editors: tuple[Person, ...] = ()
    authors_incomplete: bool = False  # the author list ended in "and others"
    names: Mapping[str, tuple[Person, ...]] = field(default_factory=dict, compare=False)
    """The other name lists (translator, bookauthor, editora ...) by their biblatex field name."""
    year: int | None = None
    month: int | None = None
    date: str | None = (
        None  # what the date says, as biblatex stores it (EDTF): 1996-03-11, 1984/1986, 2010-21
    )
    journal: str | None = None
    booktitle: str | None = None
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    publisher: str | None = None
    address: str | None = None
    institution: str | None = None
    organization: str | None = None
    report_type: str | None = None
    howpublished: str | None = None
    edition: str | None = None
    url: str | None = None
    doi: str | None = None
    pmid: str | None = None
    isbn: str | None = None
    language: str | None = None
    abstract: str | None = None
    note: str | None = None
    urldate: str | None = None
    updated: str | None = None  # mtkb_updated: when the entry last changed (YYYY-MM-DD)
    unknown: tuple[str, ...] = ()  # mtkb_unknown: fields no public record confirms (never filled in)
    verification: str = "unverified"
    sources: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    """Every other field (subtitle, chapter, series, eprint, keywords ...), decoded, by its biblatex name."""
    fields: dict[str, str] = field(default_factory=dict, compare=False)
    origin: Origin = Origin("", 1)
    cited_by: tuple[str, ...] = ()  # derived by the corpus: ids of the items that rest on this reference
    version: int = 1  # derived from the content's git history (mtkb.history), as are the two dates
    first_published: Day | None = None
    last_edited: Day | None = None

    @property
    def id(self) -> str:
        return self.key

    @property
    def type(self) -> str:
        return "reference"

    @property
    def lang(self) -> str:
        """nb/nn for Norwegian works, en otherwise."""
        return {
            "norwegian": "nb",
            "norsk": "nb",
            "bokmal": "nb",
            "nynorsk": "nn",
            "nb": "nb",
            "nn": "nn",
        }.get((self.language or self.extra.get("langid") or "").lower(), "en")
