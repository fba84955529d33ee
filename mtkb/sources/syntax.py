"""Two places where bibtexparser 2 reads BibTeX syntax differently from BibTeX, and their repair.

1. A quoted value with a `"` inside braces (`"zeitgem{"a}{\\ss}"`, legal BibTeX: braces protect it)
   ends the value at that `"` in bibtexparser 2.1: the entry is cut short there (the rest becomes an
   implicit comment, its fields lost) or fails. `repair` reads such an entry again with BibTeX's rule
   (a `"` ends a quoted value only outside braces).
2. An entry whose type begins with "comment" (biblatex's `@commentary`) is read as an `@comment`;
   `repair` reads it as the entry it is.
3. A missing comma between two fields makes bibtexparser read the next field as part of the value
   (`journal = {J}` then `title = {T}`): `missing_comma` finds it and names the line.
"""

from __future__ import annotations

import re

from bibtexparser.library import Library
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    ImplicitComment,
)

_NAME = r"[A-Za-z_][\w\-:.+/]*"
_NEXT_FIELD = re.compile(rf"\s*({_NAME})\s*=\s*[{{\"\w]")
_FIELD_START = re.compile(rf"\s*,?\s*({_NAME})\s*=\s*")
_COMMENT_LOOKALIKE = re.compile(r"\s*@\s*comment\w+\s*[{(]", re.I)
"""`@commentary{…}` (a biblatex entry type) that bibtexparser reads as an `@comment`."""
_FIELD_LINE = re.compile(rf"\s*({_NAME})\s*=")
_HEAD = re.compile(r"\s*@\s*(\w+)\s*[{(]\s*([^,\s]*)\s*,")


def _balanced(value: str) -> bool:
    """Whether a raw value's braces balance and its quotes close (outside braces)."""
    depth, quoted = 0, False
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
        elif ch == '"' and depth == 0:
            quoted = not quoted
    return depth == 0 and not quoted


def _scan_fields(text: str, start: int) -> tuple[list[tuple[str, str, int]], int | None]:
    """(name, raw value, offset in `text`) of the fields from `start`, and the offset of the entry's
    closing brace (None when it has none)."""
    fields: list[tuple[str, str, int]] = []
    i = start
    while True:
        match = _FIELD_START.match(text, i)
        if not match:
            closing = re.compile(r"\s*,?\s*[})]").match(text, i)
            return fields, (closing.end() - 1 if closing else None)
        i = value_start = match.end()
        depth, quoted = 0, False
        while i < len(text):
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0:
                    break
                depth -= 1
            elif ch == '"' and depth == 0:
                quoted = not quoted
            elif ch in ",)" and depth == 0 and not quoted:
                break
            i += 1
        fields.append((match.group(1), text[value_start:i].strip(), value_start))
        if i >= len(text):
            return fields, None
        if text[i] in "})":
            return fields, i


def _entry_from_text(text: str, start_line: int) -> Entry | None:
    """The entry in `text` read with BibTeX's rule for quotes, or None when it does not close."""
    head = _HEAD.match(text)
    if not head:
        return None
    fields = []
    scanned, end = _scan_fields(text, head.end())
    if end is None or not all(_balanced(value) for _, value, _ in scanned):
        return None
    for name, value, offset in scanned:
        fields.append(Field(name, value, start_line=start_line + text.count("\n", 0, offset)))
    return Entry(head.group(1), head.group(2), fields, start_line=start_line, raw=text[: end + 1])


def repair(library: Library) -> tuple[list[Entry], list[Block]]:
    """The entries of a parsed file, and its failed blocks, after reading again (with BibTeX's rule: a
    `"` ends a quoted value only outside braces) every entry that bibtexparser cut short or failed on
    because of a `"` inside braces."""
    entries: list[Entry] = []
    failed: list[Block] = []
    blocks = library.blocks
    failed_ids = {id(b) for b in library.failed_blocks}
    for index, block in enumerate(blocks):
        is_failed = id(block) in failed_ids or _COMMENT_LOOKALIKE.match(block.raw or "") is not None
        if not (isinstance(block, Entry) or is_failed):
            continue
        if isinstance(block, Entry):
            retry = bool(block.fields) and not _balanced(str(block.fields[-1].value))
        else:
            retry = not isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock)
        recovered = None
        if retry:
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            rest = (following.raw or "") if isinstance(following, ImplicitComment) else ""
            recovered = _entry_from_text((block.raw or "") + rest, block.start_line or 0)
        if recovered is not None:
            entries.append(recovered)
        elif isinstance(block, Entry):
            entries.append(block)
        else:
            failed.append(block)
    return entries, failed


def missing_comma(entry: Entry) -> str | None:
    """The message for a field whose value swallowed the next field, naming the (1-based) line where
    the comma is missing; None when there is no such field."""
    for f in entry.fields:
        value, depth, quoted = str(f.value), 0, False
        for i, ch in enumerate(value):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == '"' and depth == 0:
                quoted = not quoted
            if depth == 0 and not quoted and ch in '}"' and i + 1 < len(value):
                following = _NEXT_FIELD.match(value, i + 1)
                if following:
                    line = (f.start_line or 0) + 1 + value.count("\n", 0, i + 1)
                    return (
                        f"BibTeX syntax error in entry {entry.key!r}: missing comma after the field that "
                        f"ends on line {line}? ({following.group(1)!r} was read as part of {f.key!r})"
                    )
    return None


def unclosed_brace_line(raw: str) -> int | None:
    """How many lines after the first of `raw` (an entry's text) a field starts whose value opens a
    brace that never closes, or None: a later line that starts a field (`name =`) while that value is
    still open gives it away (a value may run over many lines, but no field starts inside one)."""
    depth, last_field = 0, None
    for number, text in enumerate(raw.split("\n")):
        if _FIELD_LINE.match(text):
            if depth > 1 and last_field is not None:
                return last_field
            if depth == 1:
                last_field = number
        depth += text.count("{") - text.count("\\{") - text.count("}") + text.count("\\}")
    return None
