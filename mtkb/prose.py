"""Prose bodies: find Pandoc citations, and render Markdown to sanitised HTML with citations as links."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

from mtkb.records import Citation

REFERENCE_LINK = "/api/v1/references/{key}"
"""Where a citation in rendered prose links to."""

# A Pandoc citation group: [@key], [@key, p. 32], [see @a; @b]. Keys start with a letter, digit or _
# and may hold internal punctuation, but never end with it. A prefix ends in a space, so that an email
# address (post@example.no) is never read as a citation.
_GROUP = re.compile(r"\[([^\[\]]*?@[^\[\]]*?)\](?!\()")
_ITEM = re.compile(
    r"(?P<prefix>(?:[^@;]*\s)?)-?@(?P<key>[\w](?:[\w:.#$%&\-+?<>~/]*[\w])?)(?:,\s*(?P<loc>[^;]+))?"
)
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

_ALLOWED_TAGS = {
    "a",
    "p",
    "em",
    "strong",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "hr",
    "cite",
    "span",
}


def find_citations(body: str, first_line: int = 1) -> tuple[Citation, ...]:
    """Every citation in `body`, with the file line it stands on (`first_line` is the body's first line)."""
    found = []
    for group in _GROUP.finditer(body):
        offset = group.start(1)
        for part in group.group(1).split(";"):
            match = _ITEM.fullmatch(part.strip())
            if match:
                # the line of the key itself: a group may run over several lines
                at = offset + part.index("@")
                loc = match.group("loc")
                line = first_line + body.count("\n", 0, at)
                found.append(Citation(match.group("key"), " ".join(loc.split()) if loc else None, line))
            offset += len(part) + 1
    return tuple(found)


def _link_citations(body: str) -> str:
    def replace(group: re.Match[str]) -> str:
        parts = []
        for part in group.group(1).split(";"):
            match = _ITEM.fullmatch(part.strip())
            if not match:
                return group.group(0)
            key, loc = match.group("key"), match.group("loc")
            link = f"[{key}]({REFERENCE_LINK.format(key=key)})"
            parts.append(f"{match.group('prefix')}{link}" + (f", {loc.strip()}" if loc else ""))
        return "(" + "; ".join(parts) + ")"

    return _GROUP.sub(replace, body)


def render_html(body: str) -> str:
    """Markdown to sanitised HTML: raw HTML in the source is escaped and citations become links."""
    rendered = _md.render(_link_citations(body))
    return nh3.clean(rendered, tags=_ALLOWED_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener")


def plain_text(body: str) -> str:
    """The prose as plain text (for snippets): Markdown rendered, tags dropped, citations as their keys."""
    text = nh3.clean(_md.render(_link_citations(body)), tags=set())
    return " ".join(html.unescape(text).split())
