"""Style patches: the one place where mtkb changes a CSL style before an engine sees it.

Every patch says which upstream style (or engine) bug it works around and is pinned by a golden file
(tests/data/citations/) and by `tests/test_citations_patches.py`. Both engines (pandoc's citeproc, which
mtkb serves, and citeproc-js, the referee in tests/referee/) are given the patched file.

Engine-neutral fixes, applied to every style:

* A `cs:names` that has a `cs:label` but no `cs:name` gets an explicit `cs:name` before the label, as
  CSL intends; pandoc otherwise prints the label in front of substituted names (Vancouver:
  ", editorsAldridge D, Fachner J.").
* A style whose author macro has no `cs:substitute` gets one for editors (nature.csl dropped the
  editors of an edited book altogether). Only the macro's own `cs:names` gets it: a substitute inside
  a substitute is not CSL (citeproc-js fails on it).
* "Retrieved <date>, from" belongs to an access date, and an access date is what asks for it: the
  knowledge base stores one only for pages designed to change (APA 7 §9.16). Styles print it only for
  undated items, and some print "Retrieved" before a bare URL when there is no date.

Patches of one style or family (`STYLE_PATCHES` says which):

* norsk-apa-manual: the article number is printed with a hard-coded English `prefix="Article "`
  (upstream: the style's own comment "This should be localized"); it gets the locale's
  `article-locator` term instead, as apa.csl does ("Artikkel CD012576" in Norwegian).
* Vancouver (nlm-citation-*, *vancouver*): Citing Medicine writes page ranges with a hyphen (51-9), not
  CSL's default "–"; its date order (2015 Mar 12) and its "Available from:" are declared only in the
  style's `<locale xml:lang="en">` (upstream: nlm-citation-sequence.csl), so in Norwegian the locale
  file's day-month dates and "tilgjengelig på" came out. The same date forms are declared for
  Norwegian (bokmål and nynorsk), with "Tilgjengelig fra"/"Tilgjengeleg frå" for "Available from".
  Citing Medicine puts a comma before "et al." ("Strand I, et al."), also after a single name.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

from mtkb.citations.styles import style_file

CSL_NS = "http://purl.org/net/xbiblio/csl"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

VANCOUVER_TERMS: dict[str, dict[str, str]] = {
    "nb": {"available at": "tilgjengelig fra"},
    "nn": {"available at": "tilgjengeleg frå"},
}
"""Norwegian for the terms the Vancouver style redefines in English ("available from", Citing Medicine's
"Available from:"), as Norwegian university libraries' Vancouver guides write them."""


def _q(tag: str) -> str:
    return f"{{{CSL_NS}}}{tag}"


def style_family(style_id: str) -> str:
    """ "apa", "vancouver" or "" for the style (a dependent style by its parent): the families whose
    manuals mtkb adjusts items for and whose styles it patches."""
    independent = style_file(style_id).independent
    if independent in ("apa", "norsk-apa-manual") or independent.startswith("apa-"):
        return "apa"
    if independent.startswith("nlm-") or "vancouver" in independent:
        return "vancouver"
    return ""


def _retrieval(element: ET.Element) -> bool:
    """Whether `element` holds a "retrieved" term and the access date."""
    terms = any(t.get("term") == "retrieved" for t in element.iter(_q("text")))
    return terms and any(d.get("variable") == "accessed" for d in element.iter(_q("date")))


def _explicit_names(root: ET.Element) -> None:
    for names in root.iter(_q("names")):
        tags = [child.tag for child in names]
        if _q("label") in tags and _q("name") not in tags:
            names.insert(0, ET.Element(_q("name")))


def _editor_substitute(root: ET.Element) -> None:
    for macro in root.iter(_q("macro")):
        if macro.get("name") != "author":
            continue
        substituted = {id(n) for s in macro.iter(_q("substitute")) for n in s.iter(_q("names"))}
        for names in macro.iter(_q("names")):
            if id(names) in substituted or names.get("variable") != "author":
                continue
            if names.find(_q("substitute")) is None:
                ET.SubElement(ET.SubElement(names, _q("substitute")), _q("names"), variable="editor")


def _retrieved_needs_access_date(root: ET.Element) -> None:
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


def _insert_locale(root: ET.Element, locale: ET.Element) -> None:
    """Insert a style-level `cs:locale` after `cs:info` and the other locales (CSL's element order)."""
    position = next((i for i, c in enumerate(root) if c.tag not in (_q("info"), _q("locale"))), len(root))
    root.insert(position, locale)


def localised_article_number(root: ET.Element) -> None:
    """norsk-apa-manual: `<text variable="number" prefix="Article "/>` → the `article-locator` term."""
    for parent in list(root.iter()):
        for i, child in enumerate(list(parent)):
            number = child.tag == _q("text") and child.get("variable") == "number"
            if number and child.get("prefix") == "Article ":
                group = ET.Element(_q("group"), delimiter=" ")
                capitalised = {"text-case": "capitalize-first"}
                ET.SubElement(group, _q("text"), term="article-locator", attrib=capitalised)
                ET.SubElement(group, _q("text"), variable="number")
                parent.remove(child)
                parent.insert(i, group)


def citing_medicine(root: ET.Element) -> None:
    """Vancouver: hyphenated page ranges; the English locale's date forms and "available at" declared
    for Norwegian too (see the module docstring)."""
    hyphen = ET.Element(_q("locale"))
    ET.SubElement(ET.SubElement(hyphen, _q("terms")), _q("term"), name="page-range-delimiter").text = "-"
    english = [loc for loc in root.findall(_q("locale")) if loc.get(XML_LANG) in ("en", "en-US")]
    dates = [copy.deepcopy(d) for loc in english for d in loc.findall(_q("date"))]
    redefined = {t.get("name") for loc in english for t in loc.iter(_q("term"))}
    declared = {loc.get(XML_LANG) for loc in root.findall(_q("locale"))}
    _insert_locale(root, hyphen)
    # "Strand I, et al.": a comma before "et al." however few names are shown (CSL's default puts it
    # only after two or more names, so a list that ended in "and others" came out "Strand I et al.").
    root.set("delimiter-precedes-et-al", "always")
    for language, terms in VANCOUVER_TERMS.items():
        if language in declared or f"{language}-NO" in declared:
            continue
        locale = ET.Element(_q("locale"), {XML_LANG: language})
        locale.extend(copy.deepcopy(d) for d in dates)
        chosen = {name: text for name, text in terms.items() if name in redefined}
        if chosen:
            holder = ET.SubElement(locale, _q("terms"))
            for name, text in chosen.items():
                ET.SubElement(holder, _q("term"), name=name).text = text
        if len(locale):
            _insert_locale(root, locale)


STYLE_PATCHES = {
    "norsk-apa-manual": (localised_article_number,),
}
"""Patches of one independent style, by its id."""

FAMILY_PATCHES = {
    "vancouver": (citing_medicine,),
}
"""Patches of every style of a family (see `style_family`)."""


def patched_style(xml: bytes, style_id: str) -> bytes:
    """The style `xml` (the independent style that applies to `style_id`) with the engine-neutral
    fixes and the patches of its style and family applied. Raises xml.etree.ElementTree.ParseError
    for a file that is not XML."""
    ET.register_namespace("", CSL_NS)
    root = ET.fromstring(xml)
    _explicit_names(root)
    _editor_substitute(root)
    _retrieved_needs_access_date(root)
    for patch in (
        *STYLE_PATCHES.get(style_file(style_id).independent, ()),
        *FAMILY_PATCHES.get(style_family(style_id), ()),
    ):
        patch(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
