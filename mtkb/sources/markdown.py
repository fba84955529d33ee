"""Read one Markdown knowledge item into its record, or raise ContentError with file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from mtkb import ITEM_TYPES
from mtkb.errors import ContentError, ContentProblem
from mtkb.prose import find_citations
from mtkb.records import Item, Origin
from mtkb.schemas import make_item, schema_for
from mtkb.sources.frontmatter import split

MAX_FILE_SIZE = 1024 * 1024
"""A knowledge item larger than this is refused."""


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error messages as (dotted field path, message) pairs."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            path = prefix if key == "_schema" else f"{prefix}{key}" if not prefix else f"{prefix}.{key}"
            out.extend(_flatten(value, path))
        return out
    if isinstance(messages, list):
        return [pair for m in messages for pair in _flatten(m, prefix)]
    return [(prefix, str(messages))]


def _line_for(path: str, lines: dict[str, int], default: int) -> int:
    parts = path.split(".")
    while parts:
        if ".".join(parts) in lines:
            return lines[".".join(parts)]
        parts.pop()
    return default


def read_text(file: Path, display: str) -> str:
    """The file's text as UTF-8. Raises ContentError for files too large or not UTF-8."""
    raw = file.read_bytes()
    if len(raw) > MAX_FILE_SIZE:
        raise ContentError.at(display, 1, f"file is larger than {MAX_FILE_SIZE} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError.at(display, line, "not valid UTF-8 (save the file as UTF-8)") from None


def load_item(file: Path, display: str) -> Item:
    """Read `file`; `display` is the path used in messages. Raises ContentError listing every problem."""
    doc = split(read_text(file, display).lstrip("\ufeff"), display)
    item_type = doc.data.get("type")
    if item_type not in ITEM_TYPES:
        line = doc.field_lines.get("type", 2)
        raise ContentError.at(
            display, line, f"type must be one of {', '.join(ITEM_TYPES)}; got {item_type!r}"
        )
    try:
        loaded = schema_for(item_type).load(doc.data)
    except ValidationError as exc:
        problems = [
            ContentProblem(display, _line_for(field, doc.field_lines, 2), f"{field or 'front matter'}: {msg}")
            for field, msg in _flatten(exc.messages)
        ]
        raise ContentError(sorted(problems, key=lambda p: p.line)) from None
    body = doc.body.strip("\n")
    body_line = doc.body_line + len(doc.body) - len(doc.body.lstrip("\n"))
    offsets = {name: line - 1 for name, line in doc.field_lines.items()} | {"body": body_line - 1}
    origin = Origin(display, 1, offsets)
    return make_item(
        item_type,
        loaded,
        body=body,
        citations=find_citations(doc.body, doc.body_line),
        origin=origin,
    )
