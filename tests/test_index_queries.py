"""Search over a small real index: every query feature, ranking, paging, facets, highlights, suggestions and
the errors a malformed query gets. The index holds tests/data/index/queries.bib (each entry there exists
for one of these tests) and the knowledge base's three recommendations (for type:, grade:, strength:)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from index import OpenBuild, SearchRequest, SearchResult, build_index
from index.builds import current_build
from index.documents import TEXT_FIELDS as DEFAULT_FIELDS
from mtkb.corpus import Corpus
from mtkb.errors import QueryError
from mtkb.sources.bibtex import load_bibliography

QUERIES_BIB = Path(__file__).parent / "data" / "index" / "queries.bib"
REFERENCES = {
    "title_prison",
    "body_prison",
    "odegaard_rus",
    "muller_treatments",
    "english_only",
    "norsk_bare",
    "drum_sing",
    "sing_only",
    "markup",
    "xylophone",
}


def fixture_corpus(real: Corpus) -> Corpus:
    bib = load_bibliography([(QUERIES_BIB, "queries.bib")])
    assert not bib.problems, bib.problems
    recommendations = {item.id: item for item in real.of_type("recommendation")}
    return Corpus(items=recommendations, references=bib.references, version="queries-test")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus) -> OpenBuild:
    index_dir = tmp_path_factory.mktemp("queries-index")
    build_index(fixture_corpus(corpus), index_dir, prerender_citations=False)
    path = current_build(index_dir)
    assert path is not None
    return OpenBuild(path)


def search(build: OpenBuild, q: str, **kwargs: object) -> SearchResult:
    return build.search(SearchRequest(q=q, **kwargs))  # type: ignore[arg-type]


def found(build: OpenBuild, q: str, **kwargs: object) -> set[str]:
    result = search(build, q, per_page=100, **kwargs)
    assert result.total == len(result.hits)
    return {hit.id for hit in result.hits}


# ---------------------------------------------------------------- boolean operators and phrases


def test_and_or_not(build: OpenBuild) -> None:
    assert found(build, "drumming AND singing") == {"drum_sing"}
    assert found(build, "drumming singing") == {"drum_sing"}, "words are ANDed by default"
    assert found(build, "drumming OR singing") == {
        "drum_sing",
        "muller_treatments",
        "english_only",
        "title_prison",
        "body_prison",
        "sing_only",
    }
    assert found(build, "singing NOT drumming") == {"title_prison", "body_prison", "sing_only"}
    # "addiction" also means the concept, which english_only has ("dependence")
    assert found(build, "(drumming OR xylophone) AND NOT addiction") == {"drum_sing", "xylophone"}


def test_phrases_need_the_words_together_and_in_order(build: OpenBuild) -> None:
    assert found(build, '"group songwriting"') == {"drum_sing"}
    assert found(build, "group songwriting") == {"drum_sing", "sing_only"}
    assert found(build, '"singing drumming"') == set()
    assert found(build, '"drumming singing"') == {"drum_sing"}, "a stop word between does not count"


# ---------------------------------------------------------------- fields


def test_title_field(build: OpenBuild) -> None:
    assert found(build, "title:prison") == {"title_prison"}
    assert found(build, "prison", type="reference") == {"title_prison", "body_prison"}
    assert found(build, 'title:"drumming singing"') == {"drum_sing"}


def test_author_field(build: OpenBuild) -> None:
    assert found(build, "author:Larsen") == {"drum_sing", "sing_only"}
    assert found(build, "author:Kielland") == {"odegaard_rus"}
    assert found(build, "author:Larsen singing") == {"drum_sing", "sing_only"}


def test_year_ranges(build: OpenBuild) -> None:
    refs = {"type": "reference"}
    assert found(build, "year:[2010 TO 2016]", **refs) == {
        "title_prison",
        "body_prison",
        "odegaard_rus",
        "sing_only",
    }
    assert found(build, "year:{2010 TO 2016}", **refs) == {"title_prison", "body_prison"}
    assert found(build, "year:[2010 TO 2016}", **refs) == {"title_prison", "body_prison", "sing_only"}
    assert found(build, "year:[2020 TO]", **refs) == {"english_only", "norsk_bare"}
    assert found(build, "year:[TO 1990]", **refs) == {"xylophone"}
    assert found(build, "year:2015") == {"body_prison"}
    assert found(build, "singing year:[2000 TO 2011]") == {"drum_sing", "sing_only"}


def test_type_grade_strength_lang(build: OpenBuild) -> None:
    recommendations = {"musikkterapi-avrusning", "musikkterapi-psykoselidelser", "musikkterapi-rusbehandling"}
    assert found(build, "type:recommendation") == recommendations
    assert found(build, "", type="recommendation") == recommendations
    assert found(build, "", type="reference") == REFERENCES
    assert found(build, "grade:A") == {"musikkterapi-psykoselidelser"}
    assert found(build, "grade:consensus") == {"musikkterapi-rusbehandling"}
    assert found(build, "strength:strong") == {"musikkterapi-psykoselidelser"}
    assert found(build, "strength:weak") == {"musikkterapi-rusbehandling"}
    assert found(build, "lang:nb", type="reference") == {"odegaard_rus", "norsk_bare"}
    assert found(build, "lang:en", type="reference") == REFERENCES - {"odegaard_rus", "norsk_bare"}


# ---------------------------------------------------------------- ranking, sorting, paging


def test_a_title_match_ranks_above_a_body_match(build: OpenBuild) -> None:
    hits = search(build, "prison", type="reference").hits
    assert [h.id for h in hits] == ["title_prison", "body_prison"]
    assert hits[0].score is not None and hits[1].score is not None and hits[0].score > hits[1].score


def test_sort_by_year_both_ways(build: OpenBuild) -> None:
    up = [h.year for h in search(build, "singing", sort="year").hits]
    assert up == [2005, 2010, 2012, 2015]
    down = [h.id for h in search(build, "singing", sort="-year").hits]
    assert down == ["body_prison", "title_prison", "sing_only", "drum_sing"]
    assert all(h.score is None for h in search(build, "singing", sort="year").hits), "no scores when sorted"


def test_pages_partition_the_results(build: OpenBuild) -> None:
    pages = [search(build, "", type="reference", per_page=3, page=n) for n in (1, 2, 3, 4, 5)]
    assert [len(p.hits) for p in pages] == [3, 3, 3, 1, 0]
    assert all(p.total == 10 for p in pages)
    ids = [h.id for p in pages for h in p.hits]
    assert len(ids) == len(set(ids)) == 10 and set(ids) == REFERENCES


def test_paging_beyond_the_window_and_bad_parameters_are_query_errors(build: OpenBuild) -> None:
    for request in (
        SearchRequest(q="x", page=0),
        SearchRequest(q="x", per_page=101),
        SearchRequest(q="x", page=200, per_page=100),
        SearchRequest(q="x", sort="title"),
        SearchRequest(q="x", type="book"),
    ):
        with pytest.raises(QueryError):
            build.search(request)


# ---------------------------------------------------------------- facets


def test_facet_counts(build: OpenBuild) -> None:
    facets = search(build, "singing").facets
    assert facets["type"] == {"reference": 4}
    assert facets["decade"] == {"2010s": 3, "2000s": 1}
    assert facets["lang"] == {"en": 4}
    assert facets["grade"] == {} and facets["strength"] == {}
    everything = search(build, "").facets
    assert everything["type"] == {"reference": 10, "recommendation": 3}
    assert everything["grade"] == {"A": 1, "consensus": 1, "unknown": 1}
    assert everything["strength"] == {"strong": 1, "unknown": 1, "weak": 1}
    assert sum(everything["lang"].values()) == 13
    assert search(build, "singing", facets=False).facets == {}


def test_facets_count_the_whole_result_not_the_page(build: OpenBuild) -> None:
    result = search(build, "", type="reference", per_page=1)
    assert len(result.hits) == 1 and result.facets["type"] == {"reference": 10}


# ---------------------------------------------------------------- highlights


def test_highlights_mark_matched_words_and_their_inflections(build: OpenBuild) -> None:
    hit = next(h for h in search(build, "sing").hits if h.id == "body_prison")
    assert "<mark>singing</mark>" in hit.snippet and "<mark>Singing</mark>" in hit.snippet
    assert "prison" in hit.snippet and "<mark>prison</mark>" not in hit.snippet
    norwegian = next(h for h in search(build, "behandling").hits if h.id == "odegaard_rus")
    assert "<mark>behandlingene</mark>" in norwegian.snippet


def test_highlights_escape_markup_in_the_content(build: OpenBuild) -> None:
    snippet = search(build, "listening").hits[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "<mark>Listening</mark>" in snippet and "&amp; more <mark>listening</mark>" in snippet
    plain = search(build, "listening", highlights=False).hits[0].snippet
    assert "<mark>" not in plain and "&lt;script&gt;" in plain


# ---------------------------------------------------------------- suggestions


def test_a_misspelling_that_finds_nothing_searches_the_correction_and_says_so(build: OpenBuild) -> None:
    result = search(build, "xylofone")
    assert result.corrected == "xylophone" and result.suggestion is None
    assert [h.id for h in result.hits] == ["xylophone"] and result.query == "xylofone"
    exact = search(build, "xylophone")
    assert exact.suggestion is None and exact.corrected is None
    plain = search(build, "xylofone", suggest=False)
    assert plain.total == 0 and plain.suggestion is None and plain.corrected is None


def test_a_misspelling_with_few_hits_gets_a_suggestion(build: OpenBuild) -> None:
    result = search(build, "xylophone OR xylofone")
    assert result.total == 1 and result.corrected is None
    assert result.suggestion == "xylophone OR xylophone"


# ---------------------------------------------------------------- malformed queries


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"music therapy', "unbalanced quotes"),
        ("(music OR rus", "unbalanced parentheses"),
        ("music) OR (rus", "unbalanced parentheses"),
        ("colour:blue", "unknown field 'colour'"),
        ("music " * 300, "longer than 1000 characters"),
        ("year:[abc TO 2010]", "not a year or a range of years"),
        ("year:[2020 TO 2010]", "starts after it ends"),
        ("year:20", "not a year"),
        ("title:", "has no value"),
        ("AND OR", "only operators"),
        ('""', "no searchable words"),
    ],
)
def test_malformed_queries_are_clear_query_errors(build: OpenBuild, text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        search(build, text)


# ---------------------------------------------------------------- the fast executor finds what whoosh finds

WHOOSH_QUERIES = [
    "singing",
    "drumming singing",
    "drumming OR xylophone",
    "singing NOT drumming",
    '"group songwriting"',
    '"drumming singing"',
    "title:prison",
    "author:Larsen",
    "singing year:[2000 TO 2013]",
    "year:{2010 TO 2016]",
    "musikkterapi",
    "music therapy",
    "rus*",
    "lang:nb",
    "type:recommendation OR grade:A",
    "NOT singing",
]


@pytest.mark.parametrize("text", WHOOSH_QUERIES)
def test_the_executor_matches_what_whoosh_matches(build: OpenBuild, text: str) -> None:
    searcher = build._searcher
    parsed = searcher.parse(text)
    expected = set(searcher._searcher.docs_for_query(parsed))
    assert set(np.flatnonzero(searcher._executor.docs(parsed)).tolist()) == expected
    assert search(build, text).total == len(expected)


def test_the_executor_scores_as_whoosh_bm25f(build: OpenBuild) -> None:
    searcher = build._searcher
    for text in ("prison", "singing drumming", "music therapy"):
        parsed = searcher.parse(text)
        ours = searcher._executor.scores(parsed)
        assert ours is not None
        theirs = {hit.docnum: hit.score for hit in searcher._searcher.search(parsed, limit=None)}
        for doc, score in theirs.items():
            if isinstance(parsed, (wq.Or, wq.Term)):  # whoosh's And and phrases score differently
                assert ours[doc] == pytest.approx(score, rel=1e-6)
            else:
                assert ours[doc] > 0


def test_plain_words_are_built_as_whoosh_parses_them(build: OpenBuild) -> None:
    """A plain word's query (index.natural.Planner.word: one term per field) is the very query whoosh's
    parser builds for it, and words together are the parser's And of them."""
    import random
    import re

    from index.querytext import rewrite

    searcher = build._searcher
    planner = searcher._planner

    def plain_words(text: str) -> wq.Query | None:
        words = text.split()
        if not all(re.fullmatch(r"[^\W_]+", w) for w in words):
            return None
        if any(len(planner.terms(f, w)) > 1 for w in words for f in DEFAULT_FIELDS):
            return None
        groups = [planner.word(w) for w in words]
        return wq.And(groups).normalize()

    words = sorted(searcher._spelling[1])[:3000] + [
        "the", "og", "i", "a", "music", "Music", "MUSIC", "Ødegaard", "odegaard", "Jörg", "2015", "a1",
        "rus", "x", "ÆØÅ", "naïve", "straße", "İstanbul", "treatments", "behandlingen",
    ]  # fmt: skip
    rng = random.Random(7)
    queries = words + [" ".join(rng.sample(words, rng.randint(2, 4))) for _ in range(2000)]
    compared = 0
    for text in queries:
        fast = plain_words(text) if rewrite(text) == text else None
        if fast is None:
            continue
        compared += 1
        assert fast == searcher._parser.parse(text).normalize(), text
    assert compared > 2000
