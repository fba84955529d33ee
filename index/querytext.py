"""The user's query string, checked and rewritten before whoosh parses it.

whoosh's parser accepts anything and guesses; users deserve a clear error instead. This module rejects
what cannot be meant (unbalanced quotes or parentheses, unknown fields, over-long queries), maps the
public field names onto the bilingual index fields (`title:` searches the Norwegian and the English
title field), and adds the synonym concepts (`musikkterapi` also finds documents about "music therapy").
"""

from __future__ import annotations

import re
import unicodedata

from index.analysis import fold
from index.concepts import concept_patterns
from mtkb.errors import QueryError

MAX_QUERY_LENGTH = 1000
PUBLIC_FIELDS = {
    "title": ("title_nb", "title_en"),
    "text": ("body_nb", "body_en"),
    "author": ("author",),
    "year": ("year",),
    "type": ("type",),
    "grade": ("grade",),
    "strength": ("strength",),
    "lang": ("lang",),
    "id": ("id",),
    "concepts": ("concepts",),
    "decade": ("decade",),
    "county": ("county",),
    "level": ("levels",),
}
"""Field names a query may use, and the index fields each stands for."""

# Tokens: a quoted phrase, a field-prefixed value (word, phrase, range or group), parentheses, or a word.
_TOKEN = re.compile(
    r'(?P<field>[A-Za-z_]+):(?P<value>"[^"]*"|[\[{][^\]}]*[\]}]|\([^()]*\)|[^\s()]+)'
    r'|(?P<phrase>"[^"]*"(?:~\d+)?)|(?P<paren>[()])|(?P<word>[^\s()"]+)'
)
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_EMPTY_FIELD = re.compile(r"(?:^|[\s(])([A-Za-z_]+):(?=$|[\s)])")
_YEAR = re.compile(r"\d{4}")
_YEAR_RANGE = re.compile(r"[\[{]\s*(?:(\d{4})\s+)?TO(?:\s+(\d{4}))?\s*[\]}]")


def clean(text: str) -> str:
    """Drop control characters and normalise the text; refuse what is too long."""
    text = unicodedata.normalize("NFC", "".join(c if c.isprintable() else " " for c in text)).strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"query is longer than {MAX_QUERY_LENGTH} characters")
    return text


def check(text: str) -> None:
    """Raise QueryError for unbalanced quotes or parentheses and unknown field names."""
    if text.count('"') % 2:
        raise QueryError('unbalanced quotes: every " needs its pair')
    depth = 0
    for ch in re.sub(r'"[^"]*"', "", text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            raise QueryError("unbalanced parentheses: ')' without '('")
    if depth:
        raise QueryError("unbalanced parentheses: '(' without ')'")
    empty = _EMPTY_FIELD.search(re.sub(r'"[^"]*"', '""', text))
    if empty:
        raise QueryError(f"field {empty.group(1)!r} has no value; write it as {empty.group(1)}:word")
    tokens = list(_TOKEN.finditer(text))
    for match in tokens:
        name = match.group("field")
        if name and name not in PUBLIC_FIELDS:
            known = ", ".join(sorted(PUBLIC_FIELDS))
            raise QueryError(f"unknown field {name!r}; fields are: {known}")
        if name == "year":
            _check_year(match.group("value"))
    if tokens and all(t.group("word") in OPERATORS or t.group("paren") for t in tokens):
        raise QueryError("the query has only operators (AND, OR, NOT) and no words to search for")


def _check_year(value: str) -> None:
    """A year (year:2015) or a range of years (year:[2010 TO 2020], either end may be left open)."""
    if _YEAR.fullmatch(value):
        return
    found = _YEAR_RANGE.fullmatch(value)
    if not found:
        raise QueryError(f"year:{value} is not a year or a range of years (year:2015, year:[2010 TO 2020])")
    start, end = found.groups()
    if start and end and int(start) > int(end):
        raise QueryError(f"the year range {value} starts after it ends")


_FUZZY = re.compile(r"~\d*$")


def _concepts_of(words: str) -> list[str]:
    """The concepts `words` name; a fuzzy word (`musikkterapi~`) names those of its exact form, so that it
    never finds less than the exact word."""
    folded = fold(" ".join(_FUZZY.sub("", w) for w in words.split()))
    return [c for c, pattern in concept_patterns() if pattern.fullmatch(folded)]


def rewrite(text: str) -> str:
    """The query in the index's own field names, with synonym concepts added to plain words and phrases."""
    tokens = list(_TOKEN.finditer(text))
    out: list[str] = []
    i = 0
    while i < len(tokens):
        match = tokens[i]
        if match.group("field"):
            fields = PUBLIC_FIELDS[match.group("field")]
            value = match.group("value")
            parts = [f"{f}:{value}" for f in fields]
            out.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
        elif match.group("paren"):
            out.append(match.group("paren"))
        elif match.group("phrase"):
            phrase = match.group("phrase")
            concepts = _concepts_of(phrase.rsplit('"', 1)[0].strip('"'))
            out.append(_with_concepts(phrase, concepts))
        else:
            # Longest run of plain words (up to three) that names a concept, e.g. `music therapy`.
            run = [t.group("word") for t in tokens[i : i + 3] if t.group("word")]
            for n in range(len(run), 0, -1):
                words = run[:n]
                if (
                    len(words) == n
                    and all(w not in OPERATORS for w in words)
                    and all(tokens[i + k].group("word") for k in range(n))
                ):
                    concepts = _concepts_of(" ".join(words))
                    if concepts:
                        out.append(_with_concepts(" ".join(words), concepts, group=n > 1))
                        i += n
                        break
            else:
                out.append(match.group("word"))
                i += 1
            continue
        i += 1
    return " ".join(out)


def _with_concepts(text: str, concepts: list[str], group: bool = False) -> str:
    if not concepts:
        return text
    original = f"({text})" if group else text
    return "(" + " OR ".join([original, *(f"concepts:{c}" for c in concepts)]) + ")"


def plain_words(text: str) -> list[str]:
    """The unfielded words of a query (for spelling suggestions)."""
    return [
        m.group("word") for m in _TOKEN.finditer(text) if m.group("word") and m.group("word") not in OPERATORS
    ]
