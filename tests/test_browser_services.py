"""The widget's second mode in a real headless Chromium: a municipality's page on another origin lists the
services of one county (`data-county="Vestland"`) and of one municipality, links "Hva er musikkterapi?",
and sends no cookie or referrer. The browser, the real gunicorn and the screenshots are those of
tests/test_browser.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.test_browser import CONTRAST, Page, _only_from, context  # noqa: F401  (context is a fixture)

pytestmark = pytest.mark.slow


def _host_page(api: str) -> str:
    return f"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><title>Vestland fylkeskommune – psykisk helse</title>
<link rel="stylesheet" href="/host.css"></head>
<body>
<h1>Musikkterapi i Vestland</h1>
<script src="{api}/widget.js" data-county="Vestland" data-lang="nb"
  referrerpolicy="no-referrer" crossorigin="anonymous" async></script>
<h2>In English, for one municipality</h2>
<div id="oslo" data-mtkb-services data-municipality="Oslo" data-lang="en"></div>
<h2>Et fylke uten kjente tilbud</h2>
<div id="finnmark" data-mtkb-services data-county="Finnmark"></div>
<script src="{api}/widget.js" async></script>
</body></html>"""


@pytest.fixture(scope="module")
def county_page(site: str) -> Iterator[str]:  # noqa: F811  (the fixture from tests/test_browser.py)
    page = _host_page(site).encode()
    css = b"html { font-size: 30px; } * { color: #c00 !important; font-family: serif !important; }"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = (css, "text/css") if self.path == "/host.css" else (page, "text/html")
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header(
                "Content-Security-Policy",
                f"default-src 'self'; script-src 'self' {site}; connect-src {site}; style-src 'self'",
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
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_county_widget_on_a_page_from_another_origin(
    site: str,  # noqa: F811
    county_page: str,
    context: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    assert site.rsplit(":", 1)[1] != county_page.rsplit(":", 1)[1]
    context.add_cookies([{"name": "host_tracking", "value": "1", "url": county_page}])
    p = Page(context)
    page = p.page
    page.goto(county_page + "/")
    cards = page.locator("article.card")  # Playwright's CSS selectors pierce open shadow roots
    expect(cards).to_have_count(3)
    vestland = cards.nth(0)
    expect(vestland.locator(".title")).to_contain_text("Her tilbys musikkterapi")
    expect(vestland.locator(".title")).to_contain_text("Vestland")
    names = vestland.locator(".service-name")
    expect(names).to_have_count(5)  # Hjellestad and the four DPSs in Bergen
    expect(vestland).to_contain_text("Stiftelsen Bergensklinikkene")
    expect(vestland.locator("[data-service='bergensklinikkene-hjellestad'] a")).to_have_attribute(
        "href", site + "/services/bergensklinikkene-hjellestad"
    )
    about = vestland.locator("a.about-link")
    expect(about).to_have_text("Hva er musikkterapi?")
    expect(about).to_have_attribute("href", site + "/facts/hva-er-musikkterapi")
    expect(vestland).to_contain_text("Adresse og åpningstider står ikke her")
    oslo = page.locator("#oslo article.card")
    expect(oslo).to_have_attribute("lang", "en")
    expect(oslo.locator(".title")).to_contain_text("Where music therapy is offered")
    assert oslo.locator(".service-name").count() >= 4
    expect(page.locator("#finnmark article.card")).to_contain_text("Vi kjenner ikke til noe tilbud")
    # the host's styles do not reach into the list
    color = vestland.locator(".service-name").first.evaluate("a => getComputedStyle(a).color")
    assert color == "rgb(11, 87, 208)"
    assert page.evaluate(CONTRAST, True) == []
    p.shot("third-party-county-widget.png")
    # the link to the plain-language page opens it
    page.goto(about.get_attribute("href") or "")
    expect(page.locator("h1")).to_have_text("Hva er musikkterapi?")
    expect(page.locator(".prose")).to_contain_text("lytte til musikk")
    p.shot("hva-er-musikkterapi.png")
    # privacy: no cookies, no referrer, one request per list
    api_calls = [r for r in p.requests if r.url.startswith(site + "/api/")]
    sent = [r.all_headers() for r in api_calls]
    assert sent and all("cookie" not in h and "referer" not in h for h in sent), sent
    assert len({r.url for r in api_calls}) == len(api_calls) == 3
    assert p.errors == [], p.errors
    _only_from(p, county_page, site)
