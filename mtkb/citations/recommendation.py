"""Citing a recommendation itself: Helsedirektoratet's own form, or APA / Vancouver with an access date.

Helsedirektoratet's form (the suggested citation on its guideline pages):

    Helsedirektoratet (2016). Musikkterapi (rusbehandling) [nettdokument]. Oslo: Helsedirektoratet
    (siste faglige endring 24. januar 2017, lest 22. november 2026). Tilgjengelig fra <url>

Dates are written in the locale's words by this module (no dependence on the system's locales).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import date

from mtkb.citations.csl import to_csl_json
from mtkb.citations.engine import Formatted, format_items, safe_html
from mtkb.citations.styles import resolve_locale, resolve_style
from mtkb.errors import CitationError
from mtkb.records import Guideline, Person, Recommendation, Reference

HELSEDIREKTORATET = "helsedirektoratet"

_NORWEGIAN_MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip
MONTHS = {
    "nb": _NORWEGIAN_MONTHS,
    "nn": _NORWEGIAN_MONTHS,  # bokmål and nynorsk name the months alike
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Words:
    document: str
    changed: str
    read: str
    available: str
    version: str


WORDS = {
    "nb": Words("nettdokument", "siste faglige endring", "lest", "Tilgjengelig fra", "mtkb-versjon"),
    "nn": Words("nettdokument", "siste faglege endring", "lesen", "Tilgjengeleg frå", "mtkb-versjon"),
    "en": Words("web document", "last professional change", "accessed", "Available from", "mtkb version"),
}


@dataclass(frozen=True)
class CitedVersion:
    """A version of the knowledge item being cited: its number, date and permanent address."""

    n: int
    day: date
    permalink: str


def long_date(day: date, locale: str) -> str:
    """`day` in words: "22. november 2026" (nb-NO, nn-NO), "22 November 2026" (en-GB),
    "November 22, 2026" (en-US)."""
    language = locale.split("-")[0]
    month = MONTHS[language][day.month - 1]
    if locale == "en-US":
        return f"{month} {day.day}, {day.year}"
    if language == "en":
        return f"{day.day} {month} {day.year}"
    return f"{day.day}. {month} {day.year}"


def _reference_for(rec: Recommendation, ref: Reference | None, guideline: Guideline | None) -> Reference:
    """The reference that describes the recommendation's web document: its citation reference, or
    one made from the recommendation and its guideline."""
    if ref is not None:
        return replace(ref, title=ref.title or rec.title, url=ref.url or rec.url)
    author = rec.attribution or (guideline.publisher if guideline else None)
    return Reference(
        key=rec.id,
        entry_type="misc",
        title=rec.title,
        authors=(Person(literal=author),) if author else (),
        year=guideline.year if guideline else None,
        publisher=guideline.publisher if guideline else author,
        url=rec.url or (guideline.url if guideline else None),
        language="norwegian" if rec.lang == "nb" else rec.lang,
    )


def _helsedirektoratet(
    rec: Recommendation, ref: Reference, locale: str, accessed: date, version: CitedVersion | None
) -> Formatted:
    words = WORDS[locale.split("-")[0]]
    author = ref.authors[0].display() if ref.authors else (ref.publisher or "")
    year = str(ref.year) if ref.year else "u.å." if words is not WORDS["en"] else "n.d."
    publisher = ref.publisher or ref.organization or author
    place = f"{ref.address}: " if ref.address else ""
    notes = (
        [f"{words.changed} {long_date(rec.last_professional_change, locale)}"]
        if (rec.last_professional_change)
        else []
    )
    notes.append(f"{words.read} {long_date(accessed, locale)}")
    head = f"{author} ({year}). "
    title = rec.title or ref.title or ""
    tail = f" [{words.document}]. {place}{publisher} ({', '.join(notes)})."
    url = rec.url or ref.url
    text = head + title + tail + (f" {words.available} {url}" if url else "")
    escaped = html.escape(head) + "<i>" + html.escape(title) + "</i>" + html.escape(tail)
    if url:
        escaped += (
            f" {html.escape(words.available)} " + f'<a href="{html.escape(url)}">{html.escape(url)}</a>'
        )
    if version is not None:
        said = f"{words.version} {version.n}, {long_date(version.day, locale)}"
        text += f" ({said}: {version.permalink})"
        link = html.escape(version.permalink)
        escaped += f" ({html.escape(said)}: " + f'<a href="{link}">{link}</a>)'
    intext = f"({author}, {year})"
    return Formatted(
        key=rec.id,
        bibliography_text=text,
        bibliography_html=safe_html(escaped),
        intext_text=intext,
        intext_html=html.escape(intext, quote=False),
    )


def cite_recommendation(
    rec: Recommendation,
    citation_ref: Reference | None,
    guideline: Guideline | None,
    style: str = HELSEDIREKTORATET,
    locale: str = "nb-NO",
    accessed: date | None = None,
    version: CitedVersion | None = None,
) -> Formatted:
    """A citation of the recommendation's own web page, read on `accessed` (today if not given); with
    `version`, of that version of it in mtkb: its number, date and permalink go into the citation (CSL
    `version`, and the permalink as the address).
    `style` is "helsedirektoratet" (Helsedirektoratet's form) or any CSL style (apa, vancouver ...),
    which gets the page as a web document dated by its last professional change, with that access
    date. Raises CitationError for an unknown
    style or locale."""
    locale = resolve_locale(locale)
    day = accessed or date.today()
    ref = _reference_for(rec, citation_ref, guideline)
    if style.strip().lower() == HELSEDIREKTORATET:
        return _helsedirektoratet(rec, ref, locale, day, version)
    # The page itself: its title, author, date and address; the guideline it belongs to is the
    # website (Helsedirektoratet's), which APA leaves out when it is the author.
    item = {
        **to_csl_json(ref, accessed=day),
        "id": rec.id,
        "type": "webpage",
        "title": rec.title or ref.title,
    }
    changed = rec.last_professional_change
    if changed:
        # A web page is dated by its last update (APA 7 §9.14): for a recommendation, the last
        # professional change Helsedirektoratet states on it, not the year the guideline appeared.
        item["issued"] = {"date-parts": [[changed.year, changed.month, changed.day]]}
    for name in ("genre", "container-title", "note"):
        item.pop(name, None)
    if version is not None:
        item["version"] = f"{version.n} ({version.day.isoformat()})"
        item["URL"] = version.permalink
    formatted, _ = format_items([item], resolve_style(style), locale)
    if not formatted:
        raise CitationError(f"recommendation {rec.id!r} could not be formatted")
    return formatted[0]
