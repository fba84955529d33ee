"""The formatter: references → CSL-JSON → pandoc's citeproc → text and safe HTML.

pandoc's citeproc is the engine (measured against citeproc-py 0.11.1, which prints an APA edited
book's editors twice in lower case and glues Vancouver's numbers to the names: "1.Ghetti"). Two
things are done before pandoc sees a style or an item, each for a known reason:

* Styles are normalised (`prepared_style`): a `cs:names` that has a `cs:label` but no `cs:name`
  gets an explicit `cs:name` before the label, as CSL intends; pandoc otherwise prints the label in
  front of substituted names (Vancouver: ", editorsAldridge D, Fachner J.").
* Styles whose author macro has no `cs:substitute` get one for editors (nature.csl dropped the
  editors of an edited book altogether).
* Items are adjusted per style family (`adjust_item`) where a style manual asks for something that
  CSL cannot express: APA 7 leaves out a publisher that is the same as the (group) author (§9.24),
  Vancouver/Citing Medicine begins an English journal article's subtitle in lower case.
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
from functools import cache
from pathlib import Path
from typing import Any

import nh3

from mtkb.citations.csl import to_csl_json
from mtkb.citations.pandoc import Job, pandoc_version, run_jobs
from mtkb.citations.styles import resolve_locale, resolve_style, style_file
from mtkb.errors import CitationError
from mtkb.records import Reference

CSL_NS = "http://purl.org/net/xbiblio/csl"
ENGINE_VERSION = "1"
"""Bump when a change here changes output, so that cached citations are not reused."""

HTML_TAGS = {"i", "em", "b", "strong", "span", "a", "sup", "sub", "div"}
HTML_ATTRIBUTES = {"a": {"href"}, "span": {"class"}, "div": {"class"}}
URL_SCHEMES = {"http", "https"}

GENERIC_REPORT = {"rapport", "report", "technical report", "teknisk rapport", "tech. rep."}
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


def _q(tag: str) -> str:
    return f"{{{CSL_NS}}}{tag}"


def _retrieval(element: ET.Element) -> bool:
    """Whether `element` holds a "retrieved" term and the access date."""
    terms = any(t.get("term") == "retrieved" for t in element.iter(_q("text")))
    return terms and any(d.get("variable") == "accessed" for d in element.iter(_q("date")))


def _normalise(xml: bytes, family: str) -> bytes:
    """The style with the engine-neutral fixes described in the module docstring applied."""
    ET.register_namespace("", CSL_NS)
    root = ET.fromstring(xml)
    for names in root.iter(_q("names")):
        tags = [child.tag for child in names]
        if _q("label") in tags and _q("name") not in tags:
            names.insert(0, ET.Element(_q("name")))
    # An edited book is listed under its editors: a style whose author macro has no substitute
    # (nature.csl) would otherwise drop the editors altogether.
    for macro in root.iter(_q("macro")):
        if macro.get("name") == "author":
            for names in macro.iter(_q("names")):
                if names.get("variable") == "author" and names.find(_q("substitute")) is None:
                    ET.SubElement(ET.SubElement(names, _q("substitute")), _q("names"), variable="editor")
    # "Retrieved <date>, from" belongs to an access date, and an access date is what asks for it:
    # the knowledge base stores one only for pages designed to change (APA 7 §9.16). Styles print
    # it only for undated items, and some print "Retrieved" before a bare URL when there is no date.
    for cond in list(root.iter(_q("if"))):
        guards_issued = cond.get("match") == "none" and "issued" in (cond.get("variable") or "").split()
        if guards_issued and _retrieval(cond):
            cond.attrib.clear()
            cond.set("variable", "accessed")
    for parent in list(root.iter()):
        if parent.tag == _q("if") and parent.get("variable") == "accessed":
            continue
        for i, child in enumerate(list(parent)):
            if child.tag == _q("text") and child.get("term") == "retrieved" and _retrieval(parent):
                choose = ET.Element(_q("choose"))
                ET.SubElement(choose, _q("if"), variable="accessed").append(child)
                parent.remove(child)
                parent.insert(i, choose)
    if family == "vancouver":
        # Citing Medicine writes page ranges with a hyphen (51-9); CSL's default delimiter is "–".
        locale = ET.Element(_q("locale"))
        terms = ET.SubElement(locale, _q("terms"))
        ET.SubElement(terms, _q("term"), name="page-range-delimiter").text = "-"
        position = next((i for i, c in enumerate(root) if c.tag != _q("info")), len(root))
        root.insert(position, locale)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@cache
def prepared_style(style_id: str) -> Path:
    """A normalised copy of the style file that applies to `style_id` (its parent for a dependent
    style), written once into a folder shared by all processes (named by the content's hash)."""
    source = style_file(style_file(style_id).independent).path
    try:
        data = _normalise(source.read_bytes(), _family(style_id))
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


def _family(style_id: str) -> str:
    independent = style_file(style_id).independent
    if independent in ("apa", "norsk-apa-manual") or independent.startswith("apa-"):
        return "apa"
    if independent.startswith("nlm-") or "vancouver" in independent:
        return "vancouver"
    return ""


def adjust_item(item: dict[str, Any], style_id: str) -> dict[str, Any]:
    """The item as a style of `style_id`'s family needs it (see the module docstring)."""
    family = _family(style_id)
    if family == "apa":
        authors = {a.get("literal") for a in item.get("author", [])}
        if item.get("publisher") in authors:
            item = {k: v for k, v in item.items() if k != "publisher"}
        # A report needs no "[Report]" (APA 7 §10.4): only a specific description goes in brackets.
        if item["type"] == "report" and str(item.get("genre", "")).lower() in GENERIC_REPORT:
            item = {k: v for k, v in item.items() if k != "genre"}
    elif family == "vancouver" and item["type"] == "article-journal" and item.get("language") == "en":
        title = item.get("title", "")
        item = {**item, "title": _SUBTITLE.sub(lambda m: m.group(1) + m.group(2).lower(), title)}
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


def _job(items: Sequence[dict[str, Any]], style: str, locale: str, mode: str) -> Job:
    """The engine job for `items` (adjusted for the style's family, grouped for a standalone run)."""
    style_id, locale_id = _resolve(style, locale)
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        raise CitationError("the same reference is given twice")
    adjusted = [adjust_item(copy.deepcopy(dict(item)), style_id) for item in items]
    groups = independent_groups(adjusted, numbered(style_id)) if mode == "standalone" else None
    # APA is American English whatever the locale: its terms are the manual's ("(Eds.)", "ed."), and
    # British English terms ("(Eds)", "edn") would break them. Norwegian and Nynorsk stay as asked.
    engine_locale = "en-US" if locale_id == "en-GB" and _family(style_id) == "apa" else locale_id
    return Job(adjusted, prepared_style(style_id), engine_locale, mode, groups)


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


def format_many(requests: Sequence[tuple[Sequence[Reference], str, str]]) -> list[dict[str, Formatted]]:
    """Several `format_references` calls, (references, style, locale) each, in one engine run: what a
    build needs when a few references change in every style and locale. Raises as format_references."""
    items = [[to_csl_json(ref) for ref in refs] for refs, _, _ in requests]
    jobs = [
        _job(batch, style, locale, "standalone")
        for batch, (_, style, locale) in zip(items, requests, strict=True)
    ]
    work = [(job, batch) for job, batch in zip(jobs, items, strict=True) if batch]
    results = iter(run_jobs([job for job, _ in work]))
    out: list[dict[str, Formatted]] = []
    for batch in items:
        formatted = _collect(next(results), [i["id"] for i in batch], "standalone")[0] if batch else []
        out.append({f.key: f for f in formatted})
    return out


def format_references(refs: Sequence[Reference], style: str, locale: str) -> dict[str, Formatted]:
    """Each reference formatted on its own (as if it were the only one cited: no number in front of
    a numbered style's entry, "(1)" as its in-text form), all in one engine run. Keyed by reference
    key. Raises CitationError for an unknown style or locale, or a failed run."""
    formatted, _ = format_items([to_csl_json(ref) for ref in refs], style, locale)
    return {f.key: f for f in formatted}


def format_bibliography(
    refs: Sequence[Reference], style: str, locale: str
) -> tuple[list[Formatted], str, str]:
    """A bibliography of `refs`, cited in the order given: entries sorted or numbered as the style
    says (a numbered entry's text starts with its number), plus the whole bibliography as text (one
    entry a line) and as HTML (one `div class="csl-entry"` each). Raises CitationError as above."""
    formatted, labels = format_items([to_csl_json(ref) for ref in refs], style, locale, "bibliography")
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
