"""Split a Markdown file into YAML front matter and body, keeping the line of every front-matter key.

The YAML loader is safe and strict: no aliases (so no "billion laughs"), no duplicate keys, no deep
nesting; dates stay strings (the schemas parse them) and only true/false are booleans (`no` is a
language); every key's line is recorded so that errors can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from mtkb.errors import ContentError

MAX_FRONT_MATTER = 64 * 1024
"""Front matter larger than this is refused: it is metadata, not content."""
MAX_DEPTH = 16
"""Front matter nested deeper than this is refused (PyYAML composes recursively)."""


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader without timestamps, without aliases, with YAML 1.2 booleans, and refusing collections
    nested deeper than MAX_DEPTH as it reaches them (PyYAML composes recursively: the refusal comes long
    before the stack could overflow)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not allowed in front matter", mark
            )
        nested = isinstance(event, yaml.CollectionStartEvent)
        if nested:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark
                )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= nested


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# Booleans as in YAML 1.2: only true and false. YAML 1.1 also reads yes/no/on/off as booleans, which
# would turn `lang: no` (Norwegian) into False.
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _timestamp_as_string(loader: _Loader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


# An explicit `!!timestamp` tag stays a string too.
_Loader.add_constructor(_TIMESTAMP, _timestamp_as_string)


@dataclass(frozen=True)
class Document:
    """A parsed Markdown file."""

    data: dict[str, Any]
    field_lines: dict[str, int]
    body: str
    body_line: int


def _key_lines(node: yaml.Node, offset: int, prefix: str = "") -> dict[str, int]:
    """Map 'a' and 'a.b' key paths (list items as 'a.0.b') to 1-based file lines. Raises a YAML error
    at a key given twice in one mapping (YAML would silently keep the last value)."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = f"{prefix}{key.value}"
            if path in lines:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {path!r}", problem_mark=key.start_mark)
            lines[path] = key.start_mark.line + offset
            lines.update(_key_lines(value, offset, path + "."))
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            lines[f"{prefix}{i}"] = value.start_mark.line + offset
            lines.update(_key_lines(value, offset, f"{prefix}{i}."))
    return lines


def split(text: str, path: str) -> Document:
    """Parse `text` (the contents of `path`). Raises ContentError naming the line of the problem."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError.at(path, 1, "missing front matter: the file must start with a '---' line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ContentError.at(path, 1, "front matter is not closed by a '---' line") from None
    source = "\n".join(lines[1:end])
    if len(source) > MAX_FRONT_MATTER:
        raise ContentError.at(path, 2, f"front matter is larger than {MAX_FRONT_MATTER} bytes")
    try:
        # One pass: the composed document gives the key lines and, constructed, the data.
        loader = _Loader(source)
        try:
            node = loader.get_single_node()
            field_lines = _key_lines(node, 2) if node else {}
            data = loader.construct_document(node) if node else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else 2
        message = exc.problem or str(exc)
        if exc.context and exc.context_mark and exc.problem_mark:
            # where the unfinished construct began (an unclosed quote or bracket) is often the culprit
            message += f" ({exc.context} from line {exc.context_mark.line + 2})"
        raise ContentError.at(path, line, f"invalid YAML: {message}") from None
    except yaml.YAMLError as exc:
        raise ContentError.at(path, 2, f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ContentError.at(path, 2, "front matter must be a mapping of fields")
    return Document(data, field_lines, "\n".join(lines[end + 1 :]), end + 2)
