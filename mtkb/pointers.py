"""Internal pointers: words in served text that point at the project's own working material instead of a
public source, defined once here and used by `mtkb check` (through the corpus) and by the tests that walk
everything the service serves.

A reader of a website that embeds this service cannot follow "seed 002", "FACTS.md, caution 5" or
"RF-SAND": those name the project's working notes (`../shared/seeds/`, `../shared/sources/`), not a page,
report or article anyone can open. Nor is an API field name ("feltet `wording`") something a reader can
follow. Public identifiers are not pointers and none of the patterns matches them: IS-2211, IBBE10, DOIs,
PMIDs, Cochrane CD numbers, Dok. 8:97 S.

`POINTERS` holds each pattern with the message `mtkb check` prints for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from marshmallow import Schema, fields

from mtkb.errors import ContentProblem
from mtkb.records import Item, Reference
from mtkb.schemas import SCHEMAS

SOURCE_KEYS = (
    "HDIR-MT",
    "RF-RL",
    "RF-AVR",
    "RF-KODE",
    "RF-KODE2",
    "RF-SO",
    "RF-SAND",
    "RF-RUSFAG",
    "SYK",
    "POLY",
    "POLY18",
    "DP-RF",
    "DP-LIST",
    "STORT",
    "DOK8",
    "KONT",
    "EBIN",
    "BERK",
    "COCH",
    "ARRO",
    "AIBT",
    "SCRIBD",
    "MEDL",
    "PMMIR",
)
"""The source keys of `../shared/sources/verified-refs.bib` (its header lists them: "HDIR-MT
helsedirektoratet.no/...", "RF-SAND rusfeltet.no/..."), read from that file once and written out here,
because CI has no copy of it. Its entry keys are not listed: they are the keys of `references/`. Nor is
its key PLOS: that is the publisher's own name (PLOS: <title>, <URL> is a public source)."""

_SOURCE_KEY_SET = frozenset(SOURCE_KEYS)

INTERNAL_FIELDS = ("mtkb_sources", "mtkb_unknown", "mtkb_verification", "mtkb_updated")
"""The project's own BibTeX fields (served under other names, never as words)."""


def _schema_field_names(schema: Schema) -> set[str]:
    """Every field name of `schema` and of the schemas nested in it, as JSON names them."""
    names: set[str] = set()
    for name, field in schema.fields.items():
        names.add(field.data_key or name)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            names |= _schema_field_names(inner.schema)
    return names


FIELD_NAMES = tuple(sorted(set(INTERNAL_FIELDS).union(*(_schema_field_names(s()) for s in SCHEMAS.values()))))
"""Every field name of the JSON the API serves, from the marshmallow schemas (their single source)."""

_ANY_FIELD = "|".join(re.escape(n) for n in sorted(FIELD_NAMES, key=len, reverse=True))
_SNAKE_FIELD = "|".join(re.escape(n) for n in sorted(FIELD_NAMES, key=len, reverse=True) if "_" in n)
_KEYS = "|".join(re.escape(k) for k in sorted(SOURCE_KEYS, key=len, reverse=True))

POINTERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i:\bseeds?[\s_-]*(?:no\.?\s*)?\d+)"), "names a seed page by its number"),
    (re.compile(r"(?i:\bFACTS\.md\b)"), "names the project's FACTS.md"),
    (re.compile(r"(?i:\bverified-refs\b)"), "names the project's verified-refs.bib"),
    (re.compile(r"(?:\.\./|(?<![\w.:/%-]))shared/"), "names the project's shared/ folder"),
    (re.compile(r"(?i:\bcautions?\s+(?:no\.?\s*)?\d+)"), "names a caution of the project's notes"),
    (re.compile(rf"(?<![\w/.-])(?:{_KEYS})(?![\w/-])"), "names a source key of verified-refs.bib"),
    (re.compile(r"\[V:[^\]]*\]|\[[SU]\]"), "carries a verification marker of verified-refs.bib"),
    (re.compile(rf"(?:`|<code>)\s*(?:{_ANY_FIELD})\s*(?:`|</code>)"), "names an API field in prose"),
    (
        re.compile(rf"(?i:\bfelt(?:et|ene)\s+[`«\"'‘“]?|\bfields?\s+[`«\"'‘“])(?:{_ANY_FIELD})\b"),
        "names an API field in prose",
    ),
    (re.compile(rf"(?<![\w/.?&=%-])(?:{_SNAKE_FIELD})(?![\w/=-])"), "names an API field in prose"),
)
"""Each pattern of an internal pointer, with what it points at. Source keys match in capitals only; field
names match backticked (Markdown or HTML), after "feltet", quoted after "field", or bare when they are
snake_case (no Norwegian or English word is)."""


@dataclass(frozen=True)
class Pointer:
    """One internal pointer found in a text: where it starts, what it says, what it points at."""

    start: int
    text: str
    message: str


_ANY_POINTER = re.compile("|".join(f"(?P<p{i}>{pattern.pattern})" for i, (pattern, _) in enumerate(POINTERS)))
"""All patterns as one, so that a text is scanned once (a 100,000-entry bibliography is checked on every
build). Each keeps its own case-insensitivity by an inline flag."""


_TRIGGER_CHARS = re.compile(r"[`_\[<]")
"""Characters that backticked or HTML code, snake_case names and verification markers cannot do without."""
_CAPITALS = re.compile(r"[A-Z][A-Z0-9-]{2,}")
_TRIGGER_WORDS = ("seed", "facts.md", "verified-refs", "shared/", "caution", "felt", "field")


def _might_point(text: str) -> bool:
    """False when no pattern can match `text`: a character class, the capitalised words and seven
    substrings of the folded text rule out most texts, where the combined pattern costs about 1.3 ms per
    1,000 characters. On the 10,000-entry synthetic bibliography the check takes 0.9 s with this and
    15 s without (the parse itself takes 16 s)."""
    if _TRIGGER_CHARS.search(text) or not _SOURCE_KEY_SET.isdisjoint(_CAPITALS.findall(text)):
        return True
    folded = text.lower()
    return any(word in folded for word in _TRIGGER_WORDS)


def find_pointers(text: str) -> list[Pointer]:
    """Every internal pointer in `text`, in order of position."""
    if not _might_point(text):
        return []
    return [
        Pointer(m.start(), m.group(), POINTERS[int((m.lastgroup or "p0")[1:])][1])
        for m in _ANY_POINTER.finditer(text)
    ]


def _item_texts(item: Item) -> Iterator[tuple[str, str]]:
    """(field path for its line, text) for every text field of `item` a reader may see."""
    yield "title", item.title
    if item.summary_en:
        yield "summary_en", item.summary_en
    for i, source in enumerate(item.verification.sources):
        yield f"verification.sources.{i}", source
    if item.verification.note:
        yield "verification.note", item.verification.note
    for i, correction in enumerate(item.corrections):
        yield f"corrections.{i}.text", correction.text
        yield f"corrections.{i}.source", correction.source
    for name, value in vars(item).items():
        if name in ("body", "title", "summary_en", "verification", "corrections", "citations", "origin"):
            continue
        yield from _nested_texts(name, value)


def _nested_texts(path: str, value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, tuple):
        for i, element in enumerate(value):
            yield from _nested_texts(f"{path}.{i}", element)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _nested_texts(f"{path}.{name}", getattr(value, name))


def _line(item: Item, path: str) -> int:
    """The line of the deepest part of `path` the front matter recorded."""
    parts = path.split(".")
    while parts:
        name = ".".join(parts)
        if name in item.origin.field_offsets:
            return item.origin.line_of(name)
        parts.pop()
    return item.origin.line


def item_pointers(item: Item) -> list[ContentProblem]:
    """A problem (file:line) for every internal pointer in the item's front matter texts and its body."""
    problems = [
        ContentProblem(item.origin.path, _line(item, path), f"{path}: {p.message}: {p.text!r}")
        for path, text in _item_texts(item)
        for p in find_pointers(text)
    ]
    body_line = item.origin.line_of("body") if "body" in item.origin.field_offsets else item.origin.line
    for p in find_pointers(item.body):
        line = body_line + item.body.count("\n", 0, p.start)
        problems.append(ContentProblem(item.origin.path, line, f"body: {p.message}: {p.text!r}"))
    return problems


def reference_pointers(ref: Reference) -> list[ContentProblem]:
    """A problem (file:line) for every internal pointer in any field of the BibTeX entry."""
    if not _might_point("\n".join(ref.fields.values())):  # one test per entry: most have none
        return []
    texts: Iterable[tuple[str, str]] = [(name.lower(), value) for name, value in ref.fields.items()]
    return [
        ContentProblem(ref.origin.path, ref.origin.line_of(name), f"{name}: {p.message}: {p.text!r}")
        for name, value in texts
        for p in find_pointers(value)
    ]
