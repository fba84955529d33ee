"""Name lists (author, editor, translator ...) → Person records, with their parts kept apart.

bibtexparser splits a list on `and` and a BibTeX name into its first, von, last and jr parts; this
module keeps von ("van", "de") as `particle` and jr as `suffix` instead of folding them into the family
name. biblatex's extended name format (`family=Gogh, given=Vincent, prefix=van, useprefix=true`) is
read here by hand: no Python library parses it (bibtexparser and pybtex read it as a plain name).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

from mtkb.records import Person
from mtkb.sources.latex import decode

SUFFIXES = re.compile(r"^(jr|sr|jnr|snr|junior|senior|[ivx]+|\d+(st|nd|rd|th)|d\.?\s?phil|phd|md)\.?$", re.I)
"""What a `jr` part of a BibTeX name looks like; a middle part that does not is a malformed name."""
_EXTENDED = re.compile(r"^\s*(family|given|prefix|suffix|useprefix)(-i)?\s*=", re.I)
_EXTENDED_PARTS = {"family", "given", "prefix", "suffix", "useprefix", "family-i", "given-i", "prefix-i"}


@dataclass
class NameList:
    """People from one name field, whether it ended in `and others`, and what was guessed."""

    people: tuple[Person, ...] = ()
    more: bool = False
    guesses: list[str] = field(default_factory=list)


def wholly_braced(name: str) -> bool:
    """True when the first `{` closes at the very end: `{Helsedirektoratet}`, `{Fagr{\\aa}det}`."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0 and name[i - 1 : i] != "\\":
            return i == len(name) - 1
    return False


def _top_level_split(text: str, sep: str) -> list[str]:
    """`text` split on `sep` outside braces and quotes."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _text(value: str, guesses: list[str]) -> str | None:
    decoded = decode(value)
    guesses.extend(decoded.guesses)
    return sys.intern(decoded.text) if decoded.text else None


def _extended(name: str, guesses: list[str], default_useprefix: bool) -> Person:
    """A name in biblatex's extended format: comma-separated `part=value` pairs."""
    parts: dict[str, str] = {}
    for pair in _top_level_split(name, ","):
        key, _, value = pair.partition("=")
        key, value = key.strip().lower(), value.strip()
        if len(value) >= 2 and (value[0], value[-1]) in (("{", "}"), ('"', '"')):
            value = value[1:-1]
        if key not in _EXTENDED_PARTS:
            guesses.append(f"malformed name {name!r}: unknown name part {key!r}")
            continue
        parts[key] = value
    useprefix = parts.get("useprefix", "").strip().lower()
    return Person(
        family=_text(parts.get("family", ""), guesses),
        given=_text(parts.get("given", ""), guesses),
        particle=_text(parts.get("prefix", ""), guesses),
        suffix=_text(parts.get("suffix", ""), guesses),
        useprefix=useprefix in ("true", "1", "yes") if useprefix else default_useprefix,
    )


def _bibtex_name(name: str, guesses: list[str], useprefix: bool) -> Person:
    pieces = _top_level_split(name, ",")
    if len(pieces) > 3 or (len(pieces) == 3 and not SUFFIXES.match(decode(pieces[1]).text)):
        guesses.append(f"malformed name {name!r} (a missing 'and' between two names?)")
    if any(not p for p in pieces[:2]) and len(pieces) > 1:
        guesses.append(f"malformed name {name!r} (an empty part)")
    parts = parse_single_name_into_parts(name, strict=False)
    return Person(
        family=_text(" ".join(parts.last), guesses),
        given=_text(" ".join(parts.first), guesses),
        particle=_text(" ".join(parts.von), guesses),
        suffix=_text(" ".join(parts.jr), guesses),
        useprefix=useprefix,
    )


def read_names(raw: str, useprefix: bool = False) -> NameList:
    """The people in a name field. A name wholly in braces is one corporate name (a `literal`); a list
    ending in `and others` sets `more`. `useprefix` is biblatex's option for the entry (default false:
    "van Gogh" is sorted and cited as "Gogh"); a name in the extended format may set its own."""
    result = NameList()
    people = []
    for name in split_multiple_persons_names(raw):
        name = name.strip()
        if not name:
            continue
        if name.lower() == "others":
            result.more = True
        elif wholly_braced(name):
            people.append(Person(literal=_text(name[1:-1], result.guesses)))
        elif _EXTENDED.match(name):
            people.append(_extended(name, result.guesses, useprefix))
        else:
            people.append(_bibtex_name(name, result.guesses, useprefix))
    result.people = tuple(people)
    return result
