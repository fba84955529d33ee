"""The formatter: references → CSL-JSON → pandoc's citeproc → text and safe HTML.

pandoc's citeproc is the engine (measured against citeproc-py 0.11.1, which prints an APA edited
book's editors twice in lower case and glues Vancouver's numbers to the names: "1.Ghetti"); citeproc-js
referees it (tests/referee/). Styles are patched before pandoc sees them, in one place
(`mtkb.citations.patches`). Items are adjusted per style family (`adjust_item`) where a style manual
asks for something that CSL cannot express: APA 7 leaves out a publisher that is the same as the
(group) author (§9.24) and a generic "[Report]" (§10.4); Vancouver/Citing Medicine begins an English
journal article's subtitle in lower case where the first word is a function word (never a proper noun).
"""

from __future__ import annotations

import copy
import hashlib
import html
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import nh3

from mtkb.citations.csl import to_csl_json
from mtkb.citations.pandoc import Job, pandoc_version, run_jobs
from mtkb.citations.patches import patched_style, style_family
from mtkb.citations.styles import resolve_locale, resolve_style, style_file
from mtkb.errors import CitationError
from mtkb.records import Reference

ENGINE_VERSION = "2"
"""Bump when a change here changes output, so that cached citations are not reused."""

HTML_TAGS = {"i", "em", "b", "strong", "span", "a", "sup", "sub", "div"}
HTML_ATTRIBUTES = {"a": {"href"}, "span": {"class"}, "div": {"class"}}
URL_SCHEMES = {"http", "https"}

GENERIC_REPORT = {"rapport", "report", "technical report", "teknisk rapport", "tech. rep."}
SUBTITLE_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "for", "from", "to", "with"}
    | {"without", "by", "about", "into", "over", "under", "between", "after", "before", "during"}
    | {"how", "what", "why", "when", "where", "which", "who", "whom", "whose", "whether"}
    | {"is", "are", "was", "were"}
)
"""English words that are never proper nouns: the only first words of a subtitle that Citing
Medicine's lower-case rule may change ("Tunes: A systematic review" → "a"). Any other word keeps the
data's case, as PubMed prints it, since a program cannot tell "Norway" from "Systematic"."""
_SUBTITLE = re.compile(r"(:\s+)([A-Z][a-z]*)(?=[\s,;.]|$)")


@dataclass(frozen=True)
class Formatted:
    """One reference formatted in one style and locale: the bibliography entry and the in-text
    citation, each as plain text and as HTML (escaped; only formatting tags and http(s) links)."""

    key: str
    bibliography_text: str
    bibliography_html: str
    intext_text: str
    intext_html: str


def engine_id() -> str:
    """What produced the output (engine version and pandoc version), for cache keys."""
    return f"mtkb{ENGINE_VERSION}-pandoc{pandoc_version()}"


def safe_html(fragment: str) -> str:
    """`fragment` with every tag but the formatting ones removed and only http(s) links kept."""
    cleaned: str = nh3.clean(
        fragment, tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None
    )
    return cleaned


@cache
def prepared_style(style_id: str) -> Path:
    """A normalised copy of the style file that applies to `style_id` (its parent for a dependent
    style), written once into a folder shared by all processes (named by the content's hash)."""
    source = style_file(style_file(style_id).independent).path
    try:
        data = patched_style(source.read_bytes(), style_id)
    except ET.ParseError as exc:
        raise CitationError(f"style {style_id!r} is not valid CSL: {exc}") from exc
    folder = Path(tempfile.gettempdir()) / f"mtkb-csl-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"{source.stem}-{hashlib.sha256(data).hexdigest()[:16]}.csl"
    if not target.is_file():
        # a name no other process or thread can hold (pids repeat across containers sharing /tmp)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    return target


def _lower_function_word(match: re.Match[str]) -> str:
    word = match.group(2)
    return match.group(1) + (word.lower() if word.lower() in SUBTITLE_FUNCTION_WORDS else word)


def adjust_item(item: dict[str, Any], style_id: str) -> dict[str, Any]:
    """The item as a style of `style_id`'s family needs it (see the module docstring)."""
    family = style_family(style_id)
    if family == "apa":
        authors = {a.get("literal") for a in item.get("author", [])}
        if item.get("publisher") in authors:
            item = {k: v for k, v in item.items() if k != "publisher"}
        # A report needs no "[Report]" (APA 7 §10.4): only a specific description goes in brackets.
        if item["type"] == "report" and str(item.get("genre", "")).lower() in GENERIC_REPORT:
            item = {k: v for k, v in item.items() if k != "genre"}
    elif family == "vancouver" and item["type"] == "article-journal" and item.get("language") == "en":
        title = item.get("title", "")
        item = {**item, "title": _SUBTITLE.sub(_lower_function_word, title)}
    return item


@cache
def numbered(style_id: str) -> bool:
    """Whether the style numbers its citations (a citation-number in its citations or entries)."""
    return b'variable="citation-number"' in prepared_style(style_id).read_bytes()


def _names(item: dict[str, Any]) -> set[str]:
    people = [*item.get("author", []), *item.get("editor", [])]
    names = {(p.get("literal") or p.get("family") or "").casefold() for p in people}
    return names - {""} or {"title:" + str(item.get("title", "")).casefold()}


def independent_groups(items: Sequence[dict[str, Any]], numbered_style: bool) -> list[list[str]]:
    """Item ids in groups that can be formatted in one run and still come out as if each were cited
    alone: no two items of a group share a name (so no disambiguation, year suffix or repeated-author
    dash can arise between them); with a numbered style every item is a group of its own."""
    if numbered_style:
        return [[item["id"]] for item in items]
    groups: list[tuple[list[str], set[str]]] = []
    for item in items:
        names = _names(item)
        for ids, taken in groups:
            if not names & taken:
                ids.append(item["id"])
                taken.update(names)
                break
        else:
            groups.append(([item["id"]], set(names)))
    return [ids for ids, _ in groups]


def _resolve(style: str, locale: str) -> tuple[str, str]:
    return resolve_style(style), resolve_locale(locale)


@dataclass(frozen=True)
class EngineInput:
    """Exactly what the engine is given for a style and locale: the items as the style's family needs
    them, the prepared style file and the engine's locale (the referee gives citeproc-js the same)."""

    items: list[dict[str, Any]]
    style: Path
    locale: str


def engine_input(items: Sequence[dict[str, Any]], style: str, locale: str) -> EngineInput:
    """The engine's input for CSL-JSON `items` in `style` and `locale`. Raises CitationError for an
    unknown style or locale."""
    style_id, locale_id = _resolve(style, locale)
    adjusted = [adjust_item(copy.deepcopy(dict(item)), style_id) for item in items]
    # APA is American English whatever the locale: its terms are the manual's ("(Eds.)", "ed."), and
    # British English terms ("(Eds)", "edn") would break them. Norwegian and Nynorsk stay as asked.
    engine_locale = "en-US" if locale_id == "en-GB" and style_family(style_id) == "apa" else locale_id
    return EngineInput(adjusted, prepared_style(style_id), engine_locale)


def _job(items: Sequence[dict[str, Any]], style: str, locale: str, mode: str) -> Job:
    """The engine job for `items` (as `engine_input` prepares them, grouped for a standalone run)."""
    style_id, locale_id = _resolve(style, locale)
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise CitationError("the same reference is given twice")
    prepared = engine_input(items, style_id, locale_id)
    groups = independent_groups(prepared.items, numbered(style_id)) if mode == "standalone" else None
    return Job(prepared.items, prepared.style, prepared.locale, mode, groups)


def _collect(result: dict[str, Any], ids: list[str], mode: str) -> tuple[list[Formatted], dict[str, str]]:
    cites = result["cites"]
    formatted, labels = [], {}
    for entry in result["entries"]:
        cite = cites.get(entry["key"], {"text": "", "html": ""})
        formatted.append(
            Formatted(
                key=entry["key"],
                bibliography_text=entry["text"],
                bibliography_html=safe_html(entry["html"]),
                intext_text=cite["text"],
                intext_html=safe_html(cite["html"]),
            )
        )
        if entry.get("label"):
            labels[entry["key"]] = entry["label"]
    if mode == "standalone":
        order = {key: i for i, key in enumerate(ids)}
        formatted.sort(key=lambda f: order[f.key])
    return formatted, labels


def format_items(
    items: Sequence[dict[str, Any]], style: str, locale: str, mode: str = "standalone"
) -> tuple[list[Formatted], dict[str, str]]:
    """Format CSL-JSON items in one engine run. Returns the entries (in input order for
    "standalone", in the style's order for "bibliography") and each entry's label (its number in a
    numbered bibliography). Raises CitationError for an unknown style or locale, or a failed run."""
    job = _job(items, style, locale, mode)
    if not items:
        return [], {}
    return _collect(run_jobs([job])[0], [item["id"] for item in items], mode)


def format_many(
    requests: Sequence[tuple[Sequence[Reference], str, str]], mode: str = "standalone"
) -> list[dict[str, Formatted]]:
    """Several `format_references` calls, (references, style, locale) each, in one engine run: what a
    build needs when a few references change in every style and locale. With mode "bibliography", each
    request is one list and its entries come in the style's order. Raises as format_references."""
    items = [csl_items(refs) for refs, _, _ in requests]
    jobs = [
        _job(batch, style, locale, mode) for batch, (_, style, locale) in zip(items, requests, strict=True)
    ]
    work = [(job, batch) for job, batch in zip(jobs, items, strict=True) if batch]
    results = iter(run_jobs([job for job, _ in work]))
    out: list[dict[str, Formatted]] = []
    for batch in items:
        formatted = _collect(next(results), [i["id"] for i in batch], mode)[0] if batch else []
        out.append({f.key: f for f in formatted})
    return out


def csl_items(refs: Sequence[Reference], accessed: date | None = None) -> list[dict[str, Any]]:
    """The CSL-JSON items of `refs`; with `accessed`, every web source (an item with a URL) carries
    that access date, which the styles that ask for one print ("[cited ...]", "(Accessed: ...)")."""
    return [to_csl_json(ref, accessed=accessed if ref.url else None) for ref in refs]


def format_lists(requests: Sequence[tuple[Sequence[Reference], str, str]]) -> list[dict[str, Formatted]]:
    """Several bibliographies, (references, style, locale) each, in one engine run, each with its entries
    in the style's order (as `format_bibliography`, without the numbers). Raises as format_references."""
    return format_many(requests, mode="bibliography")


def format_references(
    refs: Sequence[Reference], style: str, locale: str, accessed: date | None = None
) -> dict[str, Formatted]:
    """Each reference formatted on its own (as if it were the only one cited: no number in front of
    a numbered style's entry, "(1)" as its in-text form), all in one engine run. Keyed by reference
    key. `accessed`: the day web sources were read (see `csl_items`). Raises CitationError for an
    unknown style or locale, or a failed run."""
    formatted, _ = format_items(csl_items(refs, accessed), style, locale)
    return {f.key: f for f in formatted}


def format_bibliography(
    refs: Sequence[Reference], style: str, locale: str, accessed: date | None = None
) -> tuple[list[Formatted], str, str]:
    """A bibliography of `refs`, cited in the order given, in one engine run: entries sorted,
    disambiguated (2016a, 2016b) or numbered as the style says (a numbered entry's text starts with
    its number), each with its in-text citation as cited in this list, plus the whole bibliography as
    text (one entry a line) and as HTML (one `div class="csl-entry"` each). Raises CitationError as
    above."""
    formatted, labels = format_items(csl_items(refs, accessed), style, locale, "bibliography")
    entries = []
    for f in formatted:
        label = labels.get(f.key)
        if label:
            html_label = html.escape(label)
            f = Formatted(
                key=f.key,
                bibliography_text=f"{label} {f.bibliography_text}",
                bibliography_html=f'<span class="csl-left-margin">{html_label}</span> {f.bibliography_html}',
                intext_text=f.intext_text,
                intext_html=f.intext_html,
            )
        entries.append(f)
    text = "\n".join(f.bibliography_text for f in entries)
    whole = "".join(f'<div class="csl-entry">{f.bibliography_html}</div>' for f in entries)
    return entries, text, whole
