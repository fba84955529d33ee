"""The pages for people (api/pages.py) through Flask's test client: status, language, CSP, escaping.

The real content is served by the session `client`; a second app serves a small corpus whose titles,
wording, prose and BibTeX fields carry HTML and script, to show that none of it reaches a page unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from index import build_index
from mtkb.corpus import load_corpus

PAGES = [
    "/",
    "/?q=musikkterapi",
    "/?q=musikkterapi&type=reference&page=2",
    "/?q=craving&language=en&sort=-year",
    "/recommendations/musikkterapi-rusbehandling",
    "/recommendations/musikkterapi-psykoselidelser",
    "/evidence/cochrane-2022-rus",
    "/evidence/gamut-oversikt-2016",
    "/guidelines/rus-behandling-rehabilitering",
    "/reports/rapport-sandnes-2019",
    "/facts/prosedyrekode-ibbe10",
    "/facts/hva-er-musikkterapi",
    "/services/fact-gamle-oslo",
    "/services/dalane-dps",
    "/references/ghetti2022cochrane",
    "/privacy",
    "/widget-example",
]


class Page(HTMLParser):
    """Just enough of an HTML page to check: the lang of each element, ids, labels, scripts, styles."""

    def __init__(self, text: str):
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self.inline_scripts = 0
        self.styles = 0
        self.style_attributes = 0
        self.event_attributes: list[str] = []
        self.html_lang = ""
        self.texts: list[tuple[str, str]] = []  # (text, lang of the element it is in)
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        lang = a.get("lang") or (self.stack[-1][1] if self.stack else "")
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "label" and "for" in a:
            self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a)
        if tag == "script":
            self.scripts.append(a)
        if tag == "style":
            self.styles += 1
        if "style" in a:
            self.style_attributes += 1
        self.event_attributes += [k for k in a if k.startswith("on")]
        if tag not in ("meta", "link", "input", "br", "hr", "img", "source", "wbr"):
            self.stack.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][0] == "script" and data.strip():
            self.inline_scripts += 1
        if data.strip():
            self.texts.append((data.strip(), self.stack[-1][1] if self.stack else ""))

    def lang_of(self, text: str) -> str:
        return next(lang for t, lang in self.texts if text in t)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_html_with_a_strict_csp_and_no_cookies(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "require-trusted-types-for 'script'" in csp
    assert "Set-Cookie" not in response.headers
    page = Page(response.get_data(as_text=True))
    assert page.html_lang == "nb"
    assert page.inline_scripts == 0 and page.styles == 0 and page.style_attributes == 0
    assert page.event_attributes == []
    assert all(s["src"].startswith("/") for s in page.scripts), "scripts come from this origin only"
    assert len(page.ids) == len(set(page.ids)), "ids are unique"
    for control in page.controls:
        assert control.get("id") in page.label_for or control.get("aria-label"), f"unlabelled {control}"
    html = response.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//(?!127\.0\.0\.1|localhost)[^"]*\.(js|css)', html)


def test_english_furniture_with_norwegian_content_marked(client: FlaskClient) -> None:
    page = Page(client.get("/recommendations/musikkterapi-rusbehandling?lang=en").get_data(as_text=True))
    assert page.html_lang == "en"
    assert page.lang_of("Det foreslås at det tilrettelegges") == "nb"
    assert page.lang_of("Strength") == "en"
    nb = Page(client.get("/recommendations/musikkterapi-rusbehandling").get_data(as_text=True))
    assert nb.lang_of("Helsedirektoratet's 2016 substance use guideline") == "en"  # summary_en
    assert nb.lang_of("Styrke") == "nb"


def test_summary_in_the_page_language_first(client: FlaskClient) -> None:
    """A Norwegian page leads with the plain Norwegian summary; an English page with the English one; the
    other is marked with its own language."""
    nb_html = client.get("/evidence/cochrane-2022-rus").get_data(as_text=True)
    en_html = client.get("/evidence/cochrane-2022-rus?lang=en").get_data(as_text=True)
    plain, english = "Forskere samlet 21 forsøk", "The 2022 Cochrane review (Ghetti et al.)"
    assert nb_html.index(plain) < nb_html.index(english) and en_html.index(english) < en_html.index(plain)
    assert Page(nb_html).lang_of(plain) == "nb" and Page(en_html).lang_of(plain) == "nb"
    assert Page(nb_html).lang_of(english) == "en" and Page(en_html).lang_of(english) == "en"
    card = client.get("/recommendations/musikkterapi-rusbehandling").get_data(as_text=True)
    assert 'class="summary" lang="nb"' in card  # the evidence cards follow the page language too


def test_service_page(client: FlaskClient) -> None:
    html = client.get("/services/sandnes-mestringsenheten").get_data(as_text=True)
    page = Page(html)
    assert page.lang_of("Mestringsenheten") == "nb" and "Rogaland" in html
    assert 'href="/reports/rapport-sandnes-2019"' in html  # the service lists its reports
    assert "adresse, telefon, åpningstider" in html  # unknown stays unknown, and says so
    report = client.get("/reports/rapport-sandnes-2019").get_data(as_text=True)
    assert 'href="/services/sandnes-mestringsenheten"' in report


def test_links_keep_the_page_language(client: FlaskClient) -> None:
    html = client.get("/?q=musikkterapi&lang=en").get_data(as_text=True)
    assert 'href="/recommendations/musikkterapi-psykoselidelser?lang=en"' in html
    assert 'href="/?q=musikkterapi&amp;type=reference&amp;lang=en"' in html
    switch = client.get("/evidence/cochrane-2022-rus").get_data(as_text=True)
    assert 'href="/evidence/cochrane-2022-rus?lang=en" lang="en" hreflang="en"' in switch


def test_recommendation_page_shows_the_whole_evidence_picture(client: FlaskClient) -> None:
    html = client.get("/recommendations/musikkterapi-rusbehandling").get_data(as_text=True)
    wording = (
        "Det foreslås at det tilrettelegges for bruk av musikkterapi til pasienter/brukere som ønsker dette. "
        "Musikkterapi vil være relevant i tverrfaglig spesialisert rusbehandling, i kriminalomsorg og i "
        "kommunale tjenester."
    )
    quote = re.search(
        r'<blockquote cite="(https://www\.helsedirektoratet\.no/[^"]+)" lang="nb">\s*<p>(.*?)</p>', html
    )
    assert quote and quote.group(2) == wording
    assert re.search(r"<figcaption>.*?<cite><a href=\"https://www\.helsedirektoratet\.no/", html, re.S)
    assert '<strong class="strength strength-weak">Svak</strong>' in html
    assert "utledet av ordlyden" in html and '<strong lang="nb">Konsensus</strong>' in html
    assert "24. januar 2017" in html
    assert "17 studier; 863 deltakere i de 11 kontrollerte studiene" in html
    assert "21 studier med 1984 deltakere" in html
    assert "SMD −0,66" in html and "−1,23 til −0,10" in html
    # the preliminary overview is marked as superseded by the Cochrane review
    superseded = html[html.index('class="evidence-card is-superseded"') :]
    assert 'badge badge-warn">Erstattet<' in superseded[:600]
    assert 'href="/evidence/cochrane-2022-rus"' in superseded[:1500]
    assert '<h2 id="newer-title">Forskning publisert etter anbefalingen</h2>' in html
    # attribution and licences, the references and citing
    assert 'href="https://data.norge.no/nlod/no/2.0" rel="license"' in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/" rel="license"' in html
    assert 'id="ref-ghetti2022cochrane"' in html and 'data-cite-key="ghetti2022cochrane"' in html
    assert 'data-cite-item="/api/v1/recommendations/musikkterapi-rusbehandling/citation"' in html
    assert "Siter denne anbefalingen" in html
    # citations in the prose: author-year in the page's style, linked to our reference pages (absolute);
    # the prose names items in words, not by id
    assert '<a href="http://localhost/references/mays2008tunes">Mays et al., 2008</a>' in html
    assert "/api/v1/references/mays2008tunes" not in html
    assert "<code>cochrane-2022-rus</code>" not in html


def test_references_come_formatted_in_the_style_the_address_asks_for(client: FlaskClient) -> None:
    html = client.get("/recommendations/musikkterapi-rusbehandling").get_data(as_text=True)
    assert 'data-formatted="1"' in html and '<option value="apa" selected>APA 7</option>' in html
    assert "<em>Cochrane Database of Systematic Reviews</em>" in html  # APA, from the build's citations
    assert "siste faglige endring 24. januar 2017, lest" in html  # cite this: Helsedirektoratet's form
    vancouver = client.get("/evidence/cochrane-2022-rus?style=vancouver&locale=en-US").get_data(as_text=True)
    assert '<option value="nlm-citation-sequence" selected>Vancouver</option>' in vancouver
    assert '<option value="en-US" selected>' in vancouver
    assert "Ghetti C, Chen XJ, Brenner AK" in vancouver and "csl-left-margin" not in vancouver
    unknown = client.get("/evidence/cochrane-2022-rus?style=no-such-style").get_data(as_text=True)
    assert '<option value="apa" selected>APA 7</option>' in unknown


def test_evidence_page_lists_the_recommendations_that_use_it(client: FlaskClient) -> None:
    html = client.get("/evidence/cochrane-2022-rus").get_data(as_text=True)
    assert 'href="/recommendations/musikkterapi-rusbehandling"' in html and "som nyere kunnskap" in html
    assert "Erstatter" in html and 'href="/evidence/gamut-oversikt-2016"' in html
    old = client.get("/evidence/gamut-oversikt-2016").get_data(as_text=True)
    assert "Erstattet av" in old and "som grunnlag" in old


def test_reference_page_offers_export_and_cited_by(client: FlaskClient) -> None:
    html = client.get("/references/ghetti2022cochrane").get_data(as_text=True)
    assert 'href="https://doi.org/10.1002/14651858.CD012576.pub3"' in html
    for fmt in ("bibtex", "ris", "csljson"):
        assert f'href="/api/v1/references/ghetti2022cochrane?format={fmt}"' in html
    assert 'href="/recommendations/musikkterapi-rusbehandling"' in html


def test_search_page_hits_facets_paging(client: FlaskClient) -> None:
    html = client.get("/?q=musikkterapi").get_data(as_text=True)
    assert re.search(r"<h2 id=\"results-title\">\d+ treff", html)
    assert "<mark>musikkterapi</mark>" in html.lower() or "<mark>Musikkterapi</mark>" in html
    assert 'href="/?q=musikkterapi&amp;type=recommendation"' in html
    assert 'aria-label="Sider"' in html and 'aria-current="page"' in html
    assert "Slik skriver du søket" in html and "year:[2010 TO 2019]" in html
    filtered = client.get("/?q=musikkterapi&type=recommendation").get_data(as_text=True)
    assert filtered.count('class="hit"') == 3
    # the chosen type can be changed: the type facet still lists the others, the chosen one marked
    assert 'class="selected" aria-current="true"' in filtered and 'type=reference"' in filtered
    graded = client.get("/?q=musikkterapi&grade=consensus").get_data(as_text=True)
    assert graded.count('class="hit"') == 1 and "/recommendations/musikkterapi-rusbehandling" in graded
    export = client.get("/?q=musikkterapi").get_data(as_text=True)
    # all hits: the references found and those the knowledge items found cite
    assert "/api/v1/search/export?q=musikkterapi&amp;sort=relevance&amp;format=bibtex" in export
    graded_export = "/api/v1/search/export?q=musikkterapi&amp;sort=relevance&amp;format=bibtex"
    assert graded_export + "&amp;grade=consensus" in graded


def test_search_snippets_mark_sentences_in_another_language(client: FlaskClient) -> None:
    """A Norwegian item's hit may show its English summary: those sentences are marked lang="en"."""
    html = client.get("/?q=music").get_data(as_text=True)
    snippets = re.findall(r'<p class="hit-snippet" lang="(\w+)">(.*?)</p>', html, re.S)
    english_in_norwegian = [text for lang, text in snippets if lang == "nb" and '<span lang="en">' in text]
    assert english_in_norwegian
    assert all("<mark>" in text or "</span>" in text for text in english_in_norwegian)
    for text in english_in_norwegian:  # nothing but the marks and the language spans
        assert set(re.findall(r"<(\w+)", text)) <= {"mark", "span", "a", "cite"}  # citations are links


def test_a_page_past_the_end_goes_to_the_last_page(client: FlaskClient) -> None:
    response = client.get("/?q=musikkterapi&type=recommendation&page=9")
    assert response.status_code == 302
    assert response.headers["Location"] == "/?q=musikkterapi&type=recommendation"


def test_a_query_that_cannot_be_read_is_explained(client: FlaskClient) -> None:
    response = client.get("/?q=%22unbalanced")
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert "unbalanced quotes" in response.get_data(as_text=True)


def test_filter_values_never_reach_the_query_unchecked(client: FlaskClient) -> None:
    response = client.get("/?q=musikkterapi&grade=A)%20OR%20(type:reference&type=nonsense&page=x")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    heading = re.compile(r'<h2 id="results-title">(\d+) treff')
    unfiltered = client.get("/?q=musikkterapi").get_data(as_text=True)
    assert heading.search(html).group(1) == heading.search(unfiltered).group(1)  # type: ignore[union-attr]
    assert "Valgte avgrensninger" not in html


def test_unknown_item_is_an_html_404(client: FlaskClient) -> None:
    response = client.get("/recommendations/finnes-ikke")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Fant ikke siden" in response.get_data(as_text=True)


def test_widget_script_is_served_for_other_origins(client: FlaskClient) -> None:
    with client.get("/widget.js", headers={"Origin": "https://kommune.example"}) as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        body = response.get_data(as_text=True)
    assert "innerHTML" not in body and "insertAdjacentHTML" not in body and "document.write" not in body
    assert 'credentials: "omit"' in body and 'referrerPolicy: "no-referrer"' in body
    assert "attachShadow" in body


def test_site_script_never_assigns_html(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    src = re.search(r'<script src="(/static/site\.js\?v=[0-9a-f]+)"', html)
    assert src
    with client.get(src.group(1)) as response:
        body = response.get_data(as_text=True)
    assert "innerHTML" not in body and "outerHTML =" not in body and "document.write" not in body


def test_widget_example_and_privacy_statement(client: FlaskClient) -> None:
    html = client.get("/widget-example").get_data(as_text=True)
    assert (
        "&lt;script src=&#34;http://localhost/widget.js&#34; "
        "data-mtkb-recommendation=&#34;musikkterapi-rusbehandling&#34; data-lang=&#34;nb&#34;"
    ) in html
    privacy = client.get("/privacy").get_data(as_text=True)
    assert "14 dager" in privacy and "IP-adresse" in privacy
    assert "14 days" in client.get("/privacy?lang=en").get_data(as_text=True)


def test_the_privacy_statement_matches_what_the_server_does(app: Flask) -> None:
    """The statement promises no IP address, referrer or user agent in the access log, and per-address
    rate-limit counters kept in memory for a minute: hold the configuration to that promise."""
    conf = (Path(__file__).resolve().parent.parent / "gunicorn.conf.py").read_text(encoding="utf-8")
    log_format = re.search(r"^access_log_format = (.+)$", conf, re.M)
    assert log_format, "gunicorn.conf.py must set access_log_format (the default logs IP addresses)"
    for field in ("h", "l", "u", "f", "a", "{"):  # remote address, ident, user, referer, agent, headers
        assert f"%({field}" not in log_format.group(1)
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    assert app.config["RATELIMIT_DEFAULT"].endswith("per minute")


# ---- hostile content -----------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'

FILES = {
    "kb/guidelines/g.md": f"""---
id: g
type: guideline
title: 'Retningslinje {HOSTILE}'
lang: nb
updated: 2026-01-15
verification: {{status: verified, sources: ['{HOSTILE}']}}
publisher: 'Helsedirektoratet {HOSTILE}'
identifier: null
year: 2016
url: null
reference: evil2020
licence: NLOD
attribution: Helsedirektoratet
---

Tekst [@evil2020].
""",
    "kb/recommendations/r.md": f"""---
id: r
type: recommendation
title: 'Anbefaling {HOSTILE}'
lang: nb
summary_en: '<iframe src="javascript:alert(3)"></iframe>'
summary_nb: '<img src=x onerror=alert(5)>'
updated: 2026-01-15
aliases: [gammel-r]
references: [evil2020]
verification: {{status: reported, sources: ['{HOSTILE}'], note: '{HOSTILE}'}}
corrections:
  - id: c
    text: '{HOSTILE}'
    source: '{HOSTILE}'
guideline: g
wording:
  text: '"><svg onload=alert(2)> Det foreslås.'
  status: quoted
  source: https://example.org/anbefaling
strength: {{value: weak, basis: inferred, source_words: '{HOSTILE}', note: '{HOSTILE}'}}
grade: {{system: '{HOSTILE}', term: '{HOSTILE}', level: null, code: consensus}}
settings: ['<b>TSB</b>']
url: https://example.org/anbefaling
citation_reference: evil2020
licence: NLOD
attribution: Helsedirektoratet
evidence_considered: [e]
newer_evidence: []
---

Prosa med <script>alert("body")</script> og [en lenke](javascript:alert(4)) [@evil2020].
""",
    "kb/evidence/e.md": f"""---
id: e
type: evidence
title: 'Oversikt {HOSTILE}'
lang: nb
summary_en: '{HOSTILE}'
summary_nb: 'Kort: {HOSTILE}'
updated: 2026-01-15
verification: {{status: unverified, sources: []}}
organisation: '{HOSTILE}'
year: 2020
status: published
published: true
design: '{HOSTILE}'
outcomes:
  - {{name: '<svg onload=alert(5)>', measure: narrative, summary: '{HOSTILE}'}}
reference: evil2020
---
""",
    "references/evil.bib": """@article{evil2020,
  author   = {Evil, Eve and {<script>alert('author')</script>}},
  title    = {<script>alert('bib')</script> Music <img src=x onerror=alert(6)>},
  journal  = {<b>Journal</b>},
  year     = {2020},
  url      = {javascript:alert(7)},
  abstract = {<img src=x onerror=alert(8)> abstract},
  doi      = {10.1000/"><script>alert(9)</script>},
}
""",
}
RAW = re.compile(r"<(script|img|svg|iframe|b)[\s>][^<]*?(alert|onerror|onload|javascript)", re.I)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    root = tmp_path_factory.mktemp("hostile")
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    corpus = load_corpus(root / "kb", root / "references")
    corpus.raise_for_problems()
    build_index(corpus, root / "index")
    app: Flask = create_app({"TESTING": True, "INDEX_DIR": str(root / "index")})
    with app.test_client() as client:
        yield client


HOSTILE_PAGES = [
    "/?q=alert",
    "/?q=music&type=reference",
    "/recommendations/r",
    "/evidence/e",
    "/guidelines/g",
    "/references/evil2020",
    "/?lang=en&q=anbefaling",
]


@pytest.mark.parametrize("path", HOSTILE_PAGES)
def test_hostile_content_is_escaped_everywhere(hostile: FlaskClient, path: str) -> None:
    response = hostile.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not RAW.search(html), RAW.search(html)
    assert 'href="javascript:' not in html.lower() and "<img" not in html.lower()
    page = Page(html)
    assert page.event_attributes == [] and page.inline_scripts == 0


def test_hostile_text_is_shown_as_text(hostile: FlaskClient) -> None:
    html = hostile.get("/recommendations/r").get_data(as_text=True)
    assert "Anbefaling &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;svg onload=alert(2)&gt; Det foreslås." in html
    assert "&lt;b&gt;TSB&lt;/b&gt;" in html
    reference = hostile.get("/references/evil2020").get_data(as_text=True)
    assert "javascript:alert(7)" in reference  # shown as text, not as a link
    assert 'href="https://doi.org/10.1000/%22%3E%3Cscript%3Ealert(9)%3C/script%3E"' in reference


def test_an_old_id_redirects_to_the_page(hostile: FlaskClient) -> None:
    response = hostile.get("/recommendations/gammel-r?lang=en")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/recommendations/r?lang=en")
