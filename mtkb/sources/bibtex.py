"""Read BibTeX files into Reference records with bibtexparser 2.

bibtexparser parses blocks; this module resolves what it leaves raw: `@string` and month macros, `#`
concatenation and `crossref`. LaTeX is decoded in names and titles only (decoding URLs and DOIs
corrupts them). Every problem is a ContentProblem naming the file and line; a bad entry never hides
the good ones.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import bibtexparser
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import Block, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field
from pylatexenc.latex2text import LatexNodes2Text

from mtkb.errors import ContentProblem
from mtkb.records import Origin, Person, Reference

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
VENUE = {
    "journal",
    "journaltitle",
    "series",
    "publisher",
    "institution",
    "organization",
    "address",
    "location",
    "howpublished",
    "type",
}
"""Fields that name where a work appeared: text to decode, and values that recur across a bibliography."""
DECODED = {"title", "booktitle", "abstract", "edition", *VENUE}
"""Fields whose LaTeX is decoded (besides the names). URL, DOI and the rest are kept as written."""
NAMES = ("author", "editor")
RECURRING = {"year", "month", "volume", "edition", "language", "mtkb_verification", *VENUE}
"""Fields whose values recur across a bibliography (a few journals, publishers, languages, years): their
values are interned, like the entry types and the people's names, so that a large bibliography holds
each once instead of once per reference."""
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
MAX_FIELD = 20_000
"""A field longer than this is refused (abstracts included)."""

# bibtexparser and pylatexenc log the problems they meet; each is reported here with file and line
# instead, so their own messages (with 0-based lines) would only repeat it on stderr.
for _library in ("bibtexparser", "pylatexenc"):
    logging.getLogger(_library).addHandler(logging.NullHandler())

_latex = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)
_macro = re.compile(r"^[A-Za-z_][\w\-:.+/]*$")


@dataclass
class BibResult:
    """What one or more .bib files held: the good references and every problem, each with file and line."""

    references: dict[str, Reference] = field(default_factory=dict)
    problems: list[ContentProblem] = field(default_factory=list)
    entries_seen: int = 0


def _split_concatenation(raw: str) -> list[str]:
    """Split a raw value on `#` outside braces and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            parts.append(raw[start:i].strip())
            start = i + 1
    parts.append(raw[start:].strip())
    return parts


def _resolve(raw: str, strings: dict[str, str]) -> str:
    """Resolve a raw field value. Raises ValueError naming an undefined macro."""
    out = []
    for part in _split_concatenation(raw):
        if (
            len(part) >= 2
            and part[0] == "{"
            and part[-1] == "}"
            or len(part) >= 2
            and part[0] == part[-1] == '"'
        ):
            out.append(part[1:-1])
        elif part.isdigit():
            out.append(part)
        elif part.lower() in strings:
            out.append(strings[part.lower()])
        elif part.lower() in MONTHS:
            out.append(str(MONTHS[part.lower()]))
        elif _macro.match(part):
            raise ValueError(f"undefined macro {part!r}")
        else:
            raise ValueError(f"cannot read value {part[:40]!r}")
    return "".join(out)


def _single_spaced(value: str) -> str:
    """`value` with its white space made single spaces, trimmed. When there is nothing to change, it is
    `value` itself, not a copy: a reference keeps its raw fields too, and most values decode to what was
    written, so the record and its raw fields then share one string (abstracts are most of the memory a
    loaded bibliography takes)."""
    spaced = " ".join(value.split())
    return value if spaced == value else spaced


def _decode(value: str) -> str:
    """LaTeX to text. Raises ValueError for LaTeX that cannot be decoded."""
    if "\\" not in value and "{" not in value and "~" not in value and "--" not in value:
        return _single_spaced(value)
    try:
        text = _latex.latex_to_text(value)
    except Exception:  # pylatexenc fails with arbitrary errors on some macros (e.g. `\title`)
        raise ValueError(f"cannot decode the LaTeX in {value[:60]!r}") from None
    return " ".join(text.replace("\xa0", " ").split())


def _strip_braces(value: str) -> str:
    if "{" not in value and "}" not in value:
        return _single_spaced(value)
    return " ".join(value.replace("{", "").replace("}", "").split())


def _wholly_braced(name: str) -> bool:
    """True when the first `{` closes at the very end: `{Helsedirektoratet}`, `{Fagr{\\aa}det}`."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0 and name[i - 1 : i] != "\\":
            return i == len(name) - 1
    return False


def _people(raw: str) -> tuple[tuple[Person, ...], bool]:
    """Names from an author/editor field; a name wholly in braces is one corporate name. Also says
    whether the list ended in `and others`."""
    people, more = [], False
    for name in split_multiple_persons_names(raw):
        name = name.strip()
        if name.lower() == "others":
            more = True
        elif _wholly_braced(name):
            people.append(Person(literal=sys.intern(_decode(name[1:-1]))))
        else:
            parts = parse_single_name_into_parts(name, strict=False)
            family = " ".join([*parts.von, *parts.last, *parts.jr])
            given = " ".join(parts.first)
            people.append(
                Person(family=sys.intern(_decode(family)) or None, given=sys.intern(_decode(given)) or None)
            )
    return tuple(people), more


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _build(key: str, entry_type: str, values: dict[str, str], origin: Origin) -> Reference:
    """A Reference from resolved field values. Raises ValueError for a field that cannot be used."""
    for name, value in values.items():
        if len(value) > MAX_FIELD:
            raise ValueError(f"field {name!r} is longer than {MAX_FIELD} characters")
    text = {
        k: (_decode(v) if k in DECODED else _strip_braces(v)) for k, v in values.items() if k not in NAMES
    }
    authors, more = _people(values["author"]) if "author" in values else ((), False)
    editors, _ = _people(values["editor"]) if "editor" in values else ((), False)
    unknown = tuple(dict.fromkeys(f.lower() for f in re.split(r"[\s,;]+", text.get("mtkb_unknown", "")) if f))
    if not text.get("title") and "title" not in unknown:
        unknown = ("title", *unknown)  # as biber does, an entry without a title is kept; it is flagged
    for name in unknown:
        if text.get(name):
            raise ValueError(f"field {name!r} is listed in mtkb_unknown but has a value")
    doi = text.get("doi")
    if doi:
        doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi.strip(), flags=re.I)
        if not DOI.match(doi):
            raise ValueError(f"malformed DOI {doi!r} (expected 10.NNNN/suffix)")
    year = text.get("year")
    if year and not re.fullmatch(r"\d{4}", year):
        raise ValueError(f"year must be four digits; got {year!r}")
    month = text.get("month")
    month_number = MONTHS.get(month[:3].lower()) if month and not month.isdigit() else _int(month)
    if month and not (month_number and 1 <= month_number <= 12):
        raise ValueError(f"month must be 1-12 or a month name; got {month!r}")
    date = text.get("date")
    if date and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date):
        raise ValueError(f"date must be YYYY, YYYY-MM or YYYY-MM-DD; got {date!r}")
    updated = text.get("mtkb_updated")
    if updated and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", updated):
        raise ValueError(f"mtkb_updated must be YYYY-MM-DD; got {updated!r}")
    return Reference(
        key=key,
        entry_type=entry_type,
        title=text.get("title"),
        authors=authors,
        editors=editors,
        authors_incomplete=more,
        year=_int(year),
        month=month_number,
        date=date,
        journal=text.get("journal") or text.get("journaltitle"),
        booktitle=text.get("booktitle"),
        volume=text.get("volume"),
        number=text.get("number"),
        pages=text["pages"].replace("--", "-").replace("–", "-") if text.get("pages") else None,
        publisher=text.get("publisher"),
        address=text.get("address") or text.get("location"),
        institution=text.get("institution"),
        organization=text.get("organization"),
        report_type=text.get("type"),
        howpublished=text.get("howpublished"),
        edition=text.get("edition"),
        url=text.get("url"),
        doi=doi,
        pmid=text.get("pmid"),
        isbn=text.get("isbn"),
        language=text.get("language"),
        abstract=text.get("abstract"),
        note=text.get("note"),
        urldate=text.get("urldate"),
        updated=updated,
        unknown=unknown,
        verification=text.get("mtkb_verification", "unverified"),
        sources=text.get("mtkb_sources"),
        fields=dict(values),
        origin=origin,
    )


def reference_from_fields(key: str, entry_type: str, fields: dict[str, str]) -> Reference:
    """A Reference rebuilt from its resolved BibTeX fields (`Reference.fields`), e.g. from an index
    build. Raises ValueError for fields that cannot be used (as when they were first read)."""
    return _build(key, entry_type, dict(fields), Origin("", 1))


def _decode_bytes(raw: bytes, display: str, result: BibResult) -> tuple[str, set[int]]:
    """UTF-8 text of a file; lines that are not UTF-8 are reported and replaced so that the rest loads."""
    try:
        return raw.decode("utf-8"), set()
    except UnicodeDecodeError:
        bad = set()
        for number, line in enumerate(raw.split(b"\n"), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad.add(number)
                result.problems.append(
                    ContentProblem(display, number, "not valid UTF-8 (save the file as UTF-8)")
                )
        return raw.decode("utf-8", errors="replace"), bad


def _entry_lines(raw: str | None, start: int) -> range:
    return range(start, start + (raw or "").count("\n") + 1)


def _line(block: Block | Field) -> int:
    """The 1-based line a block starts on (bibtexparser counts from 0)."""
    return (block.start_line or 0) + 1


def _is_entry(failed: Block) -> bool:
    """Whether a failed block was meant as an entry (not a @string, @comment or @preamble)."""
    if isinstance(failed, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
        return isinstance(failed.ignore_error_block, Entry)
    return not re.match(r"\s*@\s*(string|comment|preamble)\b", failed.raw or "", re.I)


def _failure_message(failed: Block, display: str) -> str:
    """What is wrong with a block bibtexparser could not use."""
    if isinstance(failed, DuplicateBlockKeyBlock):
        kind = "entry" if isinstance(failed.ignore_error_block, Entry) else "@string"
        return f"duplicate {kind} key {failed.key!r} (first at {display}:{_line(failed.previous_block)})"
    if isinstance(failed, DuplicateFieldKeyBlock):
        entry = failed.ignore_error_block
        key = entry.key if isinstance(entry, Entry) else "?"
        return f"entry {key!r} has a field twice: {', '.join(sorted(failed.duplicate_keys))}"
    # A syntax error's text is in `abort_reason`; str() of that exception is empty.
    error = getattr(failed, "error", None)
    reason = (getattr(error, "abort_reason", None) or str(error or "")).strip()
    return f"BibTeX syntax error: {reason.splitlines()[0] if reason else 'unreadable block'}"


@functools.lru_cache(maxsize=1024)
def _field_offsets(layout: tuple[tuple[str, int], ...]) -> Mapping[str, int]:
    """The read-only table of (field name, lines after the entry's first line) for `layout`, one per
    layout: entries are mostly laid out alike (the same fields, one to a line), and a dict of lines for
    each entry took about 900 bytes."""
    return MappingProxyType(dict(layout))


def read_bib(file: Path, display: str, result: BibResult, pending: dict[str, tuple[Reference, str]]) -> None:
    """Parse one .bib file into `result`; entries with a crossref wait in `pending` for their parent."""
    text, bad_lines = _decode_bytes(file.read_bytes(), display, result)
    library = bibtexparser.parse_string(text.lstrip("\ufeff"), parse_stack=[])
    strings: dict[str, str] = {}
    for block in library.strings:
        try:
            strings[block.key.lower()] = _resolve(block.value, strings)
        except ValueError as exc:
            result.problems.append(ContentProblem(display, _line(block), f"@string {block.key}: {exc}"))
    for failed in library.failed_blocks:
        result.entries_seen += _is_entry(failed)
        result.problems.append(ContentProblem(display, _line(failed), _failure_message(failed, display)))
    for entry in library.entries:
        result.entries_seen += 1
        line = _line(entry)
        names = [sys.intern(f.key.lower()) for f in entry.fields]  # the same few in every entry
        layout = tuple((name, _line(f) - line) for name, f in zip(names, entry.fields, strict=True))
        origin = Origin(display, line, _field_offsets(layout))
        if bad_lines & set(_entry_lines(entry.raw, line)):
            continue  # already reported as not UTF-8
        values: dict[str, str] = {}
        try:
            for name, f in zip(names, entry.fields, strict=True):
                try:
                    value = _resolve(str(f.value), strings)
                    values[name] = sys.intern(value) if name in RECURRING else value
                except ValueError as exc:
                    raise ValueError(f"field {f.key!r}: {exc}") from None
            crossref = values.pop("crossref", None)
            if crossref:
                if not _is_duplicate(result, pending, entry.key, origin):
                    child = Reference(
                        key=entry.key,
                        entry_type=sys.intern(entry.entry_type.lower()),
                        title=None,
                        fields=values,
                        origin=origin,
                    )
                    pending[entry.key] = (child, crossref)
                continue
            ref = _build(entry.key, sys.intern(entry.entry_type.lower()), values, origin)
        except ValueError as exc:
            result.problems.append(ContentProblem(display, line, f"entry {entry.key!r}: {exc}"))
            continue
        if not _is_duplicate(result, pending, ref.key, origin):
            result.references[ref.key] = ref
    # pylatexenc raises and catches exceptions of its own, and their tracebacks make reference cycles that
    # hold every frame that called it, this one too. Until the cycle collector finds them, which may be
    # after the index is built (indexing turns it off), this frame's variables would keep the whole parsed
    # file alive.
    del text, library


def _is_duplicate(
    result: BibResult, pending: dict[str, tuple[Reference, str]], key: str, origin: Origin
) -> bool:
    """Report `key` if an earlier entry (built, or waiting for its crossref) already has it."""
    earlier = result.references.get(key) or (pending[key][0] if key in pending else None)
    if earlier is None:
        return False
    first = earlier.origin
    result.problems.append(
        ContentProblem(
            origin.path, origin.line, f"duplicate entry key {key!r} (first at {first.path}:{first.line})"
        )
    )
    return True


def resolve_crossrefs(result: BibResult, pending: dict[str, tuple[Reference, str]]) -> None:
    """Give each pending entry the fields of its parent that it lacks (the parent's title becomes its
    booktitle), then build it. A missing parent is a problem at the child's line."""
    for key, (child, parent_key) in pending.items():
        parent = result.references.get(parent_key)
        if parent is None:
            result.problems.append(
                ContentProblem(
                    child.origin.path,
                    child.origin.line,
                    f"entry {key!r}: crossref {parent_key!r} is not defined",
                )
            )
            continue
        values = {k: v for k, v in parent.fields.items() if k not in ("mtkb_unknown",)}
        if "title" in values:
            values["booktitle"] = values.pop("title")
        values.update(child.fields)
        try:
            result.references[key] = _build(key, child.entry_type, values, child.origin)
        except ValueError as exc:
            result.problems.append(
                ContentProblem(child.origin.path, child.origin.line, f"entry {key!r}: {exc}")
            )


def load_bibliography(files: list[tuple[Path, str]]) -> BibResult:
    """Read every (file, display path) pair into one bibliography."""
    result, pending = BibResult(), dict[str, tuple[Reference, str]]()
    for file, display in files:
        read_bib(file, display, result, pending)
    resolve_crossrefs(result, pending)
    return result
