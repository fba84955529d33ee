"""Text analysis: Norwegian and English stemming, folding of names, the synonym concepts (both ways), the
language of each sentence, and the one-pass indexing path giving exactly what whoosh's analysers give."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bench import generate
from index import OpenBuild, SearchRequest, build_index
from index.analysis import (
    WordList,
    english,
    fold,
    fold_char,
    folded,
    language_of,
    norwegian,
    split_languages,
)
from index.builds import current_build
from index.concepts import concept_patterns, concepts_in
from mtkb.corpus import Corpus
from mtkb.sources.bibtex import load_bibliography

QUERIES_BIB = Path(__file__).parent / "data" / "index" / "queries.bib"


def terms(analyzer: object, text: str) -> list[str]:
    return [t.text for t in analyzer(text)]  # type: ignore[operator]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> OpenBuild:
    bib = load_bibliography([(QUERIES_BIB, "queries.bib")])
    index_dir = tmp_path_factory.mktemp("analysis-index")
    build_index(Corpus(references=bib.references, version="analysis"), index_dir, prerender_citations=False)
    path = current_build(index_dir)
    assert path is not None
    return OpenBuild(path)


def found(build: OpenBuild, q: str) -> set[str]:
    return {h.id for h in build.search(SearchRequest(q=q, per_page=100)).hits}


# ---------------------------------------------------------------- stemming


def test_norwegian_stemming() -> None:
    nb = norwegian()
    assert terms(nb, "rusbehandlingen") == terms(nb, "rusbehandling") == ["rusbehandling"]
    assert terms(nb, "behandlingene") == terms(nb, "behandling")
    assert terms(nb, "og i på") == [], "Norwegian stop words"


def test_english_stemming() -> None:
    en = english()
    assert terms(en, "treatments") == terms(en, "treatment")
    assert terms(en, "singing") == terms(en, "sing")
    assert terms(en, "the of and") == [], "English stop words"


def test_stemming_finds_inflected_forms(build: OpenBuild) -> None:
    assert found(build, "title:rusbehandling") == {"odegaard_rus"}, "Norwegian: the definite form is indexed"
    assert found(build, "behandling") == {"odegaard_rus"}, "Norwegian: behandlingene"
    assert found(build, "treatment") == {"muller_treatments"}, "English: treatments"
    assert found(build, "sing") >= {"drum_sing", "sing_only", "body_prison"}


# ---------------------------------------------------------------- names with and without diacritics


def test_fold() -> None:
    assert fold("Ødegaard") == "odegaard"
    assert fold("Jörg") == "jorg"
    assert fold("Bræin Åse Müller") == "braein ase muller"
    assert fold("plain ascii") == "plain ascii"


def test_authors_match_with_and_without_diacritics(build: OpenBuild) -> None:
    assert found(build, "author:Odegaard") == found(build, "author:Ødegaard") == {"odegaard_rus"}
    assert found(build, "author:Jorg") == found(build, "author:Jörg") == {"muller_treatments"}
    assert found(build, "author:Muller") == {"muller_treatments"}
    assert found(build, "author:Ase") == {"odegaard_rus"}, "LaTeX {\\AA} decoded, then folded"
    assert found(build, "Odegaard") == {"odegaard_rus"}, "names are searched without a field too"


def test_fold_is_fold_char_of_each_lowercased_character_and_final() -> None:
    assert (
        fold_char("ǿ") == "o" and fold_char("æ") == "ae" and fold_char("ß") == "ss" and fold_char("é") == "e"
    )
    rng = random.Random(5)
    alphabet = [chr(c) for c in [*range(32, 0x250), *range(0x1E00, 0x1F00), 0x130, 0x3A3, 0x2163, 0xFB01]]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        expected = "".join(fold_char(c) for c in text.lower())
        assert fold(text) == expected, repr(text)
        assert fold(expected) == expected, repr(text)


# ---------------------------------------------------------------- synonyms, both ways


def test_a_norwegian_query_finds_english_references(build: OpenBuild) -> None:
    assert "english_only" in found(build, "musikkterapi")
    assert "english_only" in found(build, "rus")
    assert "english_only" in found(build, "rusmiddel")
    assert "english_only" in found(build, "avhengighet")


def test_an_english_query_finds_norwegian_references(build: OpenBuild) -> None:
    assert "norsk_bare" in found(build, '"music therapy"')
    assert "norsk_bare" in found(build, "music therapy")
    assert "norsk_bare" in found(build, '"substance use"')
    assert "norsk_bare" in found(build, "addiction")
    assert "norsk_bare" in found(build, "dependence")
    assert "norsk_bare" in found(build, "craving"), "sug"


def test_synonyms_do_not_match_inside_other_words(build: OpenBuild) -> None:
    assert "norsk_bare" not in found(build, "music"), "one word of a phrase is not the concept"
    assert concepts_in("rusten sykkel") == [], "rus* is not a prefix; rusen is listed, rusten is not"
    assert concepts_in("xmusic therapy") == []


def test_concepts_in_agrees_with_the_synonym_regexes() -> None:
    texts = [e.fields["title"] + " " + e.fields["abstract"] for e in generate.records(1500)]
    texts += [
        "Music   therapy\nfor SUBSTANCE use disorders",
        "music-based interventions",
        "a meta-analysis",
        "Systematisk  oversikt",
        "music therapists and service user experiences",
        "musikkterapeutene",
    ]
    for text in texts:
        expected = [c for c, pattern in concept_patterns() if pattern.search(fold(text))]
        assert concepts_in(text) == expected, text


# ---------------------------------------------------------------- languages


def test_sentences_go_to_the_field_of_their_language() -> None:
    text = "Pasientene fikk spille i band og synge med de andre. The patients played in a band."
    nb, en = split_languages(text, "nb")
    assert "Pasientene" in nb and "patients" not in nb
    assert "patients" in en and "Pasientene" not in en
    assert split_languages("Musikkterapi og rus.", "en") == ("Musikkterapi og rus.", "")
    assert split_languages("Music therapy and substance use.", "nb") == (
        "",
        "Music therapy and substance use.",
    )
    assert split_languages("Rusfag", "nb") == ("Rusfag", ""), "undecided: the record's language"
    assert split_languages("Rusfag", "en") == ("", "Rusfag")


def test_the_language_of_a_short_text() -> None:
    assert language_of("The patients played in a band.", "nb") == "en"
    assert language_of("Pasientene spilte i band og sang.", "en") == "nb"
    assert language_of("Pasientane spelte ikkje i band.", "nn") == "nn"
    assert language_of("Rusfag", "en") == "en" and language_of("Rusfag", "nb") == "nb", (
        "undecided: the default"
    )


# ---------------------------------------------------------------- the one-pass path equals whoosh's chain


def _chain_terms(analyzer: object, text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for token in analyzer.chain(text, positions=True, mode="index"):  # type: ignore[attr-defined]
        if not token.stopped:
            out.setdefault(token.text, []).append(token.pos)
    return out


@pytest.mark.parametrize("analyzer", [norwegian(), english(), folded(), WordList()], ids=repr)
def test_index_terms_equal_the_whoosh_chain(analyzer: object) -> None:
    texts = [e.fields["title"] + " " + e.fields["abstract"] for e in generate.records(300)]
    texts += [
        "",
        "the a I of",
        "İstanbul İSTANBUL the music",
        "e.g. 10.5555 foo*bar x y",
        "Ødegaard, Jörg and the rusbehandlingen",
        "a a music a therapy the",
        "Élan ÉLAN straße STRASSE",
        "tabs\tand\nnew lines",
    ]
    for text in texts:
        assert analyzer.index_terms(text) == _chain_terms(analyzer, text), text  # type: ignore[attr-defined]


def test_the_fast_analysers_survive_pickling_as_the_schema_does() -> None:
    import pickle

    for analyzer in (norwegian(), english(), folded(), WordList()):
        again = pickle.loads(pickle.dumps(analyzer))
        assert again == analyzer
        assert again.index_terms("Rusbehandlingen og music therapy") == analyzer.index_terms(
            "Rusbehandlingen og music therapy"
        )


def test_word_pattern_is_whooshs() -> None:
    from whoosh.analysis.tokenizers import default_pattern

    from index.analysis import WORD

    sample = "a*b c.d e..f 10.5 x_y Ø-å"
    assert WORD.findall(sample) == [m.group(0) for m in default_pattern.finditer(sample)]
    assert re.compile(WORD.pattern).groups == 0
