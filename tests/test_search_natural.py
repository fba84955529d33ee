"""Search as people type it, over the real knowledge base (issue 16): plain words with stop words, the
relaxed fallback, typo correction, fuzzy terms, DOIs, filters in displayed terms, diacritics and
transliterations, ranking, Link headers and exports; every judged query of the relevance benchmark finds
something."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from flask.testing import FlaskClient
from whoosh import query as wq

from bench.relevance import load_queries
from index import IndexHandle, OpenBuild, SearchRequest, SearchResult
from index.analysis import english, folded, match_fold, norwegian
from index.natural import STOP_WORDS
from index.ranking import RANKING_FILE, weights
from mtkb.corpus import Corpus


@pytest.fixture(scope="module")
def build(index_dir: Path) -> OpenBuild:
    return IndexHandle(index_dir).current()


def search(build: OpenBuild, q: str, **kwargs: object) -> SearchResult:
    return build.search(SearchRequest(q=q, per_page=100, **kwargs))  # type: ignore[arg-type]


def ids(result: SearchResult, n: int | None = None) -> list[str]:
    return [h.id for h in result.hits[:n]]


# ---------------------------------------------------------------- the examples


def test_an_exact_title_with_small_words_finds_its_reference(build: OpenBuild) -> None:
    with_words = search(build, "Treating Addiction with Tunes")
    assert ids(with_words, 1) == ["mays2008tunes"]
    assert with_words.ignored == ["with"] and with_words.relaxed is None
    assert ids(search(build, "Treating Addiction Tunes"), 1) == ["mays2008tunes"]


def test_natural_questions_in_both_languages_find_their_answers(build: OpenBuild) -> None:
    addiction = search(build, "music therapy for addiction")
    assert addiction.total > 0 and addiction.ignored == ["for"]
    assert {"mays2008tunes", "musikkterapi-rusbehandling"} <= set(ids(addiction, 5))
    count = search(build, "hvor mange musikkterapeuter er det i Norge")
    assert count.total > 0 and {"hvor", "mange", "er", "det", "i"} <= set(count.ignored)
    assert "musikkterapeutstillinger-norge" in ids(count, 3)


def test_musikkterapi_puts_the_recommendations_above_facts(build: OpenBuild) -> None:
    hits = search(build, "musikkterapi").hits
    assert "musikkterapi-rusbehandling" in [h.id for h in hits[:3]]
    recommendations = [i for i, h in enumerate(hits) if h.type == "recommendation"]
    first_fact = next(i for i, h in enumerate(hits) if h.type == "fact")
    assert len(recommendations) == 3 and max(recommendations) < first_fact


def test_english_questions_find_the_norwegian_user_experience_reports(build: OpenBuild) -> None:
    result = search(build, "user experiences of music therapy in Norway")
    reports = [h for h in result.hits[:5] if h.type == "report"]
    assert reports, ids(result, 5)
    assert all(match_fold(h.title) != match_fold("user experiences") for h in reports)  # Norwegian titles


# ---------------------------------------------------------------- stop words and the relaxed fallback


@pytest.mark.parametrize(
    ("q", "stop"),
    [
        ("musikkterapi i rusbehandling", "i"),
        ("musikkterapi på sykehus og i kommunen", "på"),
        ("Cochrane om musikkterapi", "om"),
        ("musikkterapi med ungdom", "med"),
        ("the Cochrane review", "the"),
        ("review of music therapy", "of"),
        ("does music therapy work", "does"),
        ("music therapy and craving", "and"),
        ("music therapy to reduce craving", "to"),
    ],
)
def test_stop_words_of_either_language_are_never_required(build: OpenBuild, q: str, stop: str) -> None:
    result = search(build, q)
    assert stop in result.ignored and result.total > 0


def test_a_query_of_stop_words_only_searches_them(build: OpenBuild) -> None:
    result = search(build, "er det")
    assert result.ignored == []  # not thrown away: there is nothing else to search


def test_when_no_hit_has_every_word_at_least_two_thirds_of_them_are_required(build: OpenBuild) -> None:
    result = search(build, "musikkterapi rusbehandling zqxjvk")
    assert result.relaxed == {"minimum_should_match": 2, "words": 3} and result.total > 0
    strict = {h.id for h in search(build, "musikkterapi rusbehandling").hits}
    assert set(ids(result)) == strict  # each hit has both real words: 2 of 3
    assert search(build, "musikkterapi rusbehandling").relaxed is None


def test_the_relaxed_search_ranks_hits_with_more_of_the_words_first(build: OpenBuild) -> None:
    result = search(build, "Gjøvik Fredrikstad samarbeidsmodell zqxjvk")
    assert result.relaxed == {"minimum_should_match": 2, "words": 4}
    assert ids(result, 1) == ["samarbeidsmodell-gjovik-regionen"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("musikkterapi AND zqxjvk", 0),  # an explicit AND stays an AND: nothing is relaxed
        ('"treating addiction with tunes"', 1),  # a phrase keeps its stop word for position
        ('"addiction treating tunes"', 0),
        ("title:tunes", 1),
        ("musikkterapi NOT rus", None),
    ],
)
def test_explicit_syntax_keeps_its_meaning(build: OpenBuild, q: str, expected: int | None) -> None:
    result = search(build, q)
    assert result.relaxed is None and result.corrected is None
    if expected is not None:
        assert result.total == expected, ids(result)
    else:
        assert 0 < result.total < search(build, "musikkterapi").total


# ---------------------------------------------------------------- typos and fuzzy terms


@pytest.mark.parametrize(
    ("q", "corrected", "expected"),
    [
        ("musikkteraip", "musikkterapi", "musikkterapi-rusbehandling"),
        ("musci therapy", "music therapy", "ghetti2022cochrane"),
        ("Geretseger", "geretsegger", "geretsegger2017cochrane"),
    ],
)
def test_a_misspelt_query_that_finds_nothing_searches_its_correction(
    build: OpenBuild, q: str, corrected: str, expected: str
) -> None:
    result = search(build, q)
    assert result.corrected == corrected and result.query == q and result.suggestion is None
    assert expected in ids(result, 10)


@pytest.mark.parametrize(
    "word", ["musikkterapeuter", "rusbehandlingen", "craving", "Kielland", "Krüger", "tunes"]
)
def test_fuzzy_never_finds_fewer_than_the_exact_word(build: OpenBuild, word: str) -> None:
    exact = {h.id for h in search(build, word).hits}
    for fuzzy in (f"{word}~", f"{word}~2"):
        assert exact <= {h.id for h in search(build, fuzzy).hits}, fuzzy


# ---------------------------------------------------------------- DOIs


@pytest.mark.parametrize(
    "q",
    [
        "10.1080/08897070802418485",
        "https://doi.org/10.1080/08897070802418485",
        "doi:10.1080/08897070802418485",
        "DOI: 10.1080/08897070802418485",
        "http://dx.doi.org/10.1080/08897070802418485",
    ],
)
def test_a_doi_in_the_query_finds_its_reference(build: OpenBuild, q: str) -> None:
    assert ids(search(build, q)) == ["mays2008tunes"]


def test_a_doi_and_words_both_count(build: OpenBuild) -> None:
    assert ids(search(build, "doi:10.1371/journal.pone.0187363 music")) == ["hohmann2017plosone"]
    assert search(build, "doi:10.1371/journal.pone.0187363 zqxjvk").total == 0


def test_the_doi_parameters_of_search_and_references(client: FlaskClient) -> None:
    for doi in ("10.1002/14651858.CD012576.pub3", "https://doi.org/10.1002/14651858.cd012576.pub3"):
        body = client.get("/api/v1/search", query_string={"doi": doi}).get_json()
        assert [h["id"] for h in body["hits"]] == ["ghetti2022cochrane"]
        refs = client.get("/api/v1/references", query_string={"doi": doi}).get_json()
        assert [r["key"] for r in refs["items"]] == ["ghetti2022cochrane"]


# ---------------------------------------------------------------- diacritics and transliterations


def test_folding_is_the_same_both_ways_in_every_analyser() -> None:
    for analyser in (norwegian(), english(), folded()):
        for a, b in (("Hämäläinen", "Hamalainen"), ("Hämäläinen", "Haemaelaeinen"), ("Krüger", "Krueger"),
                     ("Jörg", "Joerg"), ("Gjøvik", "Gjovik"), ("Sør-Odal", "Sor-Odal")):  # fmt: skip
            assert [t.text for t in analyser(a)] == [t.text for t in analyser(b)], (analyser, a, b)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("gjovik", "samarbeidsmodell-gjovik-regionen"),
        ("Gjøvik", "samarbeidsmodell-gjovik-regionen"),
        ("title:gjovik", "samarbeidsmodell-gjovik-regionen"),
        ("sor odal", "rapport-sor-odal-2017"),
        ("title:Sør-Odal", "rapport-sor-odal-2017"),
        ("Kruger", "gold2009dose"),
        ("Krueger", "gold2009dose"),
        ("author:Krüger", "gold2009dose"),
        ("Joerg Fachner", "ghetti2022cochrane"),
        ("author:Jorg", "ghetti2022cochrane"),
        ("Woien", "dok8_97S2017"),
        ("samvalgsverktoy", "samvalgsverktoy-helsenorge"),
    ],
)
def test_names_and_titles_match_with_or_without_diacritics(build: OpenBuild, q: str, expected: str) -> None:
    assert expected in ids(search(build, q), 5)


@pytest.mark.parametrize("author", ["Krüger", "Kruger", "Krueger", "KRUGER"])
def test_the_references_author_filter_folds_both_ways(client: FlaskClient, author: str) -> None:
    body = client.get("/api/v1/references", query_string={"author": author}).get_json()
    assert [r["key"] for r in body["items"]] == ["gold2009dose"]


def test_the_references_author_filter_folds_norwegian_letters(client: FlaskClient) -> None:
    for author in ("Wøien", "Woien"):
        body = client.get("/api/v1/references", query_string={"author": author}).get_json()
        assert {r["key"] for r in body["items"]} >= {"dok8_97S2017"}


# ---------------------------------------------------------------- filters in displayed terms


def test_filters_accept_the_terms_the_api_displays(client: FlaskClient) -> None:
    code = client.get("/api/v1/search?q=musikkterapi&grade=consensus").get_json()
    for term in ("Konsensus", "konsensus", "KONSENSUS"):
        body = client.get(f"/api/v1/search?q=musikkterapi&grade={term}").get_json()
        assert body["hits"] == code["hits"] and body["total"] >= 1
    weak = client.get("/api/v1/search?strength=weak").get_json()
    assert client.get("/api/v1/search?strength=svak").get_json()["total"] == weak["total"] >= 1
    recs = client.get("/api/v1/recommendations?grade=Konsensus").get_json()
    assert {r["id"] for r in recs["items"]} == {
        r["id"] for r in client.get("/api/v1/recommendations?grade=consensus").get_json()["items"]
    }
    assert recs["total"] >= 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search?q=musikkterapi&grade=Bogus",
        "/api/v1/search?strength=maybe",
        "/api/v1/search?lang=xx",
        "/api/v1/search?decade=1890s",
        "/api/v1/recommendations?grade=Bogus",
        "/api/v1/recommendations?setting=moon",
        "/api/v1/references?type=bogus",
    ],
)
def test_unknown_filter_values_are_400_problems(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "unknown" in response.get_json()["detail"]


# ---------------------------------------------------------------- paging links and exports


def test_search_has_link_headers_for_paging(client: FlaskClient) -> None:
    response = client.get("/api/v1/search?q=musikkterapi&per_page=5&page=2")
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"]))
    assert set(links) - {"license"} == {"first", "prev", "next", "last"}  # beside the hits' licences
    assert "page=1" in links["first"] and "page=3" in links["next"] and "q=musikkterapi" in links["next"]
    total = response.get_json()["total"]
    assert f"page={-(-total // 5)}" in links["last"]


def test_exporting_knowledge_item_hits_exports_the_references_they_cite(
    client: FlaskClient, build: OpenBuild
) -> None:
    response = client.get("/api/v1/search/export?q=musikkterapi&type=recommendation&format=bibtex")
    assert response.status_code == 200
    exported = set(re.findall(r"@\w+\{([^,]+),", response.get_data(as_text=True)))
    cited = {k for rec in build.of_type("recommendation") for k in rec["references"]}
    assert cited and cited <= exported
    assert client.get("/api/v1/search?q=musikkterapi&type=recommendation&format=ris").status_code == 200


# ---------------------------------------------------------------- the page says what it did


def test_the_page_shows_corrections_and_relaxed_searches(client: FlaskClient) -> None:
    corrected = client.get("/?q=musikkteraip").get_data(as_text=True)
    assert "Viser treff for <q>musikkterapi</q>" in corrected
    relaxed = client.get("/?q=musikkterapi+rusbehandling+zqxjvk").get_data(as_text=True)
    assert "minst 2 av 3 ord" in relaxed
    english = client.get("/?q=musikkteraip&lang=en").get_data(as_text=True)
    assert "musikkterapi" in english


# ---------------------------------------------------------------- the executor agrees with whoosh


@pytest.mark.parametrize(
    "q", ["music therapy for addiction", "hvor mange musikkterapeuter er det i Norge", "Krueger", "craving~"]
)
def test_the_executor_matches_whoosh_on_plain_words_and_fuzzy_terms(build: OpenBuild, q: str) -> None:
    searcher = build._searcher
    parsed = searcher.parse(q)
    expected = set(searcher._searcher.docs_for_query(parsed))
    assert set(np.flatnonzero(searcher._executor.docs(parsed)).tolist()) == expected


def test_the_executor_implements_minmatch_as_whoosh_would_with_every_combination(build: OpenBuild) -> None:
    searcher = build._searcher
    plan = searcher._planner.plan("musikkterapi rusbehandling Fredrikstad Cochrane")
    assert plan is not None
    for minimum in (1, 2, 3):
        ours = set(np.flatnonzero(searcher._executor.docs(plan.relaxed(minimum))).tolist())
        combinations = wq.Or(
            [wq.And(list(c)) for c in itertools.combinations(plan.unit_queries, minimum)]
        )  # what minmatch means, in queries whoosh runs
        assert ours == set(searcher._searcher.docs_for_query(combinations)), minimum


# ---------------------------------------------------------------- ranking config and the judged set


def test_the_ranking_weights_are_read_from_their_file_and_checked(tmp_path: Path) -> None:
    current = weights()
    assert current.types["recommendation"] > current.types["fact"] >= current.types["reference"]
    assert current.minimum(3) == 2 and current.minimum(2) == 1 and current.minimum(1) == 1
    broken = tmp_path / "ranking.yaml"
    broken.write_text(RANKING_FILE.read_text(encoding="utf-8") + "\nsurprise: 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="surprise"):
        weights(broken)


def test_the_stop_words_hold_both_languages() -> None:
    assert {"i", "pa", "for", "om", "med", "av", "og", "er", "det", "the", "of", "with", "in", "and", "to",
            "does"} <= STOP_WORDS  # fmt: skip


JUDGED = load_queries()


@pytest.mark.parametrize("judged", JUDGED, ids=[j.q for j in JUDGED])
def test_every_judged_query_finds_something(build: OpenBuild, judged: object, corpus: Corpus) -> None:
    q = judged.q  # type: ignore[attr-defined]
    result = build.search(SearchRequest(q=q, per_page=10))
    assert result.total > 0, q
