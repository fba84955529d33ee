"""Internal pointers (mtkb.pointers): what is one and what is not; `mtkb check` names each by file:line."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskCliRunner

from mtkb.corpus import load_corpus
from mtkb.pointers import FIELD_NAMES, find_pointers
from mtkb.schemas import schema_for

from .conftest import DATA

POINTERS = DATA / "content" / "pointers"


@pytest.mark.parametrize(
    "text",
    [
        "seed 002",
        "Seed-004",
        "seeds 000 and 002",
        "se shared/sources/FACTS.md",
        "../shared/seeds/000.txt",
        "verified-refs.bib, ncmp_ibbe00",
        "FACTS.md, caution 5",
        "rusfeltet.no (RF-SAND)",
        "HDIR-MT",
        "[V:EBIN front matter]",
        "Ordlyden står i feltet `wording`.",
        "Feltet participants_scope er satt.",
        "the field `themes` lists them",
        "se <code>valid_from</code>",
        "participants_scope is controlled",
    ],
)
def test_pointer_found(text: str) -> None:
    assert find_pointers(text), text


@pytest.mark.parametrize(
    "text",
    [
        "IS-2211, IS-1957, IBBE00, IBBE10 og IBBE20",
        "doi 10.1002/14651858.CD012576.pub3, PMID 28553702, CD004025",
        "Dok. 8:97 S (2016–2017) og Innst. 449 S (2016–2017)",
        "PLOS ONE 12(11): e0187363",
        "PLOS: Effects of music therapy, https://journals.plos.org/plosone/article",
        "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0187363",
        "https://example.org/shared/report.pdf",
        "field studies and field trials",
        "a seeded random sample of 20 sessions",
        "Helsedirektoratet (2016), stort behov, syk",
    ],
)
def test_public_identifiers_and_words_are_not_pointers(text: str) -> None:
    assert find_pointers(text) == [], text


def test_field_names_come_from_the_schemas() -> None:
    assert {"wording", "participants_scope", "summary_en", "themes", "valid_from"} <= set(FIELD_NAMES)


def test_corpus_reports_every_pointer_with_its_line() -> None:
    corpus = load_corpus(POINTERS / "kb", POINTERS / "references")
    found = {(p.path, p.line, p.message.split(":")[0]) for p in corpus.problems}
    assert found == {
        ("kb/facts/peker.md", 6, "summary_en"),
        ("kb/facts/peker.md", 12, "verification.sources.1"),
        ("kb/facts/peker.md", 15, "corrections.0.text"),
        ("kb/facts/peker.md", 16, "corrections.0.source"),
        ("kb/facts/peker.md", 24, "body"),
        ("references/peker.bib", 8, "mtkb_sources"),
    }
    assert len(corpus.problems) == 11
    # the records are still there (a --keep-going build serves them); the check and a strict build refuse
    assert set(corpus.items) == {"peker"} and set(corpus.references) == {"peker2020"}


def test_check_prints_path_line_message_and_fails(runner: FlaskCliRunner) -> None:
    args = ["check", "--kb", str(POINTERS / "kb"), "--references", str(POINTERS / "references")]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if re.match(r"^\S+:\d+: ", line)]
    assert len(lines) == 11
    assert "kb/facts/peker.md:24: body: names a seed page by its number: 'seed-004'" in lines
    assert "references/peker.bib:8: mtkb_sources: names a source key of verified-refs.bib: 'HDIR-MT'" in lines


def test_verification_sources_keys_must_exist_and_are_served_structured() -> None:
    sources = DATA / "content" / "sources"
    corpus = load_corpus(sources / "kb", sources / "references")
    assert [str(p) for p in corpus.problems] == [
        "kb/facts/ukjent-kilde.md:11: verification.sources: unknown reference key 'roe2019ukjent'"
    ]
    dumped = schema_for("fact").dump(corpus.items["kilder"])["verification"]["sources"]
    assert dumped == [
        {"key": "doe2020side", "citation": None, "intext": None, "text": None, "url": None},
        {
            "key": None,
            "citation": None,
            "intext": None,
            "text": "Fagrådet: Musikkterapi",
            "url": "https://www.rusfeltet.no/musikkterapi",
        },
    ]
    reloaded = schema_for("fact").load(schema_for("fact").dump(corpus.items["kilder"]), unknown="exclude")
    assert reloaded["verification"].sources == corpus.items["kilder"].verification.sources
