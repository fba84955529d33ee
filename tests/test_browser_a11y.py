"""Accessibility of every page type, the cite dialog and the widget, in both languages, on a desktop and on
phones: axe-core's WCAG 2.0/2.1 A and AA rules, reflow at 390 and 320 px (WCAG 1.4.10), language marks
(3.1.2), headings and focus indicators. One browser and one server for the whole module; one tab per width.

axe-core comes with the axe-playwright-python package (no download). Its rules do not see the language of
a text nor what a screen reader gets from two equal headings; those checks are in tests/browser_checks.js.
Screenshots at 390 px of the recommendation page and the widget go to tests/screenshots/.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.analysis import EN_MARKERS, NB_MARKERS, PLAIN_WORD, fold
from tests.browsing import SCREENSHOTS, TIMEOUT_MS

pytestmark = pytest.mark.slow

WIDTHS = (1280, 390, 320)
"""A desktop; a common phone; the narrowest phone, and 1280 px at 400 % zoom (WCAG 1.4.10)."""
PHONES = (390, 320)
LANGS = ("nb", "en")
PAGES = {
    "search": "/?q=musikkterapi",
    "search-english": "/?q=music",
    "search-references": "/?q=substance&type=reference",
    "search-error": "/?q=%22open",
    "recommendation": "/recommendations/musikkterapi-rusbehandling",
    "guideline": "/guidelines/rus-behandling-rehabilitering",
    "evidence": "/evidence/cochrane-2022-rus",
    "report": "/reports/rapport-fredrikstad-2015",
    "fact": "/facts/prosedyrekode-ibbe00",
    "reference": "/references/ghetti2022cochrane",
    "reference-url": "/references/hdir2016rus",
    "privacy": "/privacy",
    "widget": "/widget-example",
    "not-found": "/recommendations/no-such-recommendation",
}
"""One page of each kind, chosen for what is hardest to fit: long addresses, tables, the widget."""
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
SHOTS = {("recommendation", "nb"), ("recommendation", "en"), ("widget", "nb"), ("widget", "en")}
"""Pages photographed at 390 px (the widget alone, as the host page shows it)."""

_SOURCE = (Path(__file__).with_name("browser_checks.js")).read_text(encoding="utf-8")
CHECKS = {
    name.strip(): "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("//"))
    for name, body in (chunk.split("\n", 1) for chunk in _SOURCE.split("\n//// ")[1:])
}
_URL = re.compile(r"\b(?:https?://|doi:|10\.\d{4,}/)\S+")


@pytest.fixture(scope="module")
def axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture(scope="module")
def tabs(browser: Any) -> Iterator[dict[int, Any]]:
    """One tab per width, reused page after page (a new context per page would double the time)."""
    contexts = [browser.new_context(viewport={"width": w, "height": 800}, locale="nb-NO") for w in WIDTHS]
    pages = {}
    for width, context in zip(WIDTHS, contexts, strict=True):
        pages[width] = context.new_page()
        pages[width].set_default_timeout(TIMEOUT_MS)
    yield pages
    for context in contexts:
        context.close()


def _url(site: str, path: str, lang: str) -> str:
    return site + path + ("" if lang == "nb" else ("&" if "?" in path else "?") + "lang=" + lang)


def _open(page: Any, url: str) -> None:
    page.goto(url)
    if "/widget-example" in url:
        page.locator("article.card").wait_for()  # the card came from the API and replaced "loading"


def _violations(axe: Any, page: Any) -> list[str]:
    """axe-core's violations, one line per rule and element (open shadow roots included)."""
    results = axe.run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')[:200]}"
        for v in results["violations"]
        for node in v["nodes"]
    ]


def _wrong_language(texts: list[list[str]]) -> list[str]:
    """Texts whose function words say they are Norwegian but are marked English, or the reverse.

    The judge is the index's own language guess (index.analysis: the function words only one of the
    languages has), over each text node of at least four words; addresses and initials are left out."""
    wrong = []
    for text, lang, tag in texts:
        plain = _URL.sub(" ", text)
        words = [w for w in PLAIN_WORD.findall(fold(plain)) if len(w) > 1]  # not initials ("A. S.")
        if len(words) < 4:
            continue
        unique = set(words)
        score = len(unique & NB_MARKERS) - len(unique & EN_MARKERS)
        marked = lang.split("-")[0]
        if (marked == "en" and score >= 2) or (marked in ("nb", "nn", "no") and score <= -2):
            wrong.append(f'<{tag} lang="{lang}">: {" ".join(plain.split())[:80]}')
    return wrong


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", PAGES)
def test_page(site: str, tabs: dict[int, Any], axe: Any, name: str, lang: str, width: int) -> None:
    page = tabs[width]
    _open(page, _url(site, PAGES[name], lang))
    assert page.evaluate("document.documentElement.lang") == lang
    assert _violations(axe, page) == []
    if width in PHONES:
        assert page.evaluate(CHECKS["overflow"]) == []
    else:  # what does not depend on the width, once
        assert _wrong_language(page.evaluate(CHECKS["texts"])) == []
        if not name.startswith("search"):  # two hits may have one title; an item page has each heading once
            twice = [h for h, n in Counter(page.evaluate(CHECKS["headings"])).items() if n > 1]
            assert twice == []
        twice = [h for h, n in Counter(page.evaluate(CHECKS["landmarks"])).items() if n > 1]
        assert twice == [], "landmarks and regions one cannot tell apart by name"
    if width == 390 and (name, lang) in SHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = page.locator(".example-host") if name == "widget" else page
        target.screenshot(
            path=str(SCREENSHOTS / f"{name}-390-{lang}.png"),
            **({} if name == "widget" else {"full_page": True}),
        )


COLLECTIONS = ("recommendations", "guidelines", "evidence", "reports", "facts", "references")


def test_every_item_page_on_the_narrowest_phone(site: str, tabs: dict[int, Any]) -> None:
    """Every item of the knowledge base, in both languages, at 320 px: no reflow problem, no text marked
    with the wrong language, no heading or region twice (axe runs over one page of each kind, above)."""
    page = tabs[320]
    problems = []
    for collection in COLLECTIONS:
        with urllib.request.urlopen(f"{site}/api/v1/{collection}?per_page=100") as response:
            listing = json.load(response)
        assert listing["total"] == len(listing["items"]) > 0
        for item in listing["items"]:
            for lang in LANGS:
                url = _url(site, f"/{collection}/{item['id']}", lang)
                _open(page, url)
                found = page.evaluate(CHECKS["overflow"]) + _wrong_language(page.evaluate(CHECKS["texts"]))
                for check in ("headings", "landmarks"):
                    found += [
                        f"{h} (twice)" for h, n in Counter(page.evaluate(CHECKS[check])).items() if n > 1
                    ]
                problems += [f"{url}: {problem}" for problem in found]
    assert problems == []


@pytest.mark.parametrize("column", [200, 260, 640])
def test_widget_in_a_narrow_column(site: str, tabs: dict[int, Any], column: int) -> None:
    """A host page may put the card in a sidebar on a desktop: it fits whatever the column's width (the card
    asks its own width, not the viewport's), and nothing in it is cut off at its edge."""
    page = tabs[1280]
    _open(page, _url(site, "/widget-example", "en"))
    page.locator(".example-host").evaluate(f"host => {{ host.style.width = '{column}px'; }}")
    assert page.evaluate(CHECKS["overflow"]) == []
    card = page.locator("article.card")
    assert card.evaluate("c => c.getBoundingClientRect().width") <= column
    term, answer = card.locator("dt").first, card.locator("dd").first
    one_column = term.evaluate("t => t.getBoundingClientRect().left") == answer.evaluate(
        "d => d.getBoundingClientRect().left"
    )
    assert one_column == (column < 600)


def test_language_marks(site: str, tabs: dict[int, Any]) -> None:
    """Besides what the language guess finds: the pieces named in WCAG 3.1.2's audit, marked one by one."""
    page = tabs[1280]
    _open(page, _url(site, "/widget-example", "en"))
    card = page.locator("article.card")
    assert card.get_attribute("lang") == "en"
    assert card.locator("dd span[lang='nb']").all_inner_texts() == ["Det foreslås", "Konsensus"]
    _open(page, _url(site, "/recommendations/musikkterapi-rusbehandling", "nb"))
    ghetti = page.locator("#ref-ghetti2022cochrane")
    assert ghetti.locator("[data-ref-text]").get_attribute("lang") == "en"
    assert (
        ghetti.locator(".visually-hidden > span[lang='en']").count() == 2
    )  # in the link's and button's names
    _open(page, _url(site, "/recommendations/musikkterapi-rusbehandling", "en"))
    corrections = page.locator(".corrections > li > p:first-child")
    assert corrections.count() >= 3
    assert set(corrections.evaluate_all("ps => ps.map(p => p.lang)")) == {"nb"}
    assert page.locator("dd strong[lang='nb']").inner_text() == "Konsensus"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGS)
def test_cite_dialog(site: str, tabs: dict[int, Any], axe: Any, lang: str, width: int) -> None:
    """The open cite dialog, with a long DOI in its formatted entry."""
    from playwright.sync_api import expect

    page = tabs[width]
    _open(page, _url(site, "/references/ghetti2022cochrane", lang))
    page.locator("[data-cite-key='ghetti2022cochrane']").click()
    dialog = page.locator("#cite-dialog")
    expect(dialog.locator("[data-cite-bibliography]")).to_contain_text("10.1002/14651858.CD012576")
    expect(dialog.locator("[data-cite-bibliography]")).to_have_attribute("lang", "en")
    assert _violations(axe, page) == []
    if width in PHONES:
        assert page.evaluate(CHECKS["overflow"]) == []
        if width == 390 and lang == "nb":
            page.screenshot(path=str(SCREENSHOTS / "cite-dialog-390-nb.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize("path", ["/?q=musikkterapi&page=2", "/recommendations/musikkterapi-rusbehandling"])
def test_every_tab_stop_shows_its_focus(site: str, tabs: dict[int, Any], path: str) -> None:
    """Tabbing through the page, each stop shows a focus indicator at least 2 px thick that was not there
    before and stands out 3:1 from what it touches (WCAG 2.4.7, and 2.4.13's contrast); the pager's
    current page too."""
    page = tabs[1280]
    _open(page, site + path)
    page.evaluate(f"() => {{ window.mtkbLook = {CHECKS['focus']}; }}")
    page.evaluate(
        "() => document.querySelectorAll('a[href], button, input, select, summary, [tabindex]')"
        ".forEach((el) => { el.mtkbBefore = window.mtkbLook(el, null); })"
    )
    seen: list[str] = []
    weak = []
    for _ in range(200):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            "() => { const el = document.activeElement; if (!el || el === document.body) return null;"
            " return [el.outerHTML.slice(0, 90), window.mtkbLook(el, el.mtkbBefore)]; }"
        )
        if stop is None or (seen and stop[0] == seen[0]):
            break
        seen.append(stop[0])
        parts = stop[1]["parts"]
        if not any(p["changed"] and p["width"] >= 2 and p["contrast"] >= 3 for p in parts):
            shown = ", ".join(
                f"{p['part']} {p['width']}px {p['contrast']:.1f}:1{'' if p['changed'] else ' (as before)'}"
                for p in parts
            )
            weak.append(f"{stop[0]} shows {shown or 'nothing'}")
    assert len(seen) >= 10
    if "page=2" in path:
        assert any('aria-current="page"' in stop for stop in seen)
    assert weak == []
