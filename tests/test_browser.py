"""The pages and the widget in a real headless Chromium: Debian's `chromium`, driven by Playwright.

Playwright never downloads a browser here: it launches the system Chromium (the `browser` and `site` fixtures
are in tests/browsing.py). Without it these tests skip with a loud message, and fail instead when
`MTKB_REQUIRE_BROWSER=1` (CI sets it). The API is a real gunicorn (tests/servers.py); the page that embeds
the widget is served by a small http.server on another port, so the widget really works cross-origin.
Screenshots go to tests/screenshots/ (or `MTKB_SCREENSHOTS`), one per scenario.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.browsing import SCREENSHOTS, TIMEOUT_MS
from tests.servers import free_port

pytestmark = pytest.mark.slow


class Page:
    """A browser page that records what it asked for and what went wrong on it."""

    def __init__(self, context: Any):
        self.page = context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.requests: list[Any] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text
                else None
            ),
        )

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        return path


@pytest.fixture()
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="nb-NO",
        permissions=["clipboard-read", "clipboard-write"],
        accept_downloads=True,
    )
    yield ctx
    ctx.close()


CONTRAST = """(onlyShadow) => {
  const parse = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = ({r, g, b}) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement || (el.getRootNode().host || null)) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c.a > 0) return c;
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const low = [];
  const check = (root, inShadow) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) check(el.shadowRoot, true);
      const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
      if ((onlyShadow && !inShadow) || !hasText) continue;
      const style = getComputedStyle(el);
      if (style.visibility === "hidden" || el.getClientRects().length === 0) continue;
      const [a, b] = [lum(parse(style.color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
      if (ratio < (size >= 24 || (bold && size >= 18.66) ? 3 : 4.5)) {
        low.push([el.tagName, el.textContent.trim().slice(0, 40), ratio.toFixed(2)]);
      }
    }
  };
  check(document, false);
  return low;
}"""
"""Text whose contrast with its background is below WCAG 2.1 AA (4.5:1, large text 3:1), in the page or in
its shadow roots only."""


def _only_from(page: Page, *origins: str) -> None:
    """Every request the page made went to one of `origins` (no third parties)."""
    foreign = [
        r.url for r in page.requests if not r.url.startswith(origins) and not r.url.startswith("blob:")
    ]
    assert foreign == [], foreign


def test_search_filter_and_page_through(site: str, context: Any) -> None:
    from playwright.sync_api import expect

    p = Page(context)
    page = p.page
    page.goto(site + "/")
    # keyboard: the first Tab reaches the skip link, which is visible when focused and moves focus to main
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    assert page.evaluate("document.querySelector('a.skip').getBoundingClientRect().top") >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.fill("#q", "musikkterapi")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q=musikkterapi"))
    heading = page.locator("#results-title")
    expect(heading).to_contain_text("treff")
    total = int(heading.inner_text().split()[0])
    assert total >= 10
    expect(page.locator(".hit").first).to_be_visible()
    assert page.locator(".hit-snippet mark").count() >= 5
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    assert page.evaluate(CONTRAST, False) == []
    p.shot("search-musikkterapi.png")

    # a facet is a filter: only recommendations, the chosen value marked, and it can be removed again
    page.locator(".facet a[data-facet='type'][data-value='recommendation']").click()
    page.wait_for_url(re.compile(r"type=recommendation"))
    expect(page.locator(".hit")).to_have_count(3)
    assert set(page.locator(".hit").evaluate_all("hits => hits.map(h => h.dataset.hitType)")) == {
        "recommendation"
    }
    expect(page.locator(".facet a.selected")).to_have_attribute("aria-current", "true")
    page.locator(".active-filters a.chip").first.click()
    expect(heading).to_contain_text(f"{total} treff")

    # paging, with the current page marked
    page.locator(".pager a[rel='next']").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator(".pager a[aria-current='page']")).to_contain_text("2")
    # a query that cannot be read is explained, not a crash
    page.goto(site + "/?q=%22open")
    expect(page.locator("[role='alert']")).to_contain_text("unbalanced quotes")
    assert p.errors == []
    _only_from(p, site)


def test_recommendation_page(site: str, context: Any) -> None:
    from playwright.sync_api import expect

    p = Page(context)
    page = p.page
    page.goto(site + "/recommendations/musikkterapi-rusbehandling")
    expect(page.locator("h1")).to_have_text("Musikkterapi (rusbehandling)")
    quote = page.locator("figure.wording blockquote")
    expect(quote).to_contain_text("Det foreslås at det tilrettelegges for bruk av musikkterapi")
    expect(quote).to_have_attribute("lang", "nb")
    expect(page.locator("figure.wording cite a")).to_have_attribute(
        "href", re.compile("helsedirektoratet.no")
    )
    expect(page.locator(".strength")).to_have_text("Svak")
    expect(page.locator(".evidence-card.is-superseded .badge-warn")).to_have_text("Erstattet")
    cards = page.locator(".evidence-card")
    # Cochrane 2022's counts: on its own card, and where the 2016 overview names it as its successor
    expect(cards.filter(has_text="21 studier med 1984 deltakere")).to_have_count(2)
    # the 863 participants belong to the 11 controlled studies of the 2016 overview, and the page says so
    expect(cards.first).to_contain_text("17 studier; 863 deltakere i de 11 kontrollerte studiene")
    expect(page.locator("section[lang='en'] p").first).to_contain_text("Helsedirektoratet's 2016")
    expect(page.locator(".attribution a[rel='license']").first).to_have_text("NLOD")
    api = page.request.get(site + "/api/v1/recommendations/musikkterapi-rusbehandling?expand=references")
    expect(page.locator(".reference")).to_have_count(len(api.json()["expanded"]["references"]))
    # a keyboard user sees where the focus is
    page.locator("figure.wording cite a").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).borderBottomStyle")
    background = page.evaluate("getComputedStyle(document.activeElement).backgroundColor")
    assert outline == "solid" and background == "rgb(255, 191, 71)"
    assert page.evaluate(CONTRAST, False) == []
    p.shot("recommendation-page.png")
    assert p.errors == [], p.errors
    _only_from(p, site)


def test_references_formatted_in_a_chosen_style(site: str, context: Any) -> None:
    """The item page asks the bibliography endpoint for its references in the chosen style."""
    from playwright.sync_api import expect

    p = Page(context)
    page = p.page
    page.goto(site + "/evidence/cochrane-2022-rus")
    entry = page.locator("#ref-ghetti2022cochrane [data-ref-text]")
    status = page.locator("[data-bibliography-status]")
    expect(status).to_have_text("")
    expect(entry).to_contain_text("Ghetti")
    # the API's core styles replace the built-in menu; Vancouver is "nlm-citation-sequence" there
    page.select_option("#refs-style", "nlm-citation-sequence")
    page.wait_for_url(re.compile(r"style=nlm-citation-sequence"))
    expect(entry).to_contain_text("Ghetti C")
    expect(status).to_have_text("")
    assert p.errors == [], p.errors


def test_cite_a_reference_and_copy_it(site: str, context: Any) -> None:
    from playwright.sync_api import expect

    p = Page(context)
    page = p.page
    page.goto(site + "/?q=substance&type=reference")
    page.locator("[data-cite-key='ghetti2022cochrane']").click()
    dialog = page.locator("#cite-dialog")
    expect(dialog).to_be_visible()
    bibliography = dialog.locator("[data-cite-bibliography]")
    expect(dialog.locator("[data-cite-status]")).to_have_text("")
    expect(bibliography).to_contain_text("Ghetti")
    expect(bibliography).to_contain_text("2022")
    expect(dialog.locator("[data-cite-intext]")).to_contain_text("Ghetti")
    page.select_option("#cite-dialog-locale", "en-US")
    expect(bibliography).to_contain_text("Music therapy for people with substance use disorders")
    shown = " ".join(bibliography.inner_text().split())
    dialog.locator("[data-cite-copy]").click()
    expect(dialog.locator("[data-cite-status]")).to_have_text("Kopiert til utklippstavlen.")
    assert " ".join(page.evaluate("navigator.clipboard.readText()").split()) == shown
    p.shot("cite-dialog.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-cite-key='ghetti2022cochrane']")).to_be_focused()
    assert p.errors == [], p.errors


def test_citation_html_is_sanitised_in_the_page(site: str, context: Any) -> None:
    """Whatever HTML a citation endpoint answered with, only text, formatting and http(s) links get in."""
    from playwright.sync_api import expect

    hostile = (
        '<i>Title</i> <img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
        '<a href="javascript:window.pwned=3">bad</a> <a href="https://doi.org/10.1/x" onclick="x()">doi</a>'
        '<span style="color:red" class="csl-entry">plain</span><svg onload="window.pwned=4"></svg>'
    )
    p = Page(context)
    page = p.page
    page.route(
        re.compile(r".*/citation\?.*"),
        lambda route: route.fulfill(
            json={
                "key": "k",
                "style": "apa",
                "locale": "nb-NO",
                "format": "html",
                "bibliography": hostile,
                "intext": "<b onmouseover=x()>(K)</b>",
            }
        ),
    )
    page.goto(site + "/references/ghetti2022cochrane")
    page.locator("[data-cite-key='ghetti2022cochrane']").click()
    output = page.locator("#cite-dialog [data-cite-bibliography]")
    expect(output).to_contain_text("plain")
    html = output.evaluate("e => e.innerHTML")
    assert html == ('<i>Title</i> bad <a href="https://doi.org/10.1/x">doi</a><span>plain</span>'), html
    assert page.locator("#cite-dialog [data-cite-intext]").evaluate("e => e.innerHTML") == "<b>(K)</b>"
    assert page.evaluate("window.pwned") is None
    # Parsing into the inert document still makes Chromium check the handlers against the page's CSP:
    # it reports them as blocked. Nothing else may have gone wrong.
    assert all("Content Security Policy" in e and "blocked" in e for e in p.errors), p.errors


def test_cite_this_recommendation(site: str, context: Any) -> None:
    from playwright.sync_api import expect

    p = Page(context)
    page = p.page
    page.goto(site + "/recommendations/musikkterapi-rusbehandling")
    section = page.locator("[data-cite-item]")
    output = section.locator("[data-item-citation]")
    expect(section.locator("[data-item-status]")).to_have_text("")
    expect(output).to_contain_text("Helsedirektoratet")
    page.fill("#cite-this-accessed", "2025-02-03")
    page.locator("#cite-this-accessed").dispatch_event("change")
    expect(output).to_contain_text("2025")
    section.locator("[data-item-copy]").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert " ".join(copied.split()) == " ".join(output.inner_text().split())
    assert p.errors == [], p.errors


def test_export_selected_references(site: str, context: Any) -> None:
    from playwright.sync_api import expect

    p = Page(context)
    page = p.page
    page.goto(site + "/?q=cochrane+OR+substance&type=reference")
    boxes = page.locator("[data-select-key]")
    assert boxes.count() >= 2
    keys = [boxes.nth(i).get_attribute("data-select-key") for i in range(2)]
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("[data-selection-count]")).to_have_text("2 valgt")
    with page.expect_download() as bibtex:
        page.locator("[data-export-format='bibtex']").click()
    text = Path(bibtex.value.path()).read_text(encoding="utf-8")
    assert bibtex.value.suggested_filename == "mtkb-referanser.bib"
    assert all(re.search(r"@\w+\{" + re.escape(str(key)) + ",", text) for key in keys), text
    with page.expect_download() as ris:
        page.locator("[data-export-format='ris']").click()
    assert Path(ris.value.path()).read_text(encoding="utf-8").count("TY  - ") == 2
    # every reference hit at once, straight from the API's export of a search
    with page.expect_download() as everything:
        page.locator("[data-export-bar] > p a", has_text="BibTeX").click()
    assert everything.value.suggested_filename.endswith(".bib")
    assert len(re.findall(r"^@\w+\{", Path(everything.value.path()).read_text(encoding="utf-8"), re.M)) == 4
    # the selection survives paging and reloading in this tab
    page.reload()
    expect(page.locator("[data-selection-count]")).to_have_text("2 valgt")
    assert p.errors == [], p.errors


# ---- the widget on a page from another origin -------------------------------------------------------


def _host_page(api: str, dead: str) -> str:
    return f"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>Kommunen – rusomsorg</title>
<link rel="stylesheet" href="/host.css"></head>
<body>
<h1>Sandvik kommune: musikkterapi i rusomsorgen</h1>
<p>Dette er en testside på en annen port. Stilene her prøver å farge alt rødt og endre overskriftene.</p>
<script src="{api}/widget.js" data-mtkb-recommendation="musikkterapi-rusbehandling" data-lang="nb"
  referrerpolicy="no-referrer" crossorigin="anonymous" async></script>
<h2>Samme widget på engelsk, i en plassholder</h2>
<div id="english" data-mtkb-recommendation="musikkterapi-psykoselidelser" data-lang="en"></div>
<script src="{api}/widget.js" async></script>
<h2>Når API-et ikke svarer</h2>
<div id="dead" data-mtkb-recommendation="musikkterapi-avrusning" data-mtkb-api="{dead}"></div>
</body></html>"""


HOST_CSS = (
    "html { font-size: 30px; } * { color: #c00 !important; font-family: serif !important; } "
    "h2 { font-size: 48px; } a { background: yellow; }"
)


@pytest.fixture(scope="module")
def third_party(site: str) -> Iterator[tuple[str, str]]:
    """A municipality's page on another port, with a strict CSP that allows our server and nothing else."""
    dead = f"http://127.0.0.1:{free_port()}"
    page = _host_page(site, dead).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = (HOST_CSS.encode(), "text/css") if self.path == "/host.css" else (page, "text/html")
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header(
                "Content-Security-Policy",
                f"default-src 'self'; script-src 'self' {site}; connect-src {site} {dead}; style-src 'self'",
            )
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", dead
    finally:
        server.shutdown()
        server.server_close()


def test_widget_cards_on_a_page_from_another_origin(
    site: str, third_party: tuple[str, str], context: Any
) -> None:
    from playwright.sync_api import expect

    host, dead_api = third_party
    assert site.rsplit(":", 1)[1] != host.rsplit(":", 1)[1]
    # a cookie for 127.0.0.1 (cookies ignore the port): the widget must not send it to the API
    context.add_cookies([{"name": "host_tracking", "value": "1", "url": host}])
    p = Page(context)
    page = p.page
    page.goto(host + "/")
    cards = page.locator("article.card")  # Playwright's CSS selectors pierce open shadow roots
    expect(cards).to_have_count(2)
    first = cards.nth(0)
    expect(first.locator(".title")).to_have_text("Musikkterapi (rusbehandling)")
    expect(first.locator("blockquote")).to_contain_text("Det foreslås at det tilrettelegges")
    expect(first).to_contain_text("Svak")
    expect(first).to_contain_text("Konsensus")
    expect(first).to_contain_text("21 studier med 1984 deltakere")
    expect(first).to_contain_text("17 studier; 863 deltakere i de 11 kontrollerte studiene")
    expect(first).not_to_contain_text("17 studier, 863 deltakere")
    expect(first.locator("a", has_text="NLOD")).to_have_attribute("href", "https://data.norge.no/nlod/no/2.0")
    expect(first.locator("a.more")).to_have_attribute(
        "href", site + "/recommendations/musikkterapi-rusbehandling"
    )
    english = page.locator("#english article.card")
    expect(english).to_have_attribute("lang", "en")
    expect(english.locator(".title")).to_have_text("Musikkterapi (psykoselidelser)")
    expect(english).to_contain_text("Strength")
    # the host's styles do not reach into the card
    title_style = first.locator(".title").evaluate(
        "t => [getComputedStyle(t).color, getComputedStyle(t).fontSize]"
    )
    assert title_style == ["rgb(27, 31, 36)", "20.8px"]
    # the unreachable API leaves a quiet link to the recommendation, and no error on the host page
    dead = page.locator("#dead a.more")
    expect(dead).to_have_attribute("href", re.compile(r"/recommendations/musikkterapi-avrusning$"))
    expect(page.locator("#dead .card")).to_contain_text("kunne ikke hentes")
    assert page.evaluate(CONTRAST, True) == []
    p.shot("third-party-widget.png")
    # privacy: the card asks our API without cookies and without the host page's address
    api_calls = [r for r in p.requests if r.url.startswith(site + "/api/")]
    sent = [r.all_headers() for r in api_calls]
    assert sent and all("cookie" not in headers and "referer" not in headers for headers in sent), sent
    assert len({r.url for r in api_calls}) == len(api_calls) == 2, "one request per recommendation"
    assert p.errors == [], p.errors
    _only_from(p, host, site, dead_api)


def test_widget_with_a_language_it_does_not_know_speaks_norwegian(site: str, context: Any) -> None:
    """data-lang="__proto__" (a property of every JavaScript object) is not a language: the card is in
    Norwegian, with no "undefined" in it."""
    from playwright.sync_api import expect

    p = Page(context)
    page = p.page
    cards = "".join(
        f'<div id="{lang.strip("_")}" data-mtkb-recommendation="musikkterapi-rusbehandling" '
        f'data-lang="{lang}"></div>'
        for lang in ("__proto__", "constructor")
    )
    page.set_content(f'<!doctype html><html lang="nb"><body>{cards}<script src="{site}/widget.js"></script>')
    for placeholder in ("#proto", "#constructor"):
        card = page.locator(f"{placeholder} article.card")
        expect(card).to_have_attribute("lang", "nb")
        expect(card).to_contain_text("Svak")
        expect(card).not_to_contain_text("undefined")
    assert p.errors == [], p.errors
