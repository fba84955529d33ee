"""Markdown knowledge items: each type loads into its frozen record; each problem names its file and line;
citations are found with their lines; prose renders to safe HTML."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from mtkb import ITEM_TYPES, records
from mtkb.errors import ContentError
from mtkb.prose import PLACEHOLDER_PATTERN, citation_group, find_citations, prose_text, render_html
from mtkb.records import Citation
from mtkb.sources.markdown import MAX_FILE_SIZE, load_item

from .conftest import DATA

VALID = DATA / "content" / "valid" / "kb"
FILES = {
    "guideline": VALID / "guidelines" / "test-retningslinje.md",
    "recommendation": VALID / "recommendations" / "test-anbefaling.md",
    "evidence": VALID / "evidence" / "test-oversikt-2022.md",
    "preliminary": VALID / "evidence" / "test-oversikt-2016.md",
    "report": VALID / "reports" / "test-rapport-2019.md",
    "fact": VALID / "facts" / "test-kode.md",
}
DISPLAY = "kb/item.md"


def fixture_text(name: str) -> str:
    return FILES[name].read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line of `text` that contains `needle`."""
    found = [i for i, line in enumerate(text.split("\n"), start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def drop_field(text: str, name: str) -> str:
    """`text` without the top-level field `name` and its indented lines."""
    out, dropping = [], False
    for line in text.split("\n"):
        if line.startswith(f"{name}:"):
            dropping = True
            continue
        if dropping and (line.startswith((" ", "-")) and line != "---"):
            continue
        dropping = False
        out.append(line)
    assert len(out) < len(text.split("\n")), f"no field {name!r}"
    return "\n".join(out)


def load_text(tmp_path: Path, text: str) -> records.Item:
    path = tmp_path / "item.md"
    path.write_text(text, encoding="utf-8")
    return load_item(path, DISPLAY)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_text(tmp_path, text)
    return [str(p) for p in info.value.problems]


def variant_problems(tmp_path: Path, name: str, old: str, new: str) -> tuple[str, list[str]]:
    """Replace `old` (which must occur once) by `new` in fixture `name`; the text and its problems."""
    text = fixture_text(name)
    assert text.count(old) == 1, old
    changed = text.replace(old, new)
    return changed, problems(tmp_path, changed)


# ---------------------------------------------------------------- every type loads


def test_guideline_loads() -> None:
    item = load_item(FILES["guideline"], "kb/guidelines/test-retningslinje.md")
    assert isinstance(item, records.Guideline)
    assert (item.id, item.type, item.lang, item.publisher) == (
        "test-retningslinje",
        "guideline",
        "nb",
        "Helsedirektoratet",
    )
    assert (item.identifier, item.year, item.published) == ("IS-9999", 2016, date(2016, 3, 2))
    assert (item.reference, item.recommendations_total, item.licence) == ("test2016guide", 12, "NLOD")
    assert item.aliases == ("gammel-retningslinje",)
    assert item.updated == date(2026, 1, 15)
    assert item.verification == records.Verification("verified", ("test fixture",))
    assert item.origin.path == "kb/guidelines/test-retningslinje.md"
    assert item.origin.line_of("publisher") == 13


def test_recommendation_loads() -> None:
    item = load_item(FILES["recommendation"], DISPLAY)
    assert isinstance(item, records.Recommendation)
    assert item.guideline == "test-retningslinje"
    assert item.wording == records.Wording(
        "Det foreslås at det tilrettelegges for bruk av musikkterapi.",
        "quoted",
        "https://example.org/anbefaling",
    )
    assert item.strength == records.Strength("weak", "inferred", "Det foreslås")
    assert item.grade == records.Grade("Helsedirektoratet", "Konsensus", "consensus", None)
    assert item.settings == ("TSB", "kriminalomsorg")
    assert item.last_professional_change == date(2017, 1, 24)
    assert item.evidence_considered == ("test-oversikt-2016",)
    assert item.newer_evidence == ("test-oversikt-2022",)
    assert item.guideline_references == ("doe2010book",)
    assert item.citation_reference == "test2016guide"
    assert item.corrections == (
        records.Correction(
            "tittel-rettet",
            "The seed gives the title in the singular; the book has the plural.",
            "Testforlaget: The book, https://example.org/book",
        ),
    )
    assert item.summary_en == "A test recommendation that suggests music therapy."
    assert item.body.startswith("Anbefalingen bygger på konsensus")
    # listed, guideline references, the citation reference and cited keys: each once, in order
    assert item.linked_keys() == ("test2016guide", "doe2010book", "roe2022review")


def test_evidence_loads() -> None:
    item = load_item(FILES["evidence"], DISPLAY)
    assert isinstance(item, records.Evidence)
    assert item.authors == ("Roe R", "Doe J")
    assert (item.year, item.status, item.published) == (2022, "published", True)
    assert (item.studies, item.controlled_studies, item.participants) == (21, 21, 1984)
    assert item.participants_scope == "all"
    assert item.search_date == date(2021, 2, 1)
    assert item.outcomes == (
        records.Outcome(
            "craving", "SMD", -0.66, -1.23, -0.10, 3, 254, "moderate", "probably reduces craving"
        ),
    )
    assert item.reference == "roe2022review"


def test_preliminary_evidence_loads() -> None:
    item = load_item(FILES["preliminary"], DISPLAY)
    assert isinstance(item, records.Evidence)
    assert (item.organisation, item.authors, item.published) == ("Testsenteret", (), False)
    assert (item.studies, item.controlled_studies, item.participants) == (17, 11, 863)
    assert item.participants_scope == "controlled"
    assert item.superseded_by == "test-oversikt-2022"
    assert item.outcomes[0] == records.Outcome(
        "psychological symptoms", "narrative", summary="moderate to large effects"
    )


def test_report_loads() -> None:
    item = load_item(FILES["report"], DISPLAY)
    assert isinstance(item, records.Report)
    assert (item.reference, item.year, item.setting, item.municipality) == (
        "roe2019report",
        2019,
        "municipal",
        "Sandnes",
    )
    assert item.informants == records.Informants(users=13, staff=24)
    assert item.themes == ("glede", "mestring")
    assert item.verification == records.Verification("unverified", ())


def test_fact_loads() -> None:
    item = load_item(FILES["fact"], DISPLAY)
    assert isinstance(item, records.Fact)
    assert (item.value, item.unit, item.status) == ("IBBE00", "procedure code", "historical")
    assert (item.year, item.valid_from, item.valid_to) == (2017, date(2017, 9, 1), None)
    assert item.body == ""


@pytest.mark.parametrize("name", sorted(FILES))
def test_records_are_frozen(name: str) -> None:
    item = load_item(FILES[name], DISPLAY)
    assert dataclasses.is_dataclass(item)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.title = "changed"  # type: ignore[misc]


def test_numeric_fact_value_kept_as_number(tmp_path: Path) -> None:
    item = load_text(tmp_path, fixture_text("fact").replace("value: IBBE00", "value: 50"))
    assert isinstance(item, records.Fact) and item.value == 50


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    assert load_text(tmp_path, "\ufeff" + fixture_text("fact")).id == "test-kode"


# ---------------------------------------------------------------- required fields

REQUIRED = {
    "guideline": ["id", "title", "lang", "updated", "verification", "publisher", "identifier", "year", "url"]
    + ["licence", "attribution"],
    "recommendation": ["summary_en", "guideline", "wording", "strength", "grade", "licence", "attribution"],
    "evidence": ["summary_en", "year", "status", "published", "design"],
    "report": ["reference", "year", "setting"],
    "fact": ["statement", "value", "status"],
}


@pytest.mark.parametrize(
    ("name", "field"), [(name, field) for name, fields in REQUIRED.items() for field in fields]
)
def test_missing_required_field(tmp_path: Path, name: str, field: str) -> None:
    # a field that is not there has no line of its own: the error points at the front matter's first line
    assert problems(tmp_path, drop_field(fixture_text(name), field)) == [
        f"{DISPLAY}:2: {field}: Missing data for required field."
    ]


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("guideline", "publisher: Helsedirektoratet"),
        ("report", "setting: municipal"),
        ("fact", "status: historical"),
    ],
)
def test_required_field_set_to_null(tmp_path: Path, name: str, line: str) -> None:
    field = line.split(":")[0]
    text, found = variant_problems(tmp_path, name, line, f"{field}: null")
    assert found == [f"{DISPLAY}:{line_of(text, f'{field}: null')}: {field}: Field may not be null."]


def test_missing_nested_field_points_at_its_parent(tmp_path: Path) -> None:
    text, found = variant_problems(tmp_path, "recommendation", "  basis: inferred\n", "")
    assert found == [
        f"{DISPLAY}:{line_of(text, 'strength:')}: strength.basis: Missing data for required field."
    ]


def test_missing_type(tmp_path: Path) -> None:
    text = drop_field(fixture_text("fact"), "type")
    assert problems(tmp_path, text) == [f"{DISPLAY}:2: type must be one of {', '.join(ITEM_TYPES)}; got None"]


def test_unknown_type_at_its_line(tmp_path: Path) -> None:
    text, found = variant_problems(tmp_path, "fact", "type: fact", "type: faktum")
    assert found == [f"{DISPLAY}:3: type must be one of {', '.join(ITEM_TYPES)}; got 'faktum'"]


def test_every_problem_reported_in_line_order(tmp_path: Path) -> None:
    text = fixture_text("fact").replace("lang: nb", "lang: de").replace("status: historical", "status: old")
    assert problems(tmp_path, text) == [
        f"{DISPLAY}:5: lang: Must be one of: nb, nn, en.",
        f"{DISPLAY}:{line_of(text, 'status: old')}: status: Must be one of: current, historical.",
    ]


# ---------------------------------------------------------------- validators, each at its field's line

CASES = [
    # (fixture, old, new, the line the error must point at, message)
    (
        "recommendation",
        '  text: "Det foreslås at det tilrettelegges for bruk av musikkterapi."',
        "  text: null",
        "  text: null",
        "wording.text: a quoted wording needs its text",
    ),
    (
        "recommendation",
        "  source: https://example.org/anbefaling",
        "  source: null",
        "  source: null",
        "wording.source: a quoted wording needs the source it is quoted from",
    ),
    (
        "recommendation",
        "  status: quoted",
        "  status: unknown",
        '  text: "Det foreslås',
        "wording.text: an unknown wording has no text",
    ),
    (
        "recommendation",
        "  status: quoted",
        "  status: paraphrased",
        "  status: paraphrased",
        "wording.status: Must be one of: quoted, unknown.",
    ),
    (
        "recommendation",
        "  code: consensus",
        "  code: moderate",
        "  code: moderate",
        "grade.code: Must be one of: consensus, A, B, C, D, unknown.",
    ),
    (
        "recommendation",
        "  value: weak",
        "  value: svak",
        "  value: svak",
        "strength.value: Must be one of: strong, weak, unknown.",
    ),
    (
        "recommendation",
        "guideline: test-retningslinje",
        "guideline: Test Retningslinje",
        "guideline: Test Retningslinje",
        "guideline: must be a slug: lowercase a-z, 0-9 and single '-'",
    ),
    (
        "recommendation",
        "newer_evidence: [test-oversikt-2022]",
        "newer_evidence: [test--oversikt]",
        "newer_evidence:",
        "newer_evidence.0: must be a slug: lowercase a-z, 0-9 and single '-'",
    ),
    (
        "recommendation",
        "settings: [TSB, kriminalomsorg]",
        "settings: TSB",
        "settings: TSB",
        "settings: Not a valid list.",
    ),
    (
        "recommendation",
        "last_professional_change: 2017-01-24",
        "last_professional_change: 24.01.2017",
        "last_professional_change:",
        "last_professional_change: Not a valid date.",
    ),
    (
        "recommendation",
        "  - id: tittel-rettet",
        "  - id: Tittel rettet",
        "  - id: Tittel rettet",
        "corrections.0.id: must be a slug: lowercase a-z, 0-9 and single '-'",
    ),
    (
        "evidence",
        "    value: -0.66",
        "    value: -1.5",
        "    value: -1.5",
        "outcomes.0.value: value lies outside its confidence interval",
    ),
    (
        "evidence",
        "    value: -0.66",
        "    value: 0.2",
        "    value: 0.2",
        "outcomes.0.value: value lies outside its confidence interval",
    ),
    (
        "evidence",
        "    ci_low: -1.23",
        "    ci_low: 0.5",
        "    ci_low: 0.5",
        "outcomes.0.ci_low: ci_low is above ci_high",
    ),
    (
        "evidence",
        "    measure: SMD",
        "    measure: d",
        "    measure: d",
        "outcomes.0.measure: Must be one of: SMD, MD, RR, OR, narrative.",
    ),
    (
        "evidence",
        "    certainty: moderate",
        "    certainty: strong",
        "    certainty: strong",
        "outcomes.0.certainty: Must be one of: high, moderate, low, very low, unknown.",
    ),
    (
        "evidence",
        "controlled_studies: 21",
        "controlled_studies: 22",
        "controlled_studies: 22",
        "controlled_studies: more controlled studies than studies",
    ),
    (
        "evidence",
        "participants: 1984",
        "participants: -1",
        "participants: -1",
        "participants: Must be greater than or equal to 0.",
    ),
    (
        "evidence",
        "\nstudies: 21",
        '\nstudies: "21"',
        'studies: "21"',
        "studies: Not a valid integer.",
    ),
    (
        "evidence",
        "participants_scope: all",
        "participants_scope: null",
        "participants_scope: null",
        "participants_scope: say which studies the participants belong to (all or controlled)",
    ),
    (
        "evidence",
        "participants_scope: all\n",
        "",
        "participants: 1984",
        "participants: say which studies the participants belong to (all or controlled)",
    ),
    (
        "evidence",
        "authors: [Roe R, Doe J]",
        "authors: []",
        "authors: []",
        "authors: give authors or an organisation",
    ),
    (
        "evidence",
        "authors: [Roe R, Doe J]",
        "organisation: null",
        "organisation: null",
        "organisation: give authors or an organisation",
    ),
    (
        "evidence",
        "status: published",
        "status: in press",
        "status: in press",
        "status: Must be one of: preliminary, published.",
    ),
    (
        "evidence",
        "superseded_by: null",
        "superseded_by: Cochrane 2022",
        "superseded_by: Cochrane 2022",
        "superseded_by: must be a slug: lowercase a-z, 0-9 and single '-'",
    ),
    (
        "evidence",
        "reference: roe2022review",
        "reference: roe 2022",
        "reference: roe 2022",
        "reference: not a valid reference key",
    ),
    (
        "guideline",
        "id: test-retningslinje",
        "id: Test_Retningslinje",
        "id: Test_Retningslinje",
        "id: must be a slug: lowercase a-z, 0-9 and single '-'",
    ),
    (
        "guideline",
        "aliases: [gammel-retningslinje]",
        "aliases: [gammel-retningslinje-]",
        "aliases:",
        "aliases.0: must be a slug: lowercase a-z, 0-9 and single '-'",
    ),
    (
        "guideline",
        "identifier: IS-9999",
        "identifier: 9999",
        "identifier: 9999",
        "identifier: Not a valid string.",
    ),
    (
        "guideline",
        "identifier: IS-9999",
        "identifier: IS 9999",
        "identifier: IS 9999",
        "identifier: String does not match expected pattern.",
    ),
    (
        "guideline",
        "year: 2016",
        "year: 16",
        "year: 16",
        "year: Must be greater than or equal to 1900 and less than or equal to 2100.",
    ),
    (
        "guideline",
        "url: https://example.org/retningslinje",
        "url: helsedirektoratet",
        "url: helsedirektoratet",
        "url: Not a valid URL.",
    ),
    (
        "guideline",
        "  status: verified",
        "  status: checked",
        "  status: checked",
        "verification.status: Must be one of: verified, reported, unverified.",
    ),
    (
        "guideline",
        "updated: 2026-01-15",
        "updated: 2026-02-30",
        "updated: 2026-02-30",
        "updated: Not a valid date.",
    ),
    (
        "guideline",
        "lang: nb",
        "lang: no",
        "lang: no",
        "lang: Must be one of: nb, nn, en.",
    ),
    (
        "guideline",
        "lang: nb",
        "lang: nb\ncolour: blue",
        "colour: blue",
        "colour: Unknown field.",
    ),
    (
        "guideline",
        "licence: NLOD",
        "licence: NLOD\nrecommendations: [a]",
        "recommendations: [a]",
        "recommendations: Unknown field.",  # derived by the corpus, never written
    ),
    (
        "evidence",
        "    certainty: moderate",
        "    certainty: moderate\n    colour: blue",
        "    colour: blue",
        "outcomes.0.colour: Unknown field.",
    ),
    (
        "report",
        "  users: 13",
        "  users: many",
        "  users: many",
        "informants.users: Not a valid integer.",
    ),
    (
        "report",
        "year: 2019",
        "year: true",
        "year: true",
        "year: Not a valid integer.",
    ),
    (
        "fact",
        "value: IBBE00",
        "value: [IBBE10, IBBE20]",
        "value: [IBBE10, IBBE20]",
        "value: must be a number or a string",
    ),
    (
        "fact",
        "status: historical",
        "status: old",
        "status: old",
        "status: Must be one of: current, historical.",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "at", "message"), CASES, ids=[c[4] for c in CASES])
def test_validator_names_the_line(
    tmp_path: Path, name: str, old: str, new: str, at: str, message: str
) -> None:
    text, found = variant_problems(tmp_path, name, old, new)
    assert found == [f"{DISPLAY}:{line_of(text, at)}: {message}"]


def test_summary_en_may_not_be_empty(tmp_path: Path) -> None:
    old = "summary_en: A systematic review with meta-analysis."
    text, found = variant_problems(tmp_path, "evidence", old, 'summary_en: ""')
    assert found == [f"{DISPLAY}:{line_of(text, 'summary_en')}: summary_en: Shorter than minimum length 1."]


def test_summary_en_optional_on_other_types(tmp_path: Path) -> None:
    assert load_text(tmp_path, fixture_text("report")).summary_en is None


def test_correction_ids_unique_within_item(tmp_path: Path) -> None:
    old = '    source: "Testforlaget: The book, https://example.org/book"\n'
    new = old + '  - id: tittel-rettet\n    text: Another.\n    source: "FACTS.md, caution 2"\n'
    text, found = variant_problems(tmp_path, "recommendation", old, new)
    second = [i for i, line in enumerate(text.split("\n"), start=1) if line == "  - id: tittel-rettet"][1]
    assert found == [
        f"{DISPLAY}:{second}: corrections.1.id: correction id 'tittel-rettet' is used twice in this item"
    ]


def test_too_large_file(tmp_path: Path) -> None:
    text = fixture_text("fact") + "x" * MAX_FILE_SIZE
    assert problems(tmp_path, text) == [f"{DISPLAY}:1: file is larger than {MAX_FILE_SIZE} bytes"]


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "item.md"
    path.write_bytes(fixture_text("fact").replace("Prosedyrekode", "Prosedyrek\u00f8de").encode("latin-1"))
    with pytest.raises(ContentError) as info:
        load_item(path, DISPLAY)
    assert [str(p) for p in info.value.problems] == [f"{DISPLAY}:4: not valid UTF-8 (save the file as UTF-8)"]


# ---------------------------------------------------------------- citations


def test_citations_found_with_their_lines() -> None:
    body = (
        "Først [@ghetti2022cochrane].\n"  # 10
        "Med side [@mays2008tunes, p. 32] og\n"  # 11
        "gruppe [see @aldridge2010music; @dale2015rusfag, s. 4-5].\n"  # 12
        "Uten forfatter [-@hohmann2017plosone].\n"  # 13
        "Over to linjer [se @a_b:c;\n"  # 14
        "  @d.e-f, pp. 1--2].\n"  # 15
    )
    assert find_citations(body, first_line=10) == (
        Citation("ghetti2022cochrane", None, 10),
        Citation("mays2008tunes", "p. 32", 11),
        Citation("aldridge2010music", None, 12),
        Citation("dale2015rusfag", "s. 4-5", 12),
        Citation("hohmann2017plosone", None, 13),
        Citation("a_b:c", None, 14),
        Citation("d.e-f", "pp. 1--2", 15),
    )


@pytest.mark.parametrize(
    "body",
    [
        "Skriv til a@b.no for spørsmål.",
        "Kontakt [post@example.no] eller [kontakt: post@example.no].",
        "En lenke [tekst](https://example.org/@user) og [@ikke](https://example.org).",
        "Ingen nøkkel: [@] og [@-].",
        "Vanlige hakeparenteser [se over].",
    ],
)
def test_not_citations(body: str) -> None:
    assert find_citations(body) == ()


def test_citations_in_loaded_item_carry_file_lines() -> None:
    item = load_item(FILES["recommendation"], DISPLAY)
    text = fixture_text("recommendation")
    assert item.citations == (
        Citation("doe2010book", "p. 32", line_of(text, "[@doe2010book, p. 32]")),
        Citation("roe2022review", None, line_of(text, "[se @roe2022review")),
        Citation("doe2010book", None, line_of(text, "[se @roe2022review")),
    )
    assert "post@example.no" in item.body  # present, and not a citation


# ---------------------------------------------------------------- rendering


def test_render_escapes_raw_html_and_script() -> None:
    html = render_html('Tekst <script>alert("x")</script> og <b onclick="x()">fet</b>.\n\n<iframe src="x">')
    assert html == (
        '<p>Tekst &lt;script&gt;alert("x")&lt;/script&gt; og &lt;b onclick="x()"&gt;fet&lt;/b&gt;.</p>\n'
        '<p>&lt;iframe src="x"&gt;</p>\n'
    )


def test_render_drops_javascript_links() -> None:
    html = render_html("[klikk](javascript:alert(1)) og [bra](https://example.org)")
    assert 'href="javascript' not in html
    assert 'href="https://example.org"' in html


def test_render_holds_citation_groups_as_placeholders() -> None:
    """The build keeps each group (prefix, key, locator) for the request to format; nothing raw shows."""
    html = render_html("Funn [@ghetti2022cochrane, p. 3; @mays2008tunes] og [se @rusfeltet_sandnes].")
    groups = [citation_group(m.group(1)) for m in PLACEHOLDER_PATTERN.finditer(html)]
    assert groups == [
        [("", "ghetti2022cochrane", "p. 3"), ("", "mays2008tunes", "")],
        [("se", "rusfeltet_sandnes", "")],
    ]
    assert PLACEHOLDER_PATTERN.sub("", html) == "<p>Funn  og .</p>\n"


def test_render_ignores_private_use_characters_in_the_source() -> None:
    html = render_html("Tekst \ue000 og [@a].")
    assert "\ue000" not in html and len(PLACEHOLDER_PATTERN.findall(html)) == 1


def test_render_leaves_emails_alone() -> None:
    html = render_html("Skriv til [post@example.no].")
    assert "/api/v1/references" not in html
    assert "post@example.no" in html


def test_render_markdown() -> None:
    html = render_html("## Tittel\n\n*kursiv* og **fet**\n\n- punkt")
    assert "<h2>Tittel</h2>" in html and "<em>kursiv</em>" in html and "<strong>fet</strong>" in html
    assert "<li>punkt</li>" in html


def test_prose_text_drops_tags_and_marks_citations() -> None:
    text, groups = prose_text("## Tittel\n\nFunn <b>x</b> [@mays2008tunes, p. 3].")
    assert text == "Tittel Funn <b>x</b> \ue000."
    assert [citation_group(g) for g in groups] == [[("", "mays2008tunes", "p. 3")]]
