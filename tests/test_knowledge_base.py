"""The real knowledge base: every headline number and claim, read from the loaded records (never from
prose), checked against the public records named in each test."""

from __future__ import annotations

import re
from datetime import date

import pytest

from mtkb.corpus import Corpus
from mtkb.records import Evidence, Fact, Guideline, Person, Recommendation, Reference, Report, Verification

RUS = "musikkterapi-rusbehandling"
PSYKOSE = "musikkterapi-psykoselidelser"
GAMUT = "gamut-oversikt-2016"
COCHRANE = "cochrane-2022-rus"


def evidence(corpus: Corpus, item_id: str) -> Evidence:
    item = corpus.items[item_id]
    assert isinstance(item, Evidence)
    return item


def recommendation(corpus: Corpus, item_id: str) -> Recommendation:
    item = corpus.items[item_id]
    assert isinstance(item, Recommendation)
    return item


def fact(corpus: Corpus, item_id: str) -> Fact:
    item = corpus.items[item_id]
    assert isinstance(item, Fact)
    return item


# ---------------------------------------------------------------- the corpus as a whole


def test_no_problems(corpus: Corpus) -> None:
    assert [str(p) for p in corpus.problems] == []


def test_counts(corpus: Corpus) -> None:
    counts = corpus.counts()
    assert counts["guideline"] >= 3
    assert counts["recommendation"] >= 3
    assert counts["evidence"] >= 7
    assert counts["report"] >= 7
    assert counts["fact"] >= 8
    assert counts["reference"] >= 25
    assert corpus.entries_seen == len(corpus.items) + len(corpus.references)  # nothing rejected


def test_every_item_has_a_verification_block(corpus: Corpus) -> None:
    for item in corpus.items.values():
        assert isinstance(item.verification, Verification), item.id
        assert item.verification.status in ("verified", "reported", "unverified"), item.id
        assert item.verification.sources, f"{item.id} names no source"


def test_every_reference_says_how_it_was_checked(corpus: Corpus) -> None:
    for ref in corpus.references.values():
        assert ref.verification in ("verified", "reported", "unverified"), ref.key
        assert ref.sources, f"{ref.key} names no source"


@pytest.mark.parametrize("item_type", ["recommendation", "evidence"])
def test_summary_en_on_recommendations_and_evidence(corpus: Corpus, item_type: str) -> None:
    items = corpus.of_type(item_type)
    assert items
    for item in items:
        assert item.summary_en and item.summary_en.strip(), item.id


# ---------------------------------------------------------------- GAMUT 2016 and Cochrane 2022


def test_gamut_overview_numbers(corpus: Corpus) -> None:
    gamut = evidence(corpus, GAMUT)
    assert (gamut.studies, gamut.controlled_studies, gamut.participants) == (17, 11, 863)
    # the 863 participants belong to the 11 controlled studies, not to all 17
    assert gamut.participants_scope == "controlled"
    assert gamut.year == 2016


def test_gamut_overview_is_preliminary_unpublished_and_superseded(corpus: Corpus) -> None:
    gamut = evidence(corpus, GAMUT)
    assert gamut.status == "preliminary"
    assert gamut.published is False
    assert gamut.reference is None  # unpublished: nothing to cite
    assert gamut.superseded_by == COCHRANE
    assert evidence(corpus, COCHRANE).supersedes == (GAMUT,)


def test_cochrane_2022_numbers(corpus: Corpus) -> None:
    cochrane = evidence(corpus, COCHRANE)
    assert (cochrane.studies, cochrane.participants, cochrane.participants_scope) == (21, 1984, "all")
    assert (cochrane.year, cochrane.status, cochrane.published) == (2022, "published", True)
    assert cochrane.search_date == date(2021, 2, 1)
    assert cochrane.superseded_by is None
    assert cochrane.reference == "ghetti2022cochrane"


def test_cochrane_2022_craving(corpus: Corpus) -> None:
    craving = {o.name: o for o in evidence(corpus, COCHRANE).outcomes}["craving"]
    assert craving.measure == "SMD"
    assert (craving.value, craving.ci_low, craving.ci_high) == (-0.66, -1.23, -0.10)
    assert (craving.studies, craving.participants) == (3, 254)
    assert craving.certainty == "moderate"


def test_cochrane_2022_motivation_and_depression(corpus: Corpus) -> None:
    outcomes = {o.name: o for o in evidence(corpus, COCHRANE).outcomes}
    motivation = next(o for name, o in outcomes.items() if name.startswith("motivation"))
    assert (motivation.measure, motivation.value, motivation.ci_low, motivation.ci_high) == (
        "SMD",
        0.41,
        0.21,
        0.61,
    )
    assert (motivation.studies, motivation.participants) == (5, 408)
    assert motivation.certainty == "moderate"
    depression = outcomes["depression"]
    # summary-of-findings table 1 of PMC9082681: -0.33 (-0.72 to 0.07), 100 participants (3 RCTs), moderate
    assert (depression.value, depression.ci_low, depression.ci_high) == (-0.33, -0.72, 0.07)
    assert (depression.studies, depression.participants, depression.certainty) == (3, 100, "moderate")
    assert "no clear" in (depression.summary or "").lower()  # no clear evidence of benefit


def test_ghetti_reference(corpus: Corpus) -> None:
    ref = corpus.references["ghetti2022cochrane"]
    assert ref.doi == "10.1002/14651858.CD012576.pub3"
    # Cochrane Database Syst Rev 2022 May 9;2022(5):CD012576 (PubMed Central PMC9082681)
    assert (ref.volume, ref.number, ref.pages, ref.fields.get("pmcid")) == (
        "2022",
        "5",
        "CD012576",
        "PMC9082681",
    )
    assert ref.title == "Music therapy for people with substance use disorders"
    assert [p.family for p in ref.authors] == [
        "Ghetti",
        "Chen",
        "Brenner",
        "Hakvoort",
        "Lien",
        "Fachner",
        "Gold",
    ]
    assert COCHRANE in ref.cited_by


# ---------------------------------------------------------------- the substance use recommendation


def test_rus_recommendation_last_professional_change(corpus: Corpus) -> None:
    assert recommendation(corpus, RUS).last_professional_change == date(2017, 1, 24)


def test_rus_recommendation_wording_quoted_verbatim(corpus: Corpus) -> None:
    wording = recommendation(corpus, RUS).wording
    assert wording.status == "quoted"
    assert wording.text == (
        "Det foreslås at det tilrettelegges for bruk av musikkterapi til pasienter/brukere som ønsker dette. "
        "Musikkterapi vil være relevant i tverrfaglig spesialisert rusbehandling, i kriminalomsorg og i "
        "kommunale tjenester."
    )
    assert wording.source and wording.source.startswith("https://www.helsedirektoratet.no/")


def test_rus_recommendation_strength_and_grade(corpus: Corpus) -> None:
    rec = recommendation(corpus, RUS)
    assert (rec.strength.value, rec.strength.basis, rec.strength.source_words) == (
        "weak",
        "inferred",
        "Det foreslås",
    )
    assert (rec.grade.system, rec.grade.term, rec.grade.code) == (
        "Helsedirektoratet",
        "Konsensus",
        "consensus",
    )


def test_rus_recommendation_settings(corpus: Corpus) -> None:
    assert {"TSB", "kriminalomsorg", "kommunale tjenester"} <= set(recommendation(corpus, RUS).settings)


def test_rus_recommendation_evidence_considered_and_newer(corpus: Corpus) -> None:
    rec = recommendation(corpus, RUS)
    assert rec.evidence_considered == (GAMUT,)
    # Hohmann et al. came out in PLoS ONE 12(11), November 2017: after the last professional change
    assert rec.newer_evidence == (COCHRANE, "hohmann-2017-oversikt")


def test_rus_recommendation_guideline_references(corpus: Corpus) -> None:
    rec = recommendation(corpus, RUS)
    assert rec.guideline_references == (
        "aldridge2010music",
        "dale2015rusfag",
        "kielland2015kommunalt",
        "mays2008tunes",
    )
    for key in rec.guideline_references:
        assert RUS in corpus.references[key].cited_by


def test_rus_recommendation_belongs_to_its_guideline(corpus: Corpus) -> None:
    rec = recommendation(corpus, RUS)
    guideline = corpus.items[rec.guideline]
    assert isinstance(guideline, Guideline)
    assert RUS in guideline.recommendations
    assert (guideline.year, guideline.published, guideline.recommendations_total) == (
        2016,
        date(2016, 3, 2),
        58,
    )
    assert (rec.licence, rec.attribution) == ("NLOD", "Helsedirektoratet")


def test_newer_evidence_is_newer_and_considered_evidence_is_not(corpus: Corpus) -> None:
    for rec in corpus.of_type("recommendation"):
        assert isinstance(rec, Recommendation)
        if rec.last_professional_change is None:
            continue
        for item_id in rec.newer_evidence:
            item = evidence(corpus, item_id)
            month = corpus.references[item.reference].month if item.reference else None
            published = (item.year, month or 12)
            changed = (rec.last_professional_change.year, rec.last_professional_change.month)
            assert published > changed, (rec.id, item_id)
        for item_id in rec.evidence_considered:
            assert evidence(corpus, item_id).year <= rec.last_professional_change.year, (rec.id, item_id)


# ---------------------------------------------------------------- the psychosis recommendation and guidelines


def test_psychosis_recommendation_grade_a_level_1a(corpus: Corpus) -> None:
    rec = recommendation(corpus, PSYKOSE)
    assert (rec.grade.term, rec.grade.level, rec.grade.code) == ("A", "1a", "A")
    assert rec.strength.value == "strong"


def test_psychosis_recommendation_wording(corpus: Corpus) -> None:
    wording = recommendation(corpus, PSYKOSE).wording
    assert wording.status == "quoted"
    assert wording.text == (
        "Musikkterapi fremmer tilfriskning, og behandlingen bør starte i en så tidlig fase som mulig med "
        "henblikk på å redusere negative symptomer. Behandlingen må utføres av terapeuter med godkjent "
        "utdanning innen musikkterapi."
    )
    # quoted from Helsedirektoratet's IS-1957 (its Helsebiblioteket edition), not from a page quoting it
    assert wording.source and wording.source.startswith(
        "https://www.helsebiblioteket.no/retningslinjer/psykoselidelser/"
    )


@pytest.mark.parametrize(
    ("item_id", "identifier", "year", "total"),
    [
        ("psykoselidelser-utredning-behandling", "IS-1957", 2013, None),
        ("avrusning-rusmidler-vanedannende-legemidler", "IS-2211", 2016, 92),
        ("rus-behandling-rehabilitering", None, 2016, 58),  # its IS number is unknown, and stays unknown
    ],
)
def test_guidelines(
    corpus: Corpus, item_id: str, identifier: str | None, year: int, total: int | None
) -> None:
    guideline = corpus.items[item_id]
    assert isinstance(guideline, Guideline)
    assert (guideline.identifier, guideline.year, guideline.recommendations_total) == (
        identifier,
        year,
        total,
    )
    assert (guideline.licence, guideline.attribution) == ("NLOD", "Helsedirektoratet")


# ---------------------------------------------------------------- corrections and provenance

CORRECTIONS = {
    (RUS, "aldridge-tittel"): "aldridge2010music",
    ("prosedyrekode-ibbe00", "nyere-koder-ibbe10-ibbe20"): "rusfeltet_prosedyrekoder",
    (RUS, "kielland-2015-en-rapport"): "kielland2015kommunalt",
    ("rapport-fredrikstad-2015", "samme-rapport-som-referanse-58"): "kielland2015kommunalt",
    ("innstilling-449-s-2017", "stottet-forslaget-usikkert"): "ballade2017innstilling",
    (RUS, "cochrane-nyere-kunnskap"): "ghetti2022cochrane",
    (GAMUT, "forelopig-og-erstattet"): "ghetti2022cochrane",
    (COCHRANE, "erstatter-forelopig-oversikt"): "hdir2017musikkterapi",
    (RUS, "nettverkets-syn-kunnskapsgrunnlag"): "rusfeltet_workshop_brukerorganisasjoner",
    (COCHRANE, "depresjon-nettverkets-syn"): "rusfeltet_workshop_brukerorganisasjoner",
    (
        "nettverket-intervjuet-100-pasienter",
        "nettverkets-syn-ikke-dokumentasjon",
    ): "rusfeltet_workshop_brukerorganisasjoner",
}
"""Each correction of a reporting page, and the public reference that carries it."""

PUBLIC_SOURCE = re.compile(r"^[^:]+: .+, https?://\S+$")
"""A source that is no reference key: "Publisher: Title, https://url"."""


def corrections(corpus: Corpus) -> dict[tuple[str, str], str]:
    """(item id, correction id) -> the correction's source, over the whole corpus."""
    return {(item.id, c.id): c.source for item in corpus.items.values() for c in item.corrections}


@pytest.mark.parametrize("pair", sorted(CORRECTIONS))
def test_each_correction_names_its_public_source(corpus: Corpus, pair: tuple[str, str]) -> None:
    found = corrections(corpus)
    assert found[pair] == CORRECTIONS[pair]
    assert CORRECTIONS[pair] in corpus.references


def test_every_source_is_a_reference_key_or_a_public_page(corpus: Corpus) -> None:
    for item in corpus.items.values():
        sources = [*item.verification.sources, *(c.source for c in item.corrections)]
        for source in sources:
            assert source in corpus.references or PUBLIC_SOURCE.match(source), (item.id, source)


def test_corrections_have_text(corpus: Corpus) -> None:
    for item in corpus.items.values():
        for correction in item.corrections:
            assert len(correction.text) > 40, (item.id, correction.id)


# ---------------------------------------------------------------- corrections carried into the data


def test_aldridge_title_is_plural(corpus: Corpus) -> None:
    ref = corpus.references["aldridge2010music"]
    assert ref.title == "Music therapy and addictions"
    assert ref.editors == (Person(family="Aldridge", given="David"), Person(family="Fachner", given="Jörg"))
    assert ref.year == 2010


def test_hohmann_is_not_a_meta_analysis(corpus: Corpus) -> None:
    hohmann = evidence(corpus, "hohmann-2017-oversikt")
    assert "no meta-analysis" in hohmann.design
    assert all(o.measure == "narrative" and o.value is None for o in hohmann.outcomes)
    assert corpus.references["hohmann2017plosone"].doi == "10.1371/journal.pone.0187363"


@pytest.mark.parametrize(
    ("item_id", "code", "status"),
    [
        ("prosedyrekode-ibbe00", "IBBE00", "historical"),
        ("prosedyrekode-ibbe10", "IBBE10", "current"),
        ("prosedyrekode-ibbe20", "IBBE20", "current"),
    ],
)
def test_procedure_codes(corpus: Corpus, item_id: str, code: str, status: str) -> None:
    item = fact(corpus, item_id)
    assert (item.value, item.status, item.unit) == (code, status, "procedure code")
    assert item.valid_to is None  # the date of the change is unknown: never invented


def test_no_placeholder_passed_off_as_data(corpus: Corpus) -> None:
    for ref in corpus.references.values():
        assert not (ref.title and ref.title.startswith("[")), (ref.key, ref.title)
        assert ("title" in ref.unknown) == (ref.title is None), ref.key


def test_reports_with_unknown_titles_are_not_given_one(corpus: Corpus) -> None:
    for key in ("dale2014hjellestad", "selbekk2019sandnes", "johansson2019uteseksjonen"):
        ref: Reference = corpus.references[key]
        assert "title" in ref.unknown, key


# ---------------------------------------------------------------- other evidence


@pytest.mark.parametrize(
    ("item_id", "studies", "participants"),
    [
        ("cochrane-2017-schizofreni", 18, 1215),
        ("metasyntese-2022-evalueringsrapporter", 8, 102),
        ("hohmann-2017-oversikt", 40, None),
    ],
)
def test_other_evidence_numbers(corpus: Corpus, item_id: str, studies: int, participants: int | None) -> None:
    item = evidence(corpus, item_id)
    assert (item.studies, item.participants) == (studies, participants)


def test_geretsegger_2017_has_its_six_authors(corpus: Corpus) -> None:
    ref = corpus.references["geretsegger2017cochrane"]
    assert [p.family for p in ref.authors] == [
        "Geretsegger",
        "Mössler",
        "Bieleninik",
        "Chen",
        "Heldal",
        "Gold",
    ]
    assert not ref.authors_incomplete
    assert (ref.volume, ref.number, ref.pages, ref.pmid) == ("5", "5", "CD004025", "28553702")


def test_hohmann_2017_volume_and_issue(corpus: Corpus) -> None:
    ref = corpus.references["hohmann2017plosone"]
    assert (ref.volume, ref.number, ref.pages, ref.month) == ("12", "11", "e0187363", 11)


def test_dok8_title_is_the_documents_own_nynorsk_title(corpus: Corpus) -> None:
    ref = corpus.references["dok8_97S2017"]
    assert ref.title is not None and ref.title.startswith("Representantforslag frå stortingsrepresentantane")
    assert ref.title.endswith("og å auke den nasjonale utdanningskapasiteten")


def test_corporate_institutions_are_listed_separately(corpus: Corpus) -> None:
    for key in ("dale2019mestre", "selbekk2019sandnes"):
        raw = corpus.references[key].fields["institution"]
        assert raw.startswith("{") and "} and {" in raw, (key, raw)


def test_no_title_begins_with_a_hyphen(corpus: Corpus) -> None:
    for ref in corpus.references.values():
        assert not (ref.title or "").startswith("-"), ref.key
    assert corpus.references["dale2019mestre"].title == "–Jeg tenker at musikkterapi er å mestre"


def test_summary_themes_of_all_reports_are_not_stored_as_each_reports_findings(corpus: Corpus) -> None:
    # Fagrådet's page (rusfeltet_egen_kode) lists six themes for all the reports together
    for report in corpus.of_type("report"):
        assert isinstance(report, Report)
        assert "mestring" not in report.themes, report.id


def test_mays_2008(corpus: Corpus) -> None:
    ref = corpus.references["mays2008tunes"]
    assert (ref.journal, ref.volume, ref.number, ref.pages, ref.pmid) == (
        "Substance Abuse",
        "29",
        "4",
        "51-59",
        "19042198",
    )
