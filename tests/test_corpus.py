"""The corpus: cross-checks between files (ids, links, reference keys), each problem at its file and line;
relations derived; a content version that follows the files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mtkb.corpus import Corpus, load_corpus
from mtkb.errors import ContentError
from mtkb.records import Evidence, Guideline, Service

from .conftest import DATA

VALID = DATA / "content" / "valid"
BROKEN = DATA / "content" / "broken"


@pytest.fixture(scope="module")
def valid() -> Corpus:
    return load_corpus(VALID / "kb", VALID / "references")


@pytest.fixture(scope="module")
def broken() -> Corpus:
    return load_corpus(BROKEN / "kb", BROKEN / "references")


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the only line in the file at `path` that contains `needle`."""
    found = [i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {path}"
    return found[0]


def problems_of(corpus: Corpus, display: str) -> list[str]:
    return [str(p) for p in corpus.problems if p.path == display]


# ---------------------------------------------------------------- the valid set


def test_valid_set_has_no_problems(valid: Corpus) -> None:
    assert valid.problems == []
    assert valid.counts() == {
        "guideline": 1,
        "recommendation": 1,
        "evidence": 2,
        "report": 1,
        "fact": 1,
        "service": 1,
        "reference": 5,
    }
    assert valid.entries_seen == 12
    valid.raise_for_problems()  # nothing to raise


def test_guideline_lists_its_recommendations(valid: Corpus) -> None:
    guideline = valid.items["test-retningslinje"]
    assert isinstance(guideline, Guideline)
    assert guideline.recommendations == ("test-anbefaling",)


def test_service_lists_its_reports(valid: Corpus) -> None:
    service = valid.items["test-tilbud"]
    assert isinstance(service, Service)
    assert service.reports == ("test-rapport-2019",)
    assert service.county == "Rogaland" and service.levels == ("kommune",)
    assert valid.references["roe2019report"].cited_by == ("test-rapport-2019", "test-tilbud")


def test_evidence_knows_what_it_supersedes(valid: Corpus) -> None:
    newer, older = valid.items["test-oversikt-2022"], valid.items["test-oversikt-2016"]
    assert isinstance(newer, Evidence) and isinstance(older, Evidence)
    assert newer.supersedes == ("test-oversikt-2016",)
    assert older.supersedes == ()
    assert older.superseded_by == "test-oversikt-2022"


def test_references_know_who_cites_them(valid: Corpus) -> None:
    cited_by = {key: ref.cited_by for key, ref in valid.references.items()}
    assert cited_by == {
        # the guideline's own `reference` field counts, as do references:, citation_reference and the body
        "test2016guide": ("test-anbefaling", "test-retningslinje"),
        "doe2010book": ("test-anbefaling",),  # guideline_references and two citations: once
        "roe2022review": ("test-anbefaling", "test-oversikt-2022"),
        "roe2019report": ("test-rapport-2019", "test-tilbud"),
        "unused2020web": (),
    }


def test_aliases_point_at_current_ids(valid: Corpus) -> None:
    assert valid.aliases == {"gammel-retningslinje": "test-retningslinje"}


def test_of_type(valid: Corpus) -> None:
    assert sorted(item.id for item in valid.of_type("evidence")) == [
        "test-oversikt-2016",
        "test-oversikt-2022",
    ]


def test_origins_are_relative_to_the_content_folders(valid: Corpus) -> None:
    assert valid.items["test-kode"].origin.path == "kb/facts/test-kode.md"
    assert valid.references["roe2019report"].origin.path == "references/test.bib"


# ---------------------------------------------------------------- the broken set, problem by problem


def test_broken_set_keeps_every_good_record(broken: Corpus) -> None:
    assert sorted(broken.items) == [
        "god-anbefaling",
        "god-fakta",
        "god-oversikt",
        "god-rapport",
        "god-retningslinje",
    ]
    assert sorted(broken.references) == [
        "extra2021",
        "good2019report",
        "good2020",
        "syntaxok1",
        "syntaxok2",
        "uncited2018",
    ]
    assert broken.entries_seen == 16 + 8  # Markdown files + BibTeX entries
    with pytest.raises(ContentError) as info:
        broken.raise_for_problems()
    assert info.value.problems == broken.problems


def test_problems_sorted_by_file_and_line(broken: Corpus) -> None:
    assert broken.problems == sorted(broken.problems, key=lambda p: (p.path, p.line))


def test_duplicate_id_across_files(broken: Corpus) -> None:
    assert problems_of(broken, "kb/guidelines/b-dobbel-id.md") == [
        "kb/guidelines/b-dobbel-id.md:2: id 'god-retningslinje' is already the id of "
        "kb/guidelines/a-god-retningslinje.md:1"
    ]
    assert broken.items["god-retningslinje"].title == "God retningslinje"  # the first one stays


def test_alias_clashing_with_an_alias(broken: Corpus) -> None:
    path = BROKEN / "kb" / "guidelines" / "c-dobbelt-alias.md"
    assert problems_of(broken, "kb/guidelines/c-dobbelt-alias.md") == [
        f"kb/guidelines/c-dobbelt-alias.md:{line_of(path, '- gammel-retningslinje')}: alias "
        "'gammel-retningslinje' is already an alias of 'god-retningslinje' "
        "(kb/guidelines/a-god-retningslinje.md:1)"
    ]
    assert "eget-alias" not in broken.aliases  # a rejected item's aliases are not served either


def test_id_clashing_with_an_alias(broken: Corpus) -> None:
    assert problems_of(broken, "kb/guidelines/d-id-er-alias.md") == [
        "kb/guidelines/d-id-er-alias.md:2: id 'gammel-retningslinje' is already an alias of "
        "'god-retningslinje' (kb/guidelines/a-god-retningslinje.md:1)"
    ]
    assert broken.aliases == {"gammel-retningslinje": "god-retningslinje"}


def test_unknown_cited_key_at_the_line_of_the_citation(broken: Corpus) -> None:
    path = BROKEN / "kb" / "evidence" / "ukjent-sitat.md"
    assert problems_of(broken, "kb/evidence/ukjent-sitat.md") == [
        f"kb/evidence/ukjent-sitat.md:{line_of(path, '@nosuchkey')}: unknown reference key 'nosuchkey'"
    ]
    assert "ukjent-sitat" not in broken.items


def test_unknown_key_in_references_at_the_line_of_the_field(broken: Corpus) -> None:
    path = BROKEN / "kb" / "evidence" / "ukjent-referanse.md"
    assert problems_of(broken, "kb/evidence/ukjent-referanse.md") == [
        f"kb/evidence/ukjent-referanse.md:{line_of(path, 'references:')}: unknown reference key 'missing2019'"
    ]


def test_broken_superseded_by(broken: Corpus) -> None:
    path = BROKEN / "kb" / "evidence" / "erstattet-feil.md"
    assert problems_of(broken, "kb/evidence/erstattet-feil.md") == [
        f"kb/evidence/erstattet-feil.md:{line_of(path, 'superseded_by:')}: superseded_by: evidence "
        "'finnes-ikke' does not exist"
    ]


def test_broken_guideline_link(broken: Corpus) -> None:
    path = BROKEN / "kb" / "recommendations" / "feil-retningslinje.md"
    assert problems_of(broken, "kb/recommendations/feil-retningslinje.md") == [
        f"kb/recommendations/feil-retningslinje.md:{line_of(path, 'guideline:')}: guideline: guideline "
        "'finnes-ikke' does not exist"
    ]


def test_broken_evidence_considered_at_the_line_of_the_entry(broken: Corpus) -> None:
    path = BROKEN / "kb" / "recommendations" / "feil-evidens.md"
    assert problems_of(broken, "kb/recommendations/feil-evidens.md") == [
        f"kb/recommendations/feil-evidens.md:{line_of(path, '- mangler-oversikt')}: evidence_considered: "
        "evidence 'mangler-oversikt' does not exist"
    ]


def test_link_to_an_item_of_the_wrong_type(broken: Corpus) -> None:
    path = BROKEN / "kb" / "recommendations" / "feil-type.md"
    assert problems_of(broken, "kb/recommendations/feil-type.md") == [
        f"kb/recommendations/feil-type.md:{line_of(path, 'guideline:')}: guideline: guideline 'god-oversikt' "
        "is of type 'evidence', not 'guideline'"
    ]


def test_item_linking_to_a_rejected_item_is_rejected_too(broken: Corpus) -> None:
    path = BROKEN / "kb" / "recommendations" / "peker-pa-forkastet.md"
    assert problems_of(broken, "kb/recommendations/peker-pa-forkastet.md") == [
        f"kb/recommendations/peker-pa-forkastet.md:{line_of(path, 'newer_evidence:')}: newer_evidence: "
        "evidence 'erstattet-feil' was rejected (see its own problems)"
    ]
    assert "erstattet-feil" not in broken.items and "peker-pa-forkastet" not in broken.items


def test_invalid_file_reported_and_skipped(broken: Corpus) -> None:
    assert problems_of(broken, "kb/facts/mangler-felt.md") == [
        "kb/facts/mangler-felt.md:2: statement: Missing data for required field."
    ]


def test_bibtex_problems_reach_the_corpus(broken: Corpus) -> None:
    assert problems_of(broken, "references/second.bib") == [
        "references/second.bib:3: duplicate entry key 'good2020' (first at references/good.bib:3)"
    ]
    assert [p.line for p in broken.problems if p.path == "references/syntax.bib"] == [7]
    assert broken.references["good2020"].title == "A good article"


def test_relations_only_between_served_items(broken: Corpus) -> None:
    guideline = broken.items["god-retningslinje"]
    assert isinstance(guideline, Guideline)
    assert guideline.recommendations == ("god-anbefaling",)  # not the rejected ones
    assert broken.references["good2020"].cited_by == ("god-anbefaling", "god-oversikt", "god-retningslinje")


def test_every_problem_is_counted_once(broken: Corpus) -> None:
    assert len(broken.problems) == len(set(broken.problems)) == 11 + 2  # one per rejected file or entry


# ---------------------------------------------------------------- small cases built on the fly


def copy_valid(tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(VALID, tmp_path / "content")
    return tmp_path / "content" / "kb", tmp_path / "content" / "references"


def test_self_supersession_is_refused(tmp_path: Path) -> None:
    kb, refs = copy_valid(tmp_path)
    path = kb / "evidence" / "test-oversikt-2022.md"
    path.write_text(path.read_text().replace("superseded_by: null", "superseded_by: test-oversikt-2022"))
    corpus = load_corpus(kb, refs)
    line = line_of(path, "superseded_by:")
    assert (
        f"kb/evidence/test-oversikt-2022.md:{line}: "
        "superseded_by: evidence 'test-oversikt-2022' is the item itself" in [str(p) for p in corpus.problems]
    )
    # and everything that links to it goes with it
    assert "test-oversikt-2022" not in corpus.items and "test-anbefaling" not in corpus.items
    assert "test-oversikt-2016" not in corpus.items


def test_unknown_guideline_reference_is_a_problem(tmp_path: Path) -> None:
    kb, refs = copy_valid(tmp_path)
    path = kb / "guidelines" / "test-retningslinje.md"
    path.write_text(path.read_text().replace("reference: test2016guide", "reference: nosuch2016"))
    corpus = load_corpus(kb, refs)
    assert [str(p) for p in corpus.problems if "guidelines" in p.path] == [
        f"kb/guidelines/test-retningslinje.md:{line_of(path, 'reference: nosuch2016')}: "
        "unknown reference key 'nosuch2016'"
    ]


def test_first_citation_of_an_unknown_key_is_named(tmp_path: Path) -> None:
    kb, refs = copy_valid(tmp_path)
    (refs / "test.bib").write_text(
        (refs / "test.bib").read_text().replace("@book{doe2010book", "@book{doe2011")
    )
    corpus = load_corpus(kb, refs)
    path = kb / "recommendations" / "test-anbefaling.md"
    assert [str(p) for p in corpus.problems] == [
        f"kb/recommendations/test-anbefaling.md:{line_of(path, '[@doe2010book, p. 32]')}: "
        "unknown reference key 'doe2010book'"
    ]


def test_missing_folders_give_an_empty_corpus(tmp_path: Path) -> None:
    corpus = load_corpus(tmp_path / "no-kb", tmp_path / "no-refs")
    assert corpus.items == {} and corpus.references == {} and corpus.problems == []


def test_content_version_follows_the_files(tmp_path: Path) -> None:
    kb, refs = copy_valid(tmp_path)
    first = load_corpus(kb, refs).version
    assert len(first) == 16
    assert load_corpus(kb, refs).version == first  # stable

    fact = kb / "facts" / "test-kode.md"
    fact.write_text(fact.read_text().replace("value: IBBE00", "value: IBBE10"))
    changed = load_corpus(kb, refs).version
    assert changed != first

    bib = refs / "test.bib"
    bib.write_text(bib.read_text() + "\n% a comment\n")
    again = load_corpus(kb, refs).version
    assert again not in (first, changed)

    (kb / "facts" / "ny.md").write_text(fact.read_text().replace("id: test-kode", "id: ny"))
    assert load_corpus(kb, refs).version not in (first, changed, again)


def test_content_version_does_not_depend_on_the_checkout_folder(tmp_path: Path, valid: Corpus) -> None:
    kb, refs = copy_valid(tmp_path)
    assert load_corpus(kb, refs).version == valid.version
