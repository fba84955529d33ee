"""Prose bodies: find Pandoc citations, and render Markdown to sanitised HTML (or plain text) with each
citation group held as a placeholder that a request formats in its style."""

from __future__ import annotations

import html
import json
import re

import nh3
from markdown_it import MarkdownIt

from mtkb.records import Citation

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


_MARKERS = re.compile("[\ue000-\uefff]")
"""Private-use characters: each stands for one citation group while the prose is rendered (one character,
so no fragmenting or highlighting can split it, and never a word to the search analysers)."""
PLACEHOLDER = '<cite class="mtkb-cite" data-cites="{}"></cite>'
"""What a citation group is in rendered prose until a request formats it (api/intext.py): the group as
escaped JSON, `[[prefix, key, locator], ...]`. Empty, so nothing raw shows where it is not formatted."""
PLACEHOLDER_PATTERN = re.compile(r'<cite class="mtkb-cite" data-cites="([^"]*)"></cite>')


def _marked(body: str) -> tuple[str, list[str]]:
    """`body` with each citation group replaced by one marker character, and the groups as placeholder
    attributes (escaped JSON), in order. A group that is not all citations is left as written."""
    groups: list[str] = []

    def replace(group: re.Match[str]) -> str:
        items = []
        for part in group.group(1).split(";"):
            match = _ITEM.fullmatch(part.strip())
            if not match:
                return group.group(0)
            loc = " ".join((match.group("loc") or "").split())
            items.append([match.group("prefix").strip(), match.group("key"), loc])
        groups.append(html.escape(json.dumps(items, ensure_ascii=False), quote=True))
        return chr(0xE000 + len(groups) - 1)

    return _GROUP.sub(replace, _MARKERS.sub("", body)), groups


def with_placeholders(text: str, groups: list[str]) -> str:
    """`text` (HTML) with each marker character replaced by the placeholder of its group."""

    def replace(marker: re.Match[str]) -> str:
        index = ord(marker.group()) - 0xE000
        return PLACEHOLDER.format(groups[index]) if index < len(groups) else ""

    return _MARKERS.sub(replace, text)


def citation_group(attribute: str) -> list[tuple[str, str, str]]:
    """A placeholder's group back as (prefix, key, locator) triples."""
    return [(str(p), str(k), str(loc)) for p, k, loc in json.loads(html.unescape(attribute))]


def render_html(body: str) -> str:
    """Markdown to sanitised HTML: raw HTML in the source is escaped and each citation group becomes a
    placeholder that the API formats per request (in-text citation, style, absolute link)."""
    marked, groups = _marked(body)
    rendered = _md.render(marked)
    attributes = {"a": {"href", "title"}}
    cleaned = nh3.clean(rendered, tags=_ALLOWED_TAGS, attributes=attributes, link_rel="noopener")
    return with_placeholders(cleaned, groups)


def prose_text(body: str) -> tuple[str, list[str]]:
    """The prose as plain text (for search and snippets): Markdown rendered, tags dropped, each citation
    group one marker character; and the groups, for `with_placeholders`."""
    marked, groups = _marked(body)
    text = nh3.clean(_md.render(marked), tags=set())
    return " ".join(html.unescape(text).split()), groups
