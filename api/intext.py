"""Prose for a request: the citation placeholders that the build leaves in `body_html` and in search snippets
become formatted in-text citations ("(Helsedirektoratet, 2016)") that link to the reference by an absolute
URL; links and code whose text is a bare reference key or item id get the reference's author-year or the
item's title as text instead (WCAG 2.4.4: a link says where it goes); root-relative links become absolute,
since websites embed this HTML on their own pages.

The in-text citations come from the build's citation store: the core styles are pre-rendered with the
build, any other style is formatted once per content version and cached on disk. Nothing here runs pandoc
per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import request
from markupsafe import escape

from api.access import current_build
from mtkb import ITEM_TYPES
from mtkb.citations import Formatted, resolve_style
from mtkb.prose import PLACEHOLDER_PATTERN, citation_group

DEFAULT_STYLE = "apa"
"""The style of in-text citations when the request names none (APA 7, in the item's language)."""
LOCALE_OF_LANG = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-US"}
PAGE_LABELS = {"nb-NO": ("s.", "s."), "nn-NO": ("s.", "s."), "en-US": ("p.", "pp."), "en-GB": ("p.", "pp.")}
"""The page label of each locale (one page, a range), for locators written the Pandoc way (`p. 32`)."""
_PAGE_LOCATOR = re.compile(r"^(?:p|pp|s|page|pages|side|sider)\.?\s+(?P<pages>\S.*)$", re.I)
_NUMERIC = re.compile(r"^(?P<open>\(|\[|<sup>)?1(?P<close>\)|\]|</sup>)?$")
_LINK = re.compile(r'<a href="(?P<href>[^"]*)"(?P<attrs>[^>]*)>(?P<text>[^<]*)</a>')
_CODE = re.compile(r"<code>(?P<text>[^<]*)</code>")
_ROOT_HREF = re.compile(r'href="/(?!/)')
_TAG = re.compile(r"(<[^>]*>)")
_NAME = re.compile(r"(?<![\w/.@-])[A-Za-z0-9_][\w:.-]*[\w](?![\w/-])")
"""A word that may be a reference key or an item id (looked up before anything is replaced)."""

Link = Callable[[str, str], str]
"""(record type, id) -> the absolute URL a reader follows to that record."""


def api_link(record_type: str, ident: str) -> str:
    """The record's resource in this API, as an absolute URL."""
    collection = {"evidence": "evidence", "reference": "references"}.get(record_type, f"{record_type}s")
    return f"{request.host_url}api/v1/{collection}/{ident}"


def locale_for(lang: str | None) -> str:
    return LOCALE_OF_LANG.get(lang or "", "nb-NO")


def requested_style() -> str:
    """The request's `style` (any alias or CSL name), else APA. Raises CitationError (400) when unknown."""
    return resolve_style(request.args.get("style") or DEFAULT_STYLE)


def _locator(locator: str, locale: str) -> str:
    match = _PAGE_LOCATOR.match(locator)
    if not match:
        return locator
    one, many = PAGE_LABELS.get(locale, ("p.", "pp."))
    pages = match["pages"].replace("--", "–").replace("-", "–")
    return f"{many if '–' in pages or ',' in pages else one} {pages}"


def _group_html(
    group: list[tuple[str, str, str]],
    entries: dict[str, Formatted],
    numbers: dict[str, int],
    locale: str,
    link: Link,
) -> str:
    """One citation group: `(se A, 2016, s. 32; B, 2017)` in author-date styles, `(1, 2)` or `<sup>1,2</sup>`
    in numeric ones (numbered by first appearance in this text), each citation a link."""
    parts, opening, closing, numeric = [], "(", ")", False
    for prefix, key, loc in group:
        intext = entries[key].intext_html
        number = _NUMERIC.match(intext)
        if number:
            numeric, opening, closing = True, number["open"] or "", number["close"] or ""
            inner = str(numbers.setdefault(key, len(numbers) + 1))
        else:
            inner = intext[1:-1] if intext.startswith("(") and intext.endswith(")") else intext
        # prefix and locator are the author's text, kept out of the build's sanitiser: escaped here
        inner = f'<a href="{escape(link("reference", key))}">{inner}</a>'
        located = f"{inner}, {escape(_locator(loc, locale))}" if loc else inner
        parts.append(f"{escape(prefix)} {located}" if prefix else located)
    return f'<cite class="citation">{opening}{("," if numeric else "; ").join(parts)}{closing}</cite>'


def format_prose(
    html: str, lang: str | None, link: Link = api_link, style: str | None = None, plain: bool = False
) -> str:
    """`html` (a body or a snippet from the build) with its citations formatted in `style` (default: the
    request's, else APA) in the locale of `lang`, reference keys and item ids in link or code text
    replaced by author-year or title, and root-relative links made absolute. With `plain` (a snippet,
    whose code and links were flattened to text) bare keys and ids in the text become titled links too."""
    if not html:
        return html
    build = current_build()
    locale, style = locale_for(lang), style or requested_style()
    if plain:
        html = _bare_names(html, style, locale, link)
    groups = {m.group(1): citation_group(m.group(1)) for m in PLACEHOLDER_PATTERN.finditer(html)}
    keys = list(dict.fromkeys(key for group in groups.values() for _, key, _ in group))
    entries = build.citations.formatted(keys, style, locale) if keys else {}
    numbers: dict[str, int] = {}

    def cite(match: re.Match[str]) -> str:
        return _group_html(groups[match.group(1)], entries, numbers, locale, link)

    out = PLACEHOLDER_PATTERN.sub(cite, html)
    out = _ROOT_HREF.sub(f'href="{request.host_url}', out)
    return _named_links(out, style, locale, link)


def _readable_name(name: str, style: str, locale: str) -> tuple[str, str, str] | None:
    """(text, record type, language attribute) for a bare reference key or item id: the reference's
    author-year (its in-text citation without brackets) or the item's title, marked with the item's
    language (a Norwegian title in an English note, WCAG 3.1.2); None for any other text."""
    build = current_build()
    if build.record("reference", name) is not None:
        intext = build.citations.formatted([name], style, locale)[name].intext_text
        return (intext[1:-1] if intext[:1] in "([" and intext[-1:] in ")]" else intext), "reference", ""
    for record_type in ITEM_TYPES:
        record = build.record(record_type, name)
        if record is not None:
            return str(record["title"]), record_type, f' lang="{escape(record.get("lang") or "nb")}"'
    return None


def name_links(html: str, lang: str | None, link: Link, style: str | None = None) -> str:
    """`html` with the reference keys and item ids standing as words in its text made readable links."""
    return _bare_names(html, style or requested_style(), locale_for(lang), link)


def _bare_names(html: str, style: str, locale: str, link: Link) -> str:
    """Keys and ids standing as words in the text of `html` (not in its tags) as links with readable text."""

    def word(match: re.Match[str]) -> str:
        readable = _readable_name(match.group(), style, locale)
        if readable is None:
            return match.group()
        return f'<a href="{link(readable[1], match.group())}"{readable[2]}>{escape(readable[0])}</a>'

    parts = _TAG.split(html)
    return "".join(part if part.startswith("<") else _NAME.sub(word, part) for part in parts)


def _named_links(html: str, style: str, locale: str, link: Link) -> str:
    def link_text(match: re.Match[str]) -> str:
        readable = _readable_name(match["text"].strip(), style, locale)
        if readable is None:
            return match.group(0)
        return f'<a href="{match["href"]}"{match["attrs"]}{readable[2]}>{escape(readable[0])}</a>'

    def code_text(match: re.Match[str]) -> str:
        name = match["text"].strip()
        readable = _readable_name(name, style, locale)
        if readable is None:
            return match.group(0)
        return f'<a href="{link(readable[1], name)}"{readable[2]}>{escape(readable[0])}</a>'

    return _CODE.sub(code_text, _LINK.sub(link_text, html))


def present(record: dict[str, Any], link: Link = api_link) -> dict[str, Any]:
    """A knowledge item as this request sees it: `body_html` formatted (see `format_prose`), each
    verification source that is a reference key with its citation and the reference's URL, and the same
    for the records embedded under `expanded`."""
    if "body_html" not in record and "verification" not in record and "expanded" not in record:
        return record
    out = dict(record)
    lang = record.get("lang")
    if record.get("body_html"):
        out["body_html"] = format_prose(record["body_html"], lang, link)
    verification = record.get("verification")
    if isinstance(verification, dict) and isinstance(verification.get("sources"), list):
        out["verification"] = {**verification, "sources": _sources(verification["sources"], lang, link)}
    if isinstance(record.get("expanded"), dict):
        out["expanded"] = {name: _present_any(value, link) for name, value in record["expanded"].items()}
    return out


def _present_any(value: Any, link: Link) -> Any:
    if isinstance(value, list):
        return [_present_any(v, link) for v in value]
    if isinstance(value, dict) and "type" in value:
        return present(value, link)
    return value


def _sources(sources: list[Any], lang: str | None, link: Link) -> list[Any]:
    keys = [s["key"] for s in sources if isinstance(s, dict) and s.get("key")]
    if not keys:
        return sources
    entries = current_build().citations.formatted(keys, requested_style(), locale_for(lang))
    out = []
    for source in sources:
        if isinstance(source, dict) and source.get("key"):
            entry = entries[source["key"]]
            url = link("reference", source["key"])
            source = {**source, "citation": entry.bibliography_text, "intext": entry.intext_text, "url": url}
        out.append(source)
    return out
