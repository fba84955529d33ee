"""Dates of BibTeX and biblatex entries → one EDTF-style date string, as biblatex itself stores them.

biblatex's `date` is ISO 8601 / EDTF: `1996-03-11`, ranges `1984/1986`, open ranges `1987/`, seasons
`2010-21` (21-24 spring to winter), `~` circa and `?` uncertain. Classic BibTeX has `year` and `month`,
which real files fill with more than a number: `{\\noopsort{1973b}}1973` (decoded before it gets here),
`1987--` (ongoing), `1979, 1980`, `summer`, `oct # " 10"`, `5/6`. Every one of these is kept as what it
says; what is only guessed (a year read out of "1994 (to appear)") is reported, never rejected. "n.d."
and its kin mean no date. The `edtf` and `python-dateutil` libraries read neither BibTeX's year/month
pairs nor the seasons and ranges in words, so the few patterns are matched here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MONTH_NAMES = {
    **dict.fromkeys(("jan", "januar", "january", "janvier", "janv"), 1),
    **dict.fromkeys(("feb", "februar", "february", "février", "fevrier", "févr"), 2),
    **dict.fromkeys(("mar", "mars", "march", "märz", "marz", "mär"), 3),
    **dict.fromkeys(("apr", "april", "avril", "avr"), 4),
    **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("jun", "juni", "june", "juin"), 6),
    **dict.fromkeys(("jul", "juli", "july", "juillet", "juil"), 7),
    **dict.fromkeys(("aug", "august", "août", "aout"), 8),
    **dict.fromkeys(("sep", "sept", "september", "septembre"), 9),
    **dict.fromkeys(("oct", "okt", "oktober", "october", "octobre"), 10),
    **dict.fromkeys(("nov", "november", "novembre"), 11),
    **dict.fromkeys(("dec", "des", "dez", "desember", "dezember", "december", "décembre", "decembre"), 12),
}
"""Month names and abbreviations (English, Norwegian, German, French), lowercase."""
SEASONS = {
    **dict.fromkeys(("spring", "vår", "var", "frühling", "printemps"), 21),
    **dict.fromkeys(("summer", "sommer", "sommar", "été", "ete"), 22),
    **dict.fromkeys(("autumn", "fall", "høst", "host", "herbst", "automne"), 23),
    **dict.fromkeys(("winter", "vinter", "hiver"), 24),
}
"""Seasons → their EDTF month numbers (21 spring, 22 summer, 23 autumn, 24 winter)."""
NO_DATE = {
    "n.d.",
    "nd",
    "n. d.",
    "s.d.",
    "s. d.",
    "sd",
    "no date",
    "undated",
    "o.j.",
    "o. j.",
    "u.å.",
    "u. å.",
    "udatert",
    "s.a.",
}
"""What "no date" is written as ("n.d.", Latin "s.d.", German "o.J.", Norwegian "u.å.")."""

_ISO = re.compile(r"^(-?\d{4})(?:-(\d{2})(?:-(\d{2}))?)?([~?%]?)$")
_RANGE_SEP = re.compile(r"\s*(?:/|--?|–|—|,|&|\band\b|\bog\b|\bto\b)\s*")
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ]+\.?|\d+")


@dataclass
class Issued:
    """What an entry's date fields say: `edtf` (None for no date), its first year and month."""

    edtf: str | None = None
    year: int | None = None
    month: int | None = None
    guesses: list[str] = field(default_factory=list)


def _iso_ok(text: str) -> bool:
    match = _ISO.match(text)
    if not match:
        return False
    month, day = match.group(2), match.group(3)
    return (month is None or 1 <= int(month) <= 12 or 21 <= int(month) <= 24) and (
        day is None or 1 <= int(day) <= 31
    )


def _biblatex_date(text: str) -> Issued | None:
    """An ISO/EDTF date or range as biblatex writes it, or None."""
    start, slash, end = text.partition("/")
    if not _iso_ok(start) or (slash and end not in ("", "..") and not _iso_ok(end)):
        return None
    edtf = f"{start}/.." if slash and end in ("", "..") else text
    month = _ISO.match(start).group(2)  # type: ignore[union-attr]
    number = int(month) if month and int(month) <= 12 else None
    return Issued(edtf, int(start[:4]) if not start.startswith("-") else None, number)


def _month(text: str) -> tuple[list[int], int | None, str | None]:
    """(months or seasons, a day, what could not be read) from a BibTeX month field: "may", "5/6",
    "11, 12", "summer", and "10 10" (`oct # " 10"`, a month and its day)."""
    tokens = list(_TOKEN.finditer(text))
    months: list[int] = []
    day = None
    for i, token in enumerate(tokens):
        word = token.group(0).lower().rstrip(".")
        gap = text[tokens[i - 1].end() : token.start()].strip() if i else ""
        number = int(word) if word.isdigit() else None
        value = MONTH_NAMES.get(word) or SEASONS.get(word) or (number if number and number <= 12 else None)
        if i and not gap and number and number <= 31 and day is None:
            day = number
        elif value and len(months) < 2 and (i == 0 or gap):
            months.append(value)
        else:
            return months, day, text
    return months, day, None


def read_issued(year: str | None, month: str | None, date: str | None) -> Issued:
    """The date of an entry from its (decoded) `date`, `year` and `month` fields. Never raises."""
    if date:
        if date.strip().lower() in NO_DATE:
            return Issued()
        found = _biblatex_date(date.strip())
        if found:
            return found
        if not year:
            year = date  # a date in words: read it as a year field would be read
    if not year:
        return Issued(guesses=[f"month {month!r} without a year is ignored"] if month else [])
    text = year.strip()
    if text.lower() in NO_DATE:
        return Issued()
    years = re.findall(r"(?<!\d)\d{4}(?!\d)", text)
    if not years:
        return Issued(guesses=[f"year {year!r} is not a year (kept as written, no date)"])
    first = int(years[0])
    issued = Issued(str(first), first)
    rest = text[text.index(years[0]) + 4 :].strip()
    if rest:
        ongoing = re.fullmatch(r"(?:-+|–|—)\s*(?:date|present|i dag|dd)?\.?", rest, re.I)
        second = re.fullmatch(rf"{_RANGE_SEP.pattern}(\d{{4}}|\d{{2}})", rest)
        if ongoing:
            issued.edtf = f"{first}/.."
        elif second:  # "1968--90" ends in 1990
            end = second.group(1) if len(second.group(1)) == 4 else f"{first // 100}{second.group(1)}"
            issued.edtf = f"{first}/{end}"
        else:
            issued.guesses.append(f"year {year!r} read as {first}")
    if month and issued.edtf and "/" not in issued.edtf:
        months, day, unread = _month(month)
        if unread or not months:
            issued.guesses.append(f"month {month!r} could not be read (kept as written)")
        else:
            issued.month = months[0] if months[0] <= 12 else None
            first_part = f"{first}-{months[0]:02d}" + (f"-{day:02d}" if day else "")
            issued.edtf = first_part if len(months) == 1 else f"{first_part}/{first}-{months[-1]:02d}"
    return issued
