"""Citations a guideline writer can paste without checking (issue 18): a test per numbered point,
on fixtures (tests/data/citing/citing.bib, added to the small valid knowledge base) and on every
reference of the real knowledge base (no citation lists fewer authors than the reference has)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import bibtexparser
import pytest
import rispy
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from index import build_index
from index.builds import current_build
from index.citations import CitationStore
from mtkb.citations import (
    CORE_STYLES,
    LOCALES,
    format_bibliography,
    format_references,
    to_bibtex,
    to_csl_json,
    to_ris,
)
from mtkb.citations.engine import numbered, prepared_style
from mtkb.citations.patches import FAMILY_PATCHES, STYLE_PATCHES
from mtkb.corpus import Corpus, load_corpus
from mtkb.records import Reference
from mtkb.sources.bibtex import load_bibliography

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = DATA / "citing" / "citing.bib"
ET_AL = ("et al.", "mfl.")


@pytest.fixture(scope="module")
def refs() -> dict[str, Reference]:
    result = load_bibliography([(FIXTURES, "citing.bib")])
    assert not result.problems, result.problems
    return dict(result.references)


def _one(ref: Reference, style: str, locale: str) -> tuple[str, str]:
    f = format_references([ref], style, locale)[ref.key]
    return f.bibliography_text, f.intext_text


# 1. "and others" is kept ------------------------------------------------------------------------


def test_1_and_others_is_et_al_in_every_form(refs: dict[str, Reference]) -> None:
    strand = refs["strand2020others"]
    assert strand.authors_incomplete and len(strand.authors) == 1
    assert to_csl_json(strand)["author"][-1] == {"literal": "others"}
    entry, intext = _one(strand, "apa", "en-US")
    assert intext == "(Strand et al., 2020)" and entry.startswith("Strand, I. et al. (2020).")
    assert _one(strand, "harvard", "nb-NO")[1] == "(Strand mfl., 2020)"  # the locale's et-al term
    assert _one(strand, "vancouver", "en-US")[0].startswith("Strand I, et al. ")
    assert _one(strand, "vancouver", "nb-NO")[0].startswith("Strand I, mfl. ")


def test_1_exports_keep_the_marker(refs: dict[str, Reference]) -> None:
    strand = refs["strand2020others"]
    bib = bibtexparser.parse_string(to_bibtex([strand])).entries[0]
    assert bib["author"] == "Strand, Ingrid and others"
    (ris,) = rispy.loads(to_ris([strand]))
    assert ris["authors"] == ["Strand, Ingrid", "et al."]


# 3. Style patches, each in one documented place ------------------------------------------------


def test_3_norsk_apa_article_number_is_localised(corpus: Corpus) -> None:
    ghetti = corpus.references["ghetti2022cochrane"]
    assert ", Artikkel CD012576." in _one(ghetti, "norsk-apa", "nb-NO")[0]
    assert ", Article CD012576." in _one(ghetti, "norsk-apa", "en-US")[0]
    assert b'prefix="Article "' not in prepared_style("norsk-apa-manual").read_bytes()


def test_3_vancouver_in_norwegian_dates_year_first_and_available_from(refs: dict[str, Reference]) -> None:
    page = refs["testside2021"]
    f = format_references([page], "vancouver", "nb-NO", accessed=date(2026, 11, 2))[page.key]
    assert "[sitert 2026 nov 2]. Tilgjengelig fra: https://example.org/musikkterapi" in f.bibliography_text
    nynorsk = format_references([page], "vancouver", "nn-NO", accessed=date(2026, 11, 2))[page.key]
    assert "Tilgjengeleg frå: https://example.org/musikkterapi" in nynorsk.bibliography_text
    english = format_references([page], "vancouver", "en-GB", accessed=date(2026, 11, 2))[page.key]
    assert "[cited 2026 Nov 2]. Available from: https://example.org/musikkterapi" in english.bibliography_text


def test_3_every_patch_says_what_it_works_around() -> None:
    patches = [p for group in (*STYLE_PATCHES.values(), *FAMILY_PATCHES.values()) for p in group]
    assert patches
    for patch in patches:
        assert patch.__doc__ and len(patch.__doc__) > 40, patch


# 4. Vancouver's subtitle rule keeps proper nouns -----------------------------------------------


def test_4_subtitle_rule_keeps_proper_nouns(refs: dict[str, Reference]) -> None:
    entry = _one(refs["strand2020others"], "vancouver", "en-US")[0]
    assert "substance use treatment: Norway and Sweden compared." in entry
    assert (
        "Treating addiction with tunes: a systematic review."
        in _one(refs["berg2019tunes"], "vancouver", "en-US")[0]
    )
    assert (
        "Treating addiction with tunes: A systematic review."
        in _one(refs["berg2019tunes"], "apa", "en-US")[0]
    )


# 5. NLM journal abbreviations ---------------------------------------------------------------------


def test_5_vancouver_and_nature_print_the_journal_abbreviation(refs: dict[str, Reference]) -> None:
    strand = refs["strand2020others"]
    assert to_csl_json(strand)["container-title-short"] == "Clin Psychol Rev"
    assert " Clin Psychol Rev. 2020;80:101-10." in _one(strand, "vancouver", "en-US")[0]
    assert " Clin Psychol Rev 80, 101–110 (2020)." in _one(strand, "nature", "en-US")[0]
    assert "Clinical Psychology Review, 80, 101–110." in _one(strand, "apa", "en-US")[0]  # APA: in full


def test_5_a_journal_without_abbreviation_keeps_its_name(refs: dict[str, Reference]) -> None:
    assert " Test Journal of Music Therapy. 2019;" in _one(refs["berg2019tunes"], "vancouver", "en-US")[0]


# Every reference of the knowledge base: no citation drops an author ----------------------------


def _named(text: str, ref: Reference) -> int:
    return sum(1 for p in ref.authors if (p.literal or p.family or "") in text)


@pytest.mark.parametrize("style", CORE_STYLES)
def test_no_citation_lists_fewer_authors_than_the_reference_has(
    index_dir: Path, corpus: Corpus, style: str
) -> None:
    """Every author is named, or the citation says "et al."/"mfl." (the style shortens the list, or the
    list ended in "and others"): what the build serves, in every locale."""
    build = current_build(index_dir)
    assert build is not None
    fixtures = load_bibliography([(FIXTURES, "citing.bib")]).references
    extra = {locale: format_references(list(fixtures.values()), style, locale) for locale in LOCALES}
    refs = {**corpus.references, **fixtures}
    checked = 0
    for locale in LOCALES:
        served = json.loads((build / "citations" / style / f"{locale}.json").read_text("utf-8"))
        served.update(
            {
                k: {"bibliography_text": f.bibliography_text, "intext_text": f.intext_text}
                for k, f in extra[locale].items()
            }
        )
        for key, ref in refs.items():
            if not ref.authors:
                continue
            for text in (served[key]["bibliography_text"], served[key]["intext_text"]):
                if re.fullmatch(r"\W*\d+\W*|[⁰¹²³⁴⁵⁶⁷⁸⁹]+", text):
                    continue  # a numbered style's in-text citation names no one
                shortened = any(term in text for term in ET_AL)
                if ref.authors_incomplete:
                    assert shortened, (style, locale, key, text)
                assert shortened or _named(text, ref) == len(ref.authors), (style, locale, key, text)
                checked += 1
    assert checked > len(refs)


def test_no_reference_is_served_an_empty_entry(index_dir: Path, corpus: Corpus) -> None:
    """A guideline writer never gets an empty citation: every reference has a bibliography entry and
    an in-text citation in every core style and locale the build serves."""
    build = current_build(index_dir)
    assert build is not None
    for style in CORE_STYLES:
        for locale in LOCALES:
            served = json.loads((build / "citations" / style / f"{locale}.json").read_text("utf-8"))
            for key in corpus.references:
                assert served[key]["bibliography_text"].strip(" .") != "", (style, locale, key)
                assert served[key]["intext_text"].strip(), (style, locale, key)


# 6-10 over HTTP: a small knowledge base with the fixtures ----------------------------------------


@pytest.fixture(scope="module")
def citing_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    root = tmp_path_factory.mktemp("citing")
    shutil.copytree(DATA / "content" / "valid", root / "content")
    shutil.copy(FIXTURES, root / "content" / "references" / "citing.bib")
    corpus = load_corpus(root / "content" / "kb", root / "content" / "references")
    assert not corpus.problems, corpus.problems
    build_index(corpus, root / "index")
    return create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(root / "index"),
            "KB_DIR": str(root / "content" / "kb"),
            "REFERENCES_DIR": str(root / "content" / "references"),
        }
    )


@pytest.fixture()
def web(citing_app: Flask) -> Iterator[FlaskClient]:
    with citing_app.test_client() as test_client:
        yield test_client


def test_6_incomplete_references_carry_a_warning(web: FlaskClient) -> None:
    body = web.get("/api/v1/references/ukjent2018side/citation?style=apa").get_json()
    assert body["warnings"] == [
        {
            "key": "ukjent2018side",
            "unknown": ["title"],
            "message": "incomplete reference ukjent2018side: unknown title",
        }
    ]
    assert web.get("/api/v1/references/testside2021/citation").get_json()["warnings"] == []
    text = web.get("/api/v1/references/ukjent2018side?format=text")
    assert text.headers["Warning"] == '299 mtkb "incomplete reference ukjent2018side: unknown title"'
    assert "Warning" in text.headers["Access-Control-Expose-Headers"]  # a web page's script may read it
    assert "Warning" not in web.get("/api/v1/references/testside2021?format=text").headers
    assert "Warning" in web.get("/api/v1/references/ukjent2018side?format=ris").headers
    listed = web.post("/api/v1/bibliography", json={"keys": ["testside2021", "ukjent2018side"]}).get_json()
    assert [w["key"] for w in listed["warnings"]] == ["ukjent2018side"]
    page = web.get("/references/ukjent2018side").get_data(as_text=True)
    assert "data-incomplete" in page and "Ufullstendig referanse" in page
    assert "data-incomplete" not in web.get("/references/testside2021").get_data(as_text=True)


def test_7_access_date_on_every_citation_endpoint(web: FlaskClient) -> None:
    day = "2026-11-02"
    one = web.get(f"/api/v1/references/testside2021/citation?style=vancouver&locale=en-US&accessed={day}")
    assert "[cited 2026 Nov 2]" in one.get_json()["bibliography"] and one.get_json()["accessed"] == day
    harvard = web.get(f"/api/v1/references/testside2021/citation?style=harvard&locale=en-GB&accessed={day}")
    assert "(Accessed: 2 November 2026)" in harvard.get_json()["bibliography"]
    text = web.get(f"/api/v1/references/testside2021?format=text&style=vancouver&locale=en-US&accessed={day}")
    assert "[cited 2026 Nov 2]" in text.get_data(as_text=True)
    listed = web.post(
        "/api/v1/bibliography", json={"keys": ["testside2021"], "style": "vancouver", "accessed": day}
    )
    assert "[sitert 2026 nov 2]" in listed.get_json()["bibliography"]
    assert (
        "[cited"
        not in web.get("/api/v1/references/testside2021/citation?style=vancouver&locale=en-US").get_json()[
            "bibliography"
        ]
    )
    future = (date.today() + timedelta(days=2)).isoformat()
    for response in (
        web.get(f"/api/v1/references/testside2021/citation?accessed={future}"),
        web.get(f"/api/v1/references/testside2021?format=text&accessed={future}"),
        web.post("/api/v1/bibliography", json={"keys": ["testside2021"], "accessed": future}),
        web.get(f"/api/v1/recommendations/test-anbefaling/bibliography?accessed={future}"),
        web.get(f"/api/v1/recommendations/test-anbefaling/citation?accessed={future}"),
    ):
        assert response.status_code == 400 and response.mimetype == "application/problem+json"
        assert "accessed" in response.get_json()["errors"]


def test_8_lists_are_sorted_and_disambiguated_by_their_style(web: FlaskClient) -> None:
    keys = ["testside2021", "testdir2016b", "strand2020others", "testdir2016a"]
    body = web.post("/api/v1/bibliography", json={"keys": keys, "style": "apa", "locale": "en-US"}).get_json()
    intext = {e["key"]: e["intext"] for e in body["entries"]}
    assert {intext["testdir2016a"], intext["testdir2016b"]} == {
        "(Testdirektoratet, 2016a)",
        "(Testdirektoratet, 2016b)",
    }
    assert [e["key"] for e in body["entries"]][:1] == ["strand2020others"]  # sorted by author
    vancouver = web.post("/api/v1/bibliography", json={"keys": keys, "style": "vancouver"}).get_json()
    assert [e["key"] for e in vancouver["entries"]] == keys  # numbered in citation order
    assert vancouver["entries"][0]["bibliography"].startswith("1. ")
    again = web.post(
        "/api/v1/bibliography", json={"keys": keys, "style": "apa", "locale": "en-US"}
    ).get_json()
    assert again == body  # the cached list


def test_8_item_pages_list_references_as_the_style_orders_them(client: FlaskClient) -> None:
    html = client.get("/recommendations/musikkterapi-rusbehandling?style=apa&locale=en-US").get_data(
        as_text=True
    )
    assert 'class="reference-list unnumbered"' in html
    keys = re.findall(r'<li id="ref-([^"]+)" class="reference"', html)
    assert {"hdir2016rus", "hdir2017musikkterapi"} <= set(keys)  # two "Helsedirektoratet (2016)"
    assert "Helsedirektoratet. (2016a)" in html and "Helsedirektoratet. (2016b)" in html
    texts = re.findall(r"data-ref-text>(.*?)</span>\s*(?:<span class=\"badge|\n)", html, re.S)
    assert len(texts) == len(keys) and texts == sorted(
        texts, key=lambda t: re.sub(r"<[^>]+>", "", t).casefold()
    )
    vancouver = client.get("/recommendations/musikkterapi-rusbehandling?style=vancouver").get_data(
        as_text=True
    )
    assert 'class="reference-list" data-reference-list' in vancouver


def test_9_accept_bibliography_on_a_recommendation_answers_its_citation(client: FlaskClient) -> None:
    url = "/api/v1/recommendations/musikkterapi-rusbehandling"
    response = client.get(url, headers={"Accept": "text/x-bibliography; style=apa; locale=en-US"})
    assert response.status_code == 200 and response.mimetype == "text/x-bibliography"
    text = response.get_data(as_text=True)
    assert text.startswith("Helsedirektoratet. (2017, January 24). Musikkterapi (rusbehandling).")
    own = client.get(url, headers={"Accept": "text/x-bibliography"}).get_data(as_text=True)
    assert "siste faglige endring 24. januar 2017" in own  # Helsedirektoratet's own form by default
    assert (
        client.get(url + "?format=text&style=vancouver&locale=en-US")
        .get_data(as_text=True)
        .startswith("Helsedirektoratet. Musikkterapi")
    )
    assert client.get(url).mimetype == "application/json"


@pytest.mark.parametrize(
    ("method", "url", "body", "headers"),
    [
        ("get", "/api/v1/references/ghetti2022cochrane/citation?style=", None, {}),
        ("get", "/api/v1/references/ghetti2022cochrane/citation?locale=", None, {}),
        ("get", "/api/v1/references/ghetti2022cochrane?format=text&style=", None, {}),
        ("get", "/api/v1/references/ghetti2022cochrane", None, {"Accept": "text/x-bibliography; style="}),
        ("get", "/api/v1/recommendations/musikkterapi-rusbehandling/citation?style=", None, {}),
        ("get", "/api/v1/recommendations/musikkterapi-rusbehandling/citation?style=apa&locale=", None, {}),
        ("get", "/api/v1/recommendations/musikkterapi-rusbehandling/bibliography?style=", None, {}),
        ("get", "/api/v1/recommendations/musikkterapi-rusbehandling?format=text&style=", None, {}),
        ("post", "/api/v1/bibliography", {"keys": ["ghetti2022cochrane"], "style": ""}, {}),
        ("post", "/api/v1/bibliography", {"keys": ["ghetti2022cochrane"], "style": "  "}, {}),
    ],
)
def test_10_an_empty_style_is_a_400_everywhere(
    client: FlaskClient, method: str, url: str, body, headers
) -> None:
    response = getattr(client, method)(url, json=body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("style", [s for s in CORE_STYLES if not numbered(s)])
def test_8_a_list_is_assembled_from_prerendered_entries_only_when_the_engine_would_agree(
    index_dir: Path, corpus: Corpus, tmp_path: Path, style: str
) -> None:
    build = current_build(index_dir)
    assert build is not None
    store = CitationStore(build, tmp_path, "v1")
    keys = [
        "mays2008tunes",
        "ghetti2022cochrane",
        "dale2014hjellestad",
        "kielland2015kommunalt",
        "bjerke_hjernen",
    ]
    refs = [corpus.references[k] for k in keys]
    for locale in ("nb-NO", "en-US"):
        assembled = store._assembled(refs, style, locale)
        assert assembled is not None, "names are distinct: the pre-rendered entries serve"
        entries, text, html = format_bibliography(refs, style, locale)
        assert [e.key for e in assembled[0]] == [e.key for e in entries]  # the style's order
        assert assembled == (entries, text, html)
    shared = [corpus.references[k] for k in ("hdir2016rus", "hdir2017musikkterapi")]
    assert store._assembled(shared, style, "nb-NO") is None  # 2016a/2016b: the engine runs
    entries, _, _ = store.bibliography([r.key for r in shared], style, "en-US")
    assert len({e.bibliography_text for e in entries}) == 2
