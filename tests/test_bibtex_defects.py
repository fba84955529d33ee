"""One test per class of defect that real-world bibliographies showed (issue 17), each on a minimal entry,
plus the warnings for what the reader had to guess, and keys with `/` served at /references/{key}."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from api import create_app
from index import build_index
from mtkb.citations import format_bibliography, format_references, to_bibtex
from mtkb.citations.csl import to_csl_json
from mtkb.corpus import load_corpus
from mtkb.records import Person, Reference
from mtkb.sources.bibtex import BibResult, load_bibliography


def load(tmp_path: Path, *files: tuple[str, str]) -> BibResult:
    paths = []
    for name, content in files:
        (tmp_path / name).write_text(content, "utf-8")
        paths.append((tmp_path / name, f"references/{name}"))
    return load_bibliography(paths)


def one(tmp_path: Path, content: str) -> Reference:
    result = load(tmp_path, ("a.bib", content))
    assert result.problems == [], result.problems
    (ref,) = result.references.values()
    return ref


def warnings(result: BibResult) -> list[str]:
    return [str(w) for w in result.warnings]


# 1. macros defined in another file of the folder


def test_1_string_macros_are_shared_by_the_files_of_a_folder(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        ("a-entries.bib", "@article{a, title = {T}, journal = jmt, year = 2020}\n"),
        ("b-strings.bib", '@string{jmt = "Journal of Music Therapy"}\n'),
    )
    assert result.problems == [] and result.warnings == []
    assert result.references["a"].journal == "Journal of Music Therapy"


# 2. fields dropped


def test_2_every_field_is_kept_and_mapped(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@thesis{t, author = {Ås, Kari}, title = {Musikk}, subtitle = {En studie}, school = {UiB},"
        " type = {phdthesis}, year = 2019, maintitle = {Serie}, translator = {Berg, Ola},"
        " eprint = {1234.5678}, eprinttype = {arxiv}, eid = {e12}, shorttitle = {Musikk},"
        " langid = {norsk}, keywords = {musikk, rus}, bookauthor = {Grieg, Edvard}}",
    )
    assert ref.institution == "UiB" and ref.report_type == "phdthesis"
    assert ref.extra["subtitle"] == "En studie" and ref.extra["maintitle"] == "Serie"
    assert ref.names["translator"] == (Person(family="Berg", given="Ola"),)
    assert ref.names["bookauthor"] == (Person(family="Grieg", given="Edvard"),)
    assert ref.extra["eprint"] == "1234.5678" and ref.extra["eid"] == "e12"
    assert ref.extra["langid"] == "norsk" and ref.lang == "nb"
    csl = to_csl_json(ref)
    assert csl["type"] == "thesis" and csl["genre"] == "PhD thesis" and csl["publisher"] == "UiB"
    assert csl["title"] == "Musikk: En studie" and csl["title-short"] == "Musikk"
    assert csl["translator"] == [{"family": "Berg", "given": "Ola"}]
    assert csl["container-author"] == [{"family": "Grieg", "given": "Edvard"}]
    assert csl["archive"] == "arXiv" and csl["archive_location"] == "1234.5678"
    assert csl["keyword"] == "musikk, rus" and csl["collection-title"] == "Serie"


def test_2_an_inbook_chapter_is_cited_with_its_book(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@inbook{c, author = {Stige, Brynjulf}, title = {Kapittel}, booktitle = {Boka},"
        " chapter = {3}, publisher = {Universitetsforlaget}, address = {Paris}, year = 2010, pages = {1--9}}",
    )
    assert to_csl_json(ref)["chapter-number"] == "3"
    vancouver = format_references([ref], "vancouver", "en-US")["c"].bibliography_text
    assert "In: Boka" in vancouver and "Title. In." not in vancouver


# 3. LaTeX deleted or passed through raw


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("The \\TeX book", "The TeXbook"),  # LaTeX eats the space after a macro: Knuth's title
        ("The {\\TeX}book and \\LaTeX", "The TeXbook and LaTeX"),
        ("multi\\hyphen word", "multi-word"),
        ("$\\frac{o}{a}$ ratio", "o/a ratio"),
        ("p. 3\\psqq", "p. 3 ff."),
        ("{{EEG}} in \\emph{rus}", "EEG in rus"),
    ],
)
def test_3_latex_is_decoded_not_dropped(tmp_path: Path, raw: str, text: str) -> None:
    assert one(tmp_path, f"@misc{{a, title = {{{raw}}}, year = 2020}}").title == text


def test_3_a_url_in_a_note_is_the_locator(tmp_path: Path) -> None:
    ref = one(
        tmp_path, "@misc{a, title = {T}, note = {See \\url{https://example.org/a_b%20c~d}}, year = 2020}"
    )
    assert ref.note == "See https://example.org/a_b%20c~d"
    assert ref.url == "https://example.org/a_b%20c~d"


# 4. biblatex dates


@pytest.mark.parametrize(
    ("fields", "year", "date", "issued"),
    [
        ("date = {1996-03-11}", 1996, "1996-03-11", {"date-parts": [[1996, 3, 11]]}),
        ("date = {1984/1986}", 1984, "1984/1986", {"date-parts": [[1984], [1986]]}),
        ("year = {1988}, month = {Spring}", 1988, "1988-21", {"date-parts": [[1988]], "season": 1}),
        ("year = {1987--}", 1987, "1987/..", {"literal": "1987–"}),
        ("date = {s.d.}", None, None, None),
        ("year = {n.d.}", None, None, None),
    ],
)
def test_4_biblatex_dates_keep_the_entry_and_what_the_date_says(
    tmp_path: Path, fields: str, year: int | None, date: str | None, issued: dict | None
) -> None:
    ref = one(tmp_path, f"@book{{a, title = {{T}}, {fields}}}")
    assert (ref.year, ref.date) == (year, date)
    assert to_csl_json(ref).get("issued") == issued


# 5. keys with a slash: see test_5_keys_with_a_slash_are_served_in_every_format below


# 6. names


def test_6_name_parts_are_kept_apart(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@article{a, title = {T}, year = 2020, author = {Pimentel, Jr., J. J. and van Gogh, Vincent and"
        " family=Beethoven, given=Ludwig, prefix=van, useprefix=false}}",
    )
    assert ref.authors == (
        Person(family="Pimentel", given="J. J.", suffix="Jr."),
        Person(family="Gogh", given="Vincent", particle="van"),
        Person(family="Beethoven", given="Ludwig", particle="van"),
    )
    assert to_csl_json(ref)["author"][0] == {"family": "Pimentel", "given": "J. J.", "suffix": "Jr."}
    assert to_csl_json(ref)["author"][1]["dropping-particle"] == "van"


def test_6_useprefix_makes_the_particle_part_of_the_name(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@article{a, title = {T}, year = 2020, author = {family=Gogh, given=Vincent, prefix=van,"
        " useprefix=true and de Geer, Ingrid}, options = {useprefix=false}}",
    )
    assert [p.useprefix for p in ref.authors] == [True, False]
    assert to_csl_json(ref)["author"][0]["non-dropping-particle"] == "van"
    assert format_references([ref], "apa", "en-US")["a"].intext_text.startswith("(van Gogh")


def test_6_a_malformed_name_is_a_warning(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", "@article{a,\n  title = {T},\n  author = {Aas, Berit, Aas},\n}\n"))
    assert result.problems == [] and list(result.references) == ["a"]
    assert warnings(result) == [
        "references/a.bib:3: entry 'a': malformed name 'Aas, Berit, Aas' (a missing 'and' between two names?)"
    ]


# 7. types


@pytest.mark.parametrize(
    ("entry", "csl", "not_in_apa"),
    [
        ("@misc{a, title = {T}, publisher = {Oxford University Press}, year = 2020}", "document", "Report"),
        ("@collection{a, editor = {Ed, A}, title = {T}, publisher = {OUP}, year = 2020}", "book", "Report"),
        (
            "@patent{a, author = {Inventor, A}, title = {T}, number = {US123}, year = 2020}",
            "patent",
            "Report",
        ),
        (
            "@thesis{a, author = {A, B}, title = {T}, type = {mathesis}, institution = {UiO}, year = 2020}",
            "thesis",
            "Mathesis",
        ),
        ("@phdthesis{a, author = {A, B}, title = {T}, school = {UiO}, year = 2020}", "thesis", "Phdthesis"),
        (
            "@report{a, author = {A, B}, title = {T}, type = {resreport}, institution = {UiO}, year = 2020}",
            "report",
            "Resreport",
        ),
    ],
)
def test_7_types_and_localisation_keys(tmp_path: Path, entry: str, csl: str, not_in_apa: str) -> None:
    ref = one(tmp_path, entry)
    assert to_csl_json(ref)["type"] == csl
    for style in ("apa", "vancouver"):
        assert not_in_apa not in format_references([ref], style, "en-US")["a"].bibliography_text


def test_7_howpublished_is_never_a_report_number(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@misc{a, title = {Prosedyrekoder}, howpublished = {Norsk klassifikasjon av medisinske prosedyrer},"
        " year = 2020}",
    )
    csl = to_csl_json(ref)
    assert "number" not in csl and csl["publisher"] == "Norsk klassifikasjon av medisinske prosedyrer"
    assert "Report" not in format_references([ref], "apa", "en-US")["a"].bibliography_text


# 8. export round trip


def test_8_the_bibtex_export_keeps_fields_braces_and_math(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@inbook{a, author = {A, B}, title = {{{EEG}} and $\\frac{o}{a}$}, chapter = {2},"
        " subtitle = {S}, translator = {C, D}, booktitle = {B}, year = 2020, custom = {kept as it is}}",
    )
    text = to_bibtex([ref])
    assert "{{EEG}} and $\\frac{o}{a}$" in text and "\\textbackslash" not in text
    back = one(tmp_path, text)
    assert back.fields == ref.fields and back.extra == ref.extra and back.names == ref.names


# 9. syntax errors name the line


def test_9_a_missing_comma_names_its_line(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        ("a.bib", "@article{a,\n  author = {A, B},\n  journal = {J}\n  title = {T},\n  year = 2000\n}\n"),
    )
    assert [str(p) for p in result.problems] == [
        "references/a.bib:1: BibTeX syntax error in entry 'a': missing comma after the field that ends on "
        "line 3? ('title' was read as part of 'journal')"
    ]


# warnings for guesses


def test_warnings_for_unknown_macro_and_mojibake(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        (
            "a.bib",
            "@article{a,\n  title = {\\mymacro{Music}},\n  journal = {ValÃ¨ncia},\n  year = 2020,\n}\n",
        ),
    )
    assert result.problems == [] and result.references["a"].title == "Music"
    assert warnings(result) == [
        "references/a.bib:2: entry 'a': unknown LaTeX macro \\mymacro (kept its text)",
        "references/a.bib:3: entry 'a': mojibake in 'ValÃ¨ncia' (UTF-8 read as Latin-1?)",
    ]


# 5. keys with a slash


@pytest.fixture(scope="module")
def slash_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    root = tmp_path_factory.mktemp("slash")
    (root / "kb").mkdir()
    (root / "references").mkdir()
    (root / "references" / "a.bib").write_text(
        "@article{baez/article, author = {Baez, John}, title = {Higher algebra}, journal = {TAC},"
        " year = 2004}\n",
        "utf-8",
    )
    corpus = load_corpus(root / "kb", root / "references")
    assert corpus.problems == []
    build_index(corpus, root / "index", prerender_citations=False)
    return create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(root / "index"),
            "KB_DIR": str(root / "kb"),
            "REFERENCES_DIR": str(root / "references"),
        }
    )


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("", "application/json", '"key":"baez/article"'),
        ("?format=bibtex", "*/*", "@article{baez/article,"),
        ("?format=ris", "*/*", "ID  - baez/article"),
        ("?format=csljson", "*/*", '"id":"baez/article"'),
        ("", "text/x-bibliography; style=apa; locale=en-US", "Higher algebra"),
        ("/citation?style=apa&locale=en-US", "*/*", "Higher algebra"),
        ("/cited-by", "*/*", '"total":0'),
    ],
)
def test_5_keys_with_a_slash_are_served_in_every_format(
    slash_app: Flask, query: str, accept: str, expected: str
) -> None:
    with slash_app.test_client() as client:
        response = client.get(f"/api/v1/references/baez/article{query}", headers={"Accept": accept})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert expected in response.get_data(as_text=True).replace('": ', '":')


def test_6_particles_sort_under_the_family_name(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        (
            "a.bib",
            "@book{h, author = {Hansen, Hans}, title = {H}, year = 2001}\n"
            "@book{g, author = {van Gogh, Vincent}, title = {G}, year = 2001}\n"
            "@book{a, author = {Aarts, Anna}, title = {A}, year = 2001}\n",
        ),
    )
    entries, _, _ = format_bibliography(list(result.references.values()), "apa", "en-US")
    assert [e.key for e in entries] == ["a", "g", "h"], "van Gogh under G, not V"


def test_shortjournal_is_the_abbreviation_vancouver_prints(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@article{a, author = {Aarts, Anna}, title = {T}, journal = {Clinical Psychology Review},"
        " shortjournal = {Clin Psychol Rev}, volume = 3, pages = {1--2}, year = 2001}",
    )
    assert to_csl_json(ref)["container-title-short"] == "Clin Psychol Rev"
    assert "Clin Psychol Rev" in format_references([ref], "vancouver", "en-US")["a"].bibliography_text
