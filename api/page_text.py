"""What the pages show for prose and for names: bodies and snippets with their citations formatted in the
page's style and linked to our pages, and references and items named by title or author-year, never by a
raw key or id (WCAG 2.4.4: a link's text says where it goes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nh3
from flask import request
from markupsafe import Markup, escape

from api import citing
from api.access import current_build
from api.intext import format_prose, name_links
from api.pages import LABELS, item_link, ui_lang
from index.analysis import language_of
from mtkb.citations import CORE_STYLES, resolve_style
from mtkb.errors import CitationError, MtkbError

_PROSE_ATTRIBUTES = {"a": {"href", "title"}, "cite": {"class", "data-cites"}}
"""What the second sanitising keeps: links, and the citation placeholders that `format_prose` formats."""


def page_style() -> str:
    """The citation style the page shows (`?style=`, any alias), APA when none or an unknown one is given."""
    try:
        return resolve_style(request.args.get("style") or CORE_STYLES[0])
    except CitationError:
        return CORE_STYLES[0]


def page_link(record_type: str, ident: str) -> str:
    """The record's page, as an absolute URL (prose links are followed from copies too)."""
    return request.host_url.rstrip("/") + item_link(record_type, ident)


def prose(body_html: str, lang: str | None = None) -> Markup:
    """An item's body (sanitised at build time) sanitised again here, its citations formatted in the page's
    style and linked to our reference pages, bare ids and keys shown as titles and author-year."""
    cleaned = nh3.clean(body_html, link_rel="noopener", attributes=_PROSE_ATTRIBUTES)
    return Markup(format_prose(cleaned, lang, page_link, page_style()))  # noqa: S704


_SENTENCES = re.compile(r"(…|\n|(?<=[.!?])\s+)")
"""Where a search snippet is cut into sentences: the ellipses between its fragments, and sentence ends."""
_TAG = re.compile(r"<[^>]*>")


def snippet(html: str, lang: str | None = None) -> Markup:
    """A search snippet: escaped text with `<mark>` around matches and its citations as links; a sentence
    in another language than the record's `lang` (an English summary's, say) is marked with its own
    (WCAG 3.1.2)."""
    cleaned = nh3.clean(html, tags={"mark", "cite"}, attributes={"cite": {"class", "data-cites"}})
    formatted = format_prose(cleaned.replace("...", " … "), lang, page_link, page_style(), plain=True)
    if lang:
        pieces = _SENTENCES.split(formatted)
        for i in range(0, len(pieces), 2):  # the sentences (odd places hold what was split on)
            if pieces[i].strip() and (own := language_of(_TAG.sub("", pieces[i]), lang)) != lang:
                pieces[i] = f'<span lang="{own}">{pieces[i]}</span>'
        formatted = "".join(pieces)
    return Markup(formatted)  # noqa: S704  (whoosh joins fragments with "...")


_QUOTE = re.compile(r"«[^«»]+»")


def linked_names(text: str) -> Markup:
    """Plain text (a provenance note, written in English) escaped, with the reference keys and item ids it
    names shown as author-year or title links to their pages, and each «quotation» in another language
    marked with it (a note quotes its Norwegian sources word for word)."""

    def quoted(match: re.Match[str]) -> str:
        own = language_of(match.group(), "nb")
        return match.group() if own == "en" else f'<span lang="{own}">{match.group()}</span>'

    marked = _QUOTE.sub(quoted, str(escape(text)))
    return Markup(name_links(marked, ui_lang(), page_link, page_style()))  # noqa: S704


def ref_label(ref: dict[str, Any] | str) -> str:
    """What a reader sees for a reference: its title, else its author-year (never its key)."""
    record = current_build().record("reference", ref) if isinstance(ref, str) else ref
    if not record:
        return ""
    if record.get("title"):
        return str(record["title"])
    return ref_intext(record["key"])


def ref_intext(key: str) -> str:
    """The reference's author-year in the page's style ("Helsedirektoratet, 2016"), without brackets."""
    try:
        entry = citing.formatted([key], page_style(), LABELS[ui_lang()]["default_locale"])[key]
    except (MtkbError, OSError):
        return ""
    text = entry.intext_text
    return text[1:-1] if text[:1] in "([" and text[-1:] in ")]" else text


def item_title(record_type: str, ident: str) -> str:
    record = current_build().record(record_type, ident)
    return str(record["title"]) if record else ""


def text_lang(text: str) -> str:
    """The language of a short text whose language no data gives (a public page's title in a provenance
    list), as the index guesses it; the page's own when the guess is unsure (WCAG 3.1.2)."""
    return language_of(text or "", ui_lang())


TEMPLATE_HELPERS: tuple[Callable[..., Any], ...] = (
    prose,
    snippet,
    linked_names,
    ref_label,
    ref_intext,
    text_lang,
)
TEMPLATE_HELPERS += (item_title,)
"""Registered as template globals by `api.pages.init_app`."""
