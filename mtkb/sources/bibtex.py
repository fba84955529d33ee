"""Read BibTeX files into Reference records with bibtexparser 2.

bibtexparser parses blocks; this module resolves what it leaves raw: `@string` and month macros (shared
by all the files of a bibliography), `#` concatenation and `crossref`, and names the line of a syntax
error that bibtexparser reads as something else (a missing comma). `mtkb.sources.entries` turns each
entry's fields into a record. Only what BibTeX cannot read is rejected (a ContentProblem naming the
file and line); what had to be guessed is a warning, and the entry is kept. A bad entry never hides
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
from bibtexparser.library import Library
from bibtexparser.model import Block, DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field

from mtkb.errors import ContentProblem
from mtkb.records import Origin, Reference
from mtkb.sources.entries import MAX_FIELD, build, intern_value
from mtkb.sources.syntax import missing_comma, repair, unclosed_brace_line

__all__ = ["MAX_FIELD", "BibResult", "load_bibliography", "reference_from_fields"]

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
"""BibTeX's month macros. They resolve to the month's number, as the month field is read."""

# bibtexparser and pylatexenc log the problems they meet; each is reported here with file and line
# instead, so their own messages (with 0-based lines) would only repeat it on stderr.
for _library in ("bibtexparser", "pylatexenc"):
    logging.getLogger(_library).addHandler(logging.NullHandler())

_macro = re.compile(r"^[A-Za-z_][\w\-:.+/]*$")


@dataclass
class BibResult:
    """What one or more .bib files held: the good references and every problem, each with file and line."""

    references: dict[str, Reference] = field(default_factory=dict)
    problems: list[ContentProblem] = field(default_factory=list)
    warnings: list[ContentProblem] = field(default_factory=list)
    """What had to be guessed (an unknown macro, a malformed name ...): the entry is kept."""
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


def _resolve(raw: str, strings: dict[str, str], undefined: list[str] | None = None) -> str:
    """Resolve a raw field value. An undefined macro is kept as its name and listed in `undefined` (as
    BibTeX does, with a warning); without that list it raises ValueError naming the macro."""
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
        elif _macro.match(part) and undefined is not None:
            undefined.append(part)
            out.append(part)
        elif _macro.match(part):
            raise ValueError(f"undefined macro {part!r}")
        else:
            raise ValueError(f"cannot read value {part[:40]!r}")
    return "".join(out)


def reference_from_fields(key: str, entry_type: str, fields: dict[str, str]) -> Reference:
    """A Reference rebuilt from its resolved BibTeX fields (`Reference.fields`), e.g. from an index
    build. Raises ValueError for fields that cannot be used (as when they were first read); what was
    guessed was reported when the entry was first read."""
    return build(key, entry_type, dict(fields), Origin("", 1), lambda _field, _message: None)


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
    message = f"BibTeX syntax error: {reason.splitlines()[0] if reason else 'unreadable block'}"
    raw = failed.raw or ""
    unclosed = unclosed_brace_line(raw)
    if unclosed is not None:
        return f"{message} (an unclosed {{ on line {_line(failed) + unclosed}?)"
    # bibtexparser's failed block ends where its parse went wrong: name that line too.
    went_wrong = _line(failed) + raw.count("\n")
    if went_wrong == _line(failed):
        return message
    return f"{message} (the parse went wrong on line {went_wrong})"


@functools.lru_cache(maxsize=1024)
def _field_offsets(layout: tuple[tuple[str, int], ...]) -> Mapping[str, int]:
    """The read-only table of (field name, lines after the entry's first line) for `layout`, one per
    layout: entries are mostly laid out alike (the same fields, one to a line), and a dict of lines for
    each entry took about 900 bytes."""
    return MappingProxyType(dict(layout))


def _parse(file: Path, display: str, result: BibResult) -> tuple[Library, set[int]]:
    text, bad_lines = _decode_bytes(file.read_bytes(), display, result)
    return bibtexparser.parse_string(text.lstrip("\ufeff"), parse_stack=[]), bad_lines


def _read_strings(library: Library, display: str, strings: dict[str, str], result: BibResult) -> None:
    """Add a file's @string macros to the table that every file of the bibliography shares."""
    for block in library.strings:
        try:
            strings[block.key.lower()] = _resolve(block.value, strings)
        except ValueError as exc:
            result.problems.append(ContentProblem(display, _line(block), f"@string {block.key}: {exc}"))


def _entries(library: Library, display: str, result: BibResult) -> list[Entry]:
    """The file's entries, in order, with an entry that has a field twice kept (BibTeX keeps the first
    value and warns) and every other failed block reported."""
    entries, failed_blocks = repair(library)
    for failed in failed_blocks:
        if isinstance(failed, DuplicateFieldKeyBlock) and isinstance(failed.ignore_error_block, Entry):
            entry = failed.ignore_error_block
            seen: dict[str, Field] = {}
            for f in entry.fields:
                seen.setdefault(f.key.lower(), f)
            entry.fields = list(seen.values())
            names = ", ".join(sorted(failed.duplicate_keys))
            result.warnings.append(
                ContentProblem(
                    display,
                    _line(failed),
                    f"entry {entry.key!r} has a field twice ({names}): "
                    "the first value is kept, as BibTeX does",
                )
            )
            entries.append(entry)
            continue
        result.entries_seen += _is_entry(failed)
        result.problems.append(ContentProblem(display, _line(failed), _failure_message(failed, display)))
    return sorted(entries, key=_line)


def read_bib(
    library: Library,
    display: str,
    bad_lines: set[int],
    strings: dict[str, str],
    result: BibResult,
    pending: dict[str, tuple[Reference, str]],
) -> None:
    """Read one parsed .bib file's entries into `result`; entries with a crossref wait in `pending` for
    their parent."""
    for entry in _entries(library, display, result):
        result.entries_seen += 1
        line = _line(entry)
        names = [sys.intern(f.key.lower()) for f in entry.fields]  # the same few in every entry
        layout = tuple((name, _line(f) - line) for name, f in zip(names, entry.fields, strict=True))
        origin = Origin(display, line, _field_offsets(layout))
        if bad_lines & set(_entry_lines(entry.raw, line)):
            continue  # already reported as not UTF-8
        syntax = missing_comma(entry)
        if syntax:
            result.problems.append(ContentProblem(display, line, syntax))
            continue

        def warn(field_name: str, message: str, key: str = entry.key, origin: Origin = origin) -> None:
            result.warnings.append(
                ContentProblem(origin.path, origin.line_of(field_name), f"entry {key!r}: {message}")
            )

        values: dict[str, str] = {}
        unreadable = None
        for name, f in zip(names, entry.fields, strict=True):
            undefined: list[str] = []
            try:
                values[name] = intern_value(name, _resolve(str(f.value), strings, undefined))
            except ValueError as exc:  # reported at the field's own line: where the syntax went wrong
                unreadable = ContentProblem(display, _line(f), f"entry {entry.key!r}: field {f.key!r}: {exc}")
                break
            for macro in undefined:
                warn(name, f"field {f.key!r}: undefined macro {macro!r} (kept as its name, as BibTeX warns)")
        if unreadable:
            result.problems.append(unreadable)
            continue
        entry_type = sys.intern(entry.entry_type.lower())
        crossref = values.pop("crossref", None)
        if crossref:
            if not _is_duplicate(result, pending, entry.key, origin):
                pending[entry.key] = (
                    Reference(key=entry.key, entry_type=entry_type, title=None, fields=values, origin=origin),
                    crossref,
                )
            continue
        try:
            ref = build(entry.key, entry_type, values, origin, warn)
        except ValueError as exc:
            result.problems.append(ContentProblem(display, line, f"entry {entry.key!r}: {exc}"))
            continue
        if not _is_duplicate(result, pending, ref.key, origin):
            result.references[ref.key] = ref


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
    booktitle), then build it. Keys are matched without regard to case, as BibTeX matches them. A
    missing parent is a warning at the child's line: the child is kept with its own fields."""
    by_lower = {key.lower(): ref for key, ref in result.references.items()}
    for key, (child, _) in pending.items():
        by_lower.setdefault(key.lower(), child)
    for key, (child, parent_key) in pending.items():
        origin = child.origin

        def warn(field_name: str, message: str, key: str = key, origin: Origin = origin) -> None:
            result.warnings.append(
                ContentProblem(origin.path, origin.line_of(field_name), f"entry {key!r}: {message}")
            )

        parent = by_lower.get(parent_key.lower())
        values: dict[str, str] = {}
        if parent is None:
            warn(
                "crossref", f"crossref {parent_key!r} is not defined (the entry is kept with its own fields)"
            )
        else:
            values = {k: v for k, v in parent.fields.items() if k not in ("mtkb_unknown", "crossref")}
            if "title" in values:
                values["booktitle"] = values.pop("title")
            if "subtitle" in values:
                values["booksubtitle"] = values.pop("subtitle")
        values.update(child.fields)
        try:
            result.references[key] = build(key, child.entry_type, values, origin, warn)
        except ValueError as exc:
            result.problems.append(ContentProblem(origin.path, origin.line, f"entry {key!r}: {exc}"))


def load_bibliography(files: list[tuple[Path, str]]) -> BibResult:
    """Read every (file, display path) pair into one bibliography. @string macros are shared by every
    file (as BibTeX and biber resolve them across all the files they are given), so the macros of all
    files are read before any entry."""
    result, pending = BibResult(), dict[str, tuple[Reference, str]]()
    parsed = [(display, *_parse(file, display, result)) for file, display in files]
    strings: dict[str, str] = {}
    for display, library, _ in parsed:
        _read_strings(library, display, strings, result)
    for display, library, bad_lines in parsed:
        read_bib(library, display, bad_lines, strings, result, pending)
    # pylatexenc raises and catches exceptions of its own, and their tracebacks make reference cycles that
    # hold every frame that called it, this one too. Until the cycle collector finds them, which may be
    # after the index is built (indexing turns it off), this frame's variables would keep the whole parsed
    # bibliography alive.
    del parsed
    resolve_crossrefs(result, pending)
    result.problems.sort(key=lambda p: (p.path, p.line))
    result.warnings.sort(key=lambda p: (p.path, p.line))
    return result
