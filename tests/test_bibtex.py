"""BibTeX references: macros, concatenation, crossref, LaTeX, names, URLs and DOIs, and every kind of
broken input reported with its file and line while the good entries still load."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from mtkb.records import Person, Reference
from mtkb.sources.bibtex import MAX_FIELD, BibResult, load_bibliography


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load(tmp_path: Path, *files: tuple[str, str | bytes]) -> BibResult:
    """Write each (name, content) file and read them all, in order, as one bibliography."""
    paths = [(write(tmp_path, name, content), f"references/{name}") for name, content in files]
    return load_bibliography(paths)


def one(tmp_path: Path, content: str) -> Reference:
    """The single good reference in `content`, which must load without problems."""
    result = load(tmp_path, ("a.bib", content))
    assert result.problems == []
    assert len(result.references) == 1
    return next(iter(result.references.values()))


def messages(result: BibResult) -> list[str]:
    return [str(p) for p in result.problems]


# ---------------------------------------------------------------- macros and concatenation


def test_string_macro(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        '@string{jkp = "Jessica Kingsley Publishers"}\n\n'
        "@book{aldridge2010music,\n  title = {Music therapy and addictions},\n  publisher = jkp,\n"
        "  year = 2010,\n}\n",
    )
    assert ref.publisher == "Jessica Kingsley Publishers"
    assert ref.year == 2010


def test_string_macro_names_are_case_insensitive(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        '@String{CDSR = "Cochrane Database of Systematic Reviews"}\n@article{a, title={T}, journal=cdsr}',
    )
    assert ref.journal == "Cochrane Database of Systematic Reviews"


@pytest.mark.parametrize(("raw", "month"), [("may", 5), ("dec", 12), ("{May}", 5), ("{9}", 9), ("3", 3)])
def test_month_macros_and_names(tmp_path: Path, raw: str, month: int) -> None:
    assert one(tmp_path, f"@article{{a, title={{T}}, year={{2016}}, month = {raw}}}").month == month


def test_concatenation_of_macro_and_literals(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        '@string{hdir = "Helsedirektoratet"}\n'
        '@string{full = hdir # ", Oslo"}\n'
        '@misc{a,\n  title = "Del " # {én} # " og " # "to",\n  publisher = full,\n'
        "  note = hdir # { (2016)},\n}\n",
    )
    assert ref.title == "Del én og to"
    assert ref.publisher == "Helsedirektoratet, Oslo"
    assert ref.note == "Helsedirektoratet (2016)"


def test_hash_inside_braces_is_text(tmp_path: Path) -> None:
    assert (
        one(tmp_path, "@misc{a, title = {Notes on C\\# and F\\# # two}}").title == "Notes on C# and F# # two"
    )


def test_undefined_macro_is_a_warning_at_its_field(tmp_path: Path) -> None:
    result = load(
        tmp_path, ("a.bib", "% header\n\n@book{a,\n  title = {T},\n  publisher = nosuchmacro,\n}\n")
    )
    assert result.problems == []
    assert [str(w) for w in result.warnings] == [
        "references/a.bib:5: entry 'a': field 'publisher': undefined macro 'nosuchmacro' "
        "(kept as its name, as BibTeX warns)"
    ]
    assert result.references["a"].publisher == "nosuchmacro"


def test_broken_string_definition_reported(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", '\n@string{x = y # "z"}\n@misc{a, title = {T}}\n'))
    assert messages(result) == ["references/a.bib:2: @string x: undefined macro 'y'"]
    assert list(result.references) == ["a"]


# ---------------------------------------------------------------- crossref


PARENT = """@proceedings{conf2019,
  title     = {Proceedings of the Nordic music therapy conference},
  editor    = {Stige, Brynjulf},
  publisher = {Universitetsforlaget},
  address   = {Oslo},
  year      = {2019},
}
"""
CHILD = """@inproceedings{paper2019,
  crossref = {conf2019},
  author   = {Trondalen, Gro},
  title    = {Musikk og mestring},
  pages    = {10--20},
}
"""


def test_crossref_child_inherits_and_parent_title_becomes_booktitle(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", PARENT + "\n" + CHILD))
    assert result.problems == []
    child = result.references["paper2019"]
    assert child.title == "Musikk og mestring"
    assert child.booktitle == "Proceedings of the Nordic music therapy conference"
    assert (child.publisher, child.address, child.year) == ("Universitetsforlaget", "Oslo", 2019)
    assert child.editors == (Person(family="Stige", given="Brynjulf"),)
    assert child.authors == (Person(family="Trondalen", given="Gro"),)
    assert child.pages == "10-20"
    assert child.entry_type == "inproceedings"
    # the parent is a reference of its own, unchanged
    assert result.references["conf2019"].title == "Proceedings of the Nordic music therapy conference"
    assert result.references["conf2019"].booktitle is None


def test_crossref_child_fields_win(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", PARENT + CHILD.replace("  pages", "  year = {2020},\n  pages")))
    assert result.references["paper2019"].year == 2020


def test_crossref_across_files_child_first(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", CHILD), ("b.bib", PARENT))
    assert result.problems == []
    assert result.references["paper2019"].booktitle == "Proceedings of the Nordic music therapy conference"
    assert result.references["paper2019"].origin.path == "references/a.bib"


def test_crossref_to_missing_parent_is_a_warning_at_the_child(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", "% comment\n\n" + CHILD))
    assert result.problems == []
    assert [str(w) for w in result.warnings] == [
        "references/a.bib:4: entry 'paper2019': crossref 'conf2019' is not defined "
        "(the entry is kept with its own fields)"
    ]
    assert result.references["paper2019"].title == "Musikk og mestring"
    assert result.entries_seen == 1


def test_crossref_keys_match_without_regard_to_case(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", CHILD.replace("{conf2019}", "{CONF2019}") + PARENT))
    assert result.problems == [] and result.warnings == []
    assert result.references["paper2019"].booktitle == "Proceedings of the Nordic music therapy conference"


# ---------------------------------------------------------------- LaTeX, names and letters


def test_latex_decoded_in_names_and_titles(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@book{a,\n"
        '  editor = {Aldridge, David and Fachner, J{\\"o}rg},\n'
        '  author = {{\\AA}se Nilsen and Br{\\o}nstad, Bj{\\o}rn and M{\\"u}ller, J.},\n'
        '  title = {{\\AA}pne grupper og m{\\o}ter -- {\\"U}ber alles},\n'
        "  publisher = {Forlag for {\\aa}pen musikk},\n"
        "}\n",
    )
    assert ref.editors == (Person(family="Aldridge", given="David"), Person(family="Fachner", given="Jörg"))
    assert ref.authors == (
        Person(family="Nilsen", given="Åse"),
        Person(family="Brønstad", given="Bjørn"),
        Person(family="Müller", given="J."),
    )
    assert ref.title == "Åpne grupper og møter – Über alles"
    assert ref.publisher == "Forlag for åpen musikk"


def test_norwegian_letters_kept(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@techreport{a,\n  author = {Ødegård, Åse and Kielland, Torhild},\n"
        "  title = {Brukererfaringer: glede, håp og mestring i Sør-Odal -- ÆØÅ æøå},\n"
        "  institution = {Høgskolen i Innlandet},\n  language = {norwegian},\n}\n",
    )
    assert ref.authors[0] == Person(family="Ødegård", given="Åse")
    assert ref.title == "Brukererfaringer: glede, håp og mestring i Sør-Odal – ÆØÅ æøå"
    assert ref.institution == "Høgskolen i Innlandet"
    assert ref.lang == "nb"


def test_braced_corporate_author_is_one_literal_name(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "@manual{a,\n  author = {{Helsedirektoratet} and {Nasjonal kompetansetjeneste for "
        "samtidig rusmisbruk og psykisk lidelse}},\n  title = {T},\n}\n",
    )
    assert ref.authors == (
        Person(literal="Helsedirektoratet"),
        Person(literal="Nasjonal kompetansetjeneste for samtidig rusmisbruk og psykisk lidelse"),
    )
    assert ref.authors[0].display() == "Helsedirektoratet"


def test_corporate_author_with_inner_braces_stays_one_name(tmp_path: Path) -> None:
    ref = one(tmp_path, "@misc{a,\n  author = {{Fagr{\\aa}det} and {{KoRus} Vest}},\n  title = {T},\n}\n")
    assert ref.authors == (Person(literal="Fagrådet"), Person(literal="KoRus Vest"))


def test_and_others(tmp_path: Path) -> None:
    ref = one(tmp_path, "@article{a,\n  author = {Geretsegger, Monika and others},\n  title = {T},\n}\n")
    assert ref.authors == (Person(family="Geretsegger", given="Monika"),)
    assert ref.authors_incomplete is True
    assert one(tmp_path, "@article{a, author = {Gold, Christian}, title = {T}}").authors_incomplete is False


def test_von_part_kept_as_the_particle(tmp_path: Path) -> None:
    ref = one(tmp_path, "@article{a, author = {van der Berg, Anna and Ludwig van Beethoven}, title = {T}}")
    assert ref.authors == (
        Person(family="Berg", given="Anna", particle="van der"),
        Person(family="Beethoven", given="Ludwig", particle="van"),
    )


def test_latex_that_cannot_be_decoded_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        ("a.bib", "@article{bad,\n  title = {Some \\title},\n}\n\n@article{good, title = {Fine}}\n"),
    )
    assert result.problems == []
    assert [str(w) for w in result.warnings] == [
        "references/a.bib:2: entry 'bad': undecodable LaTeX in '\\\\title' "
        "(its commands and braces were dropped)"
    ]
    assert sorted(result.references) == ["bad", "good"]
    assert result.references["bad"].title == "Some"


# ---------------------------------------------------------------- URLs and DOIs


def test_urls_with_percent_and_tilde_untouched(tmp_path: Path) -> None:
    url = "https://example.org/~user/a%20b/musikkterapi_i_rus--2019.pdf?x=1&y=%C3%B8#del-2"
    ref = one(tmp_path, f"@misc{{a,\n  title = {{T}},\n  url = {{{url}}},\n  urldate = {{2024-01-02}},\n}}\n")
    assert ref.url == url
    assert ref.urldate == "2024-01-02"


@pytest.mark.parametrize(
    "raw",
    [
        "10.1002/14651858.CD012576.pub3",
        "https://doi.org/10.1002/14651858.CD012576.pub3",
        "http://dx.doi.org/10.1002/14651858.CD012576.pub3",
        "doi:10.1002/14651858.CD012576.pub3",
    ],
)
def test_doi_untouched_and_resolver_prefix_stripped(tmp_path: Path, raw: str) -> None:
    ref = one(tmp_path, f"@article{{a,\n  title = {{T}},\n  doi = {{{raw}}},\n}}\n")
    assert ref.doi == "10.1002/14651858.CD012576.pub3"


def test_doi_with_latex_like_characters_untouched(tmp_path: Path) -> None:
    doi = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
    assert one(tmp_path, f"@article{{a, title = {{T}}, doi = {{{doi}}}}}").doi == doi
    assert one(tmp_path, "@article{a, title = {T}, doi = {10.69625/318192.OPKD8068}}").doi == (
        "10.69625/318192.OPKD8068"
    )


@pytest.mark.parametrize(
    "doi", ["not-a-doi", "10.12/short-prefix", "https://example.org/10.1002/x", "10.1002/"]
)
def test_malformed_doi_is_a_warning_and_not_used_as_a_doi(tmp_path: Path, doi: str) -> None:
    result = load(tmp_path, ("a.bib", f"\n@article{{a,\n  title = {{T}},\n  doi = {{{doi}}},\n}}\n"))
    assert result.problems == [] and len(result.warnings) == 1
    assert str(result.warnings[0]).startswith("references/a.bib:4: entry 'a': malformed DOI ")
    assert result.references["a"].doi is None
    assert result.references["a"].extra["malformed_doi"]


# ---------------------------------------------------------------- other fields


def test_fields_and_their_lines(tmp_path: Path) -> None:
    ref = one(
        tmp_path,
        "% evidence\n\n@article{mays2008tunes,\n  author  = {Mays, K. L. and Clark, D. L.},\n"
        "  title   = {Treating addiction with tunes},\n  journal = {Substance Abuse},\n  year = {2008},\n"
        "  volume = {29},\n  number = {4},\n  pages = {51--59},\n  pmid = {19042198},\n"
        "  mtkb_verification = {verified},\n  mtkb_sources = {PubMed},\n}\n",
    )
    assert (ref.key, ref.id, ref.type, ref.entry_type) == (
        "mays2008tunes",
        "mays2008tunes",
        "reference",
        "article",
    )
    assert (ref.journal, ref.volume, ref.number, ref.pages, ref.pmid) == (
        "Substance Abuse",
        "29",
        "4",
        "51-59",
        "19042198",
    )
    assert (ref.verification, ref.sources, ref.lang) == ("verified", "PubMed", "en")
    assert ref.origin.path == "references/a.bib"
    assert ref.origin.line == 3
    assert (ref.origin.line_of("title"), ref.origin.line_of("pages")) == (5, 10)


def test_unknown_fields_listed(tmp_path: Path) -> None:
    ref = one(tmp_path, "@techreport{a,\n  year = {2019},\n  mtkb_unknown = {title, number},\n}\n")
    assert ref.title is None
    assert ref.unknown == ("title", "number")
    assert one(tmp_path, "@misc{a, title = {Known}}").unknown == ()
    assert one(tmp_path, "@misc{a, author = {Doe, J.}}").unknown == ("title",)  # kept, and flagged


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("title = {T}, mtkb_unknown = {title}", "field 'title' is listed in mtkb_unknown but has a value"),
    ],
)
def test_field_errors(tmp_path: Path, fields: str, message: str) -> None:
    result = load(tmp_path, ("a.bib", f"@misc{{a, {fields}}}"))
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith(f"references/a.bib:1: entry 'a': {message}")


def test_huge_field_rejected(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        (
            "a.bib",
            "@article{good1, title = {A}}\n"
            f"@article{{big,\n  title = {{T}},\n  abstract = {{{'x' * (MAX_FIELD + 1)}}},\n}}\n"
            "@article{good2, title = {B}}\n",
        ),
    )
    assert messages(result) == [
        f"references/a.bib:2: entry 'big': field 'abstract' is longer than {MAX_FIELD} characters"
    ]
    assert sorted(result.references) == ["good1", "good2"]


# ---------------------------------------------------------------- broken input


GOOD = "@article{good%d,\n  title = {Good %d},\n  year = {2020},\n}\n\n"


def test_unbalanced_braces_reported_and_neighbours_kept(tmp_path: Path) -> None:
    content = (
        GOOD % (1, 1)  # lines 1-5
        + "@article{broken,\n  title = {Unbalanced {brace},\n  year = {2020},\n}\n\n"  # line 6
        + GOOD % (2, 2)  # line 11
    )
    result = load(tmp_path, ("a.bib", content))
    assert messages(result) == [
        "references/a.bib:6: BibTeX syntax error: Unexpected block start: `@article`. "
        "Was still looking for field-value closing `,` or `}` (an unclosed { on line 7?)"
    ]
    assert sorted(result.references) == ["good1", "good2"]
    assert result.entries_seen == 3


def test_failed_block_reported(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", GOOD % (1, 1) + "@article{nofields\n\n" + GOOD % (2, 2)))
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith("references/a.bib:6: BibTeX syntax error: ")
    assert sorted(result.references) == ["good1", "good2"]


def test_duplicate_key_in_one_file(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", GOOD % (1, 1) + GOOD % (1, 2)))
    assert messages(result) == [
        "references/a.bib:6: duplicate entry key 'good1' (first at references/a.bib:1)"
    ]
    assert result.references["good1"].title == "Good 1"
    assert result.entries_seen == 2


def test_duplicate_key_across_files(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", GOOD % (1, 1)), ("b.bib", "\n" + GOOD % (1, 2) + GOOD % (2, 2)))
    assert messages(result) == [
        "references/b.bib:2: duplicate entry key 'good1' (first at references/a.bib:1)"
    ]
    assert result.references["good1"].title == "Good 1"
    assert sorted(result.references) == ["good1", "good2"]


def test_duplicate_crossref_child_across_files(tmp_path: Path) -> None:
    result = load(
        tmp_path, ("a.bib", PARENT + CHILD), ("b.bib", CHILD.replace("Musikk og mestring", "Annen"))
    )
    assert messages(result) == [
        "references/b.bib:1: duplicate entry key 'paper2019' (first at references/a.bib:8)"
    ]
    assert result.references["paper2019"].title == "Musikk og mestring"


def test_duplicate_string_macro_is_not_an_entry(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", '@string{x = "a"}\n@string{x = "b"}\n@misc{m, title = x}\n'))
    assert messages(result) == ["references/a.bib:2: duplicate @string key 'x' (first at references/a.bib:1)"]
    assert result.references["m"].title == "a"
    assert result.entries_seen == 1


def test_duplicate_field_keeps_the_first_value_with_a_warning(tmp_path: Path) -> None:
    content = GOOD % (1, 1) + "@article{twice,\n  title = {One},\n  year = {2020},\n  title = {Two},\n}\n"
    result = load(tmp_path, ("a.bib", content))
    assert result.problems == []
    assert [str(w) for w in result.warnings] == [
        "references/a.bib:6: entry 'twice' has a field twice (title): the first value is kept, as BibTeX does"
    ]
    assert sorted(result.references) == ["good1", "twice"] and result.references["twice"].title == "One"


def test_latin1_file_reports_bad_lines_and_loads_good_entries(tmp_path: Path) -> None:
    content = (
        "@article{ascii1,\n  title = {Plain},\n}\n\n"  # 1-4
        "@article{latin,\n  author = {Kielland, Torhild and Taihaugen, Bj\u00f8rn},\n"  # 5-6
        "  title = {Musikkterapi i kommunalt rusarbeid, S\u00f8r-Odal},\n}\n\n"  # 7-8
        "@article{ascii2,\n  title = {Also plain},\n}\n"  # 10
    ).encode("latin-1")
    result = load(tmp_path, ("latin.bib", content))
    assert messages(result) == [
        "references/latin.bib:6: not valid UTF-8 (save the file as UTF-8)",
        "references/latin.bib:7: not valid UTF-8 (save the file as UTF-8)",
    ]
    assert sorted(result.references) == ["ascii1", "ascii2"]
    assert result.entries_seen == 3


def test_binary_garbage_does_not_crash(tmp_path: Path) -> None:
    rnd = random.Random(20261123)
    garbage = bytes(rnd.randrange(256) for _ in range(20_000))
    started = time.perf_counter()
    result = load(tmp_path, ("good.bib", GOOD % (1, 1)), ("garbage.bib", garbage))
    assert time.perf_counter() - started < 5
    assert result.problems, "garbage must be reported"
    assert all(p.path == "references/garbage.bib" for p in result.problems)
    assert list(result.references) == ["good1"]


def test_random_bibtex_noise_does_not_crash(tmp_path: Path) -> None:
    rnd = random.Random(7)
    alphabet = '@{}=,"#%\\~$ \n' + "abcxyz0123'`^"
    for i in range(60):
        noise = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 300)))
        load(tmp_path, (f"noise{i}.bib", noise))  # must not raise


def test_byte_order_mark_ignored(tmp_path: Path) -> None:
    result = load(tmp_path, ("a.bib", "\ufeff" + GOOD % (1, 1)))
    assert result.problems == [] and list(result.references) == ["good1"]


def test_good_entries_beside_bad_ones_are_all_kept(tmp_path: Path) -> None:
    content = "".join(
        [
            GOOD % (1, 1),
            "@article{bad_doi, title = {T}, doi = {nope}}\n\n",
            GOOD % (2, 2),
            "@article{bad_year, title = {T}, year = {16}}\n\n",
            GOOD % (3, 3),
            "@article{bad_macro, title = undefined}\n\n",
            GOOD % (4, 4),
            "@article{broken, title = {open}\n\n",
            GOOD % (5, 5),
        ]
    )
    result = load(tmp_path, ("a.bib", content))
    kept = ["bad_doi", "bad_macro", "bad_year", "good1", "good2", "good3", "good4", "good5"]
    assert sorted(result.references) == kept, "guesses are warnings; only the broken entry is rejected"
    assert len(result.problems) == 1 and len(result.warnings) == 3
    assert result.entries_seen == 9


def test_entries_laid_out_alike_share_their_table_of_field_lines(tmp_path: Path) -> None:
    entry = "@misc{{{key},\n  title = {{{title}}},\n  year = {{2020}},\n  note = {{n}}\n}}\n\n"
    other = "@misc{c,\n  title = {C},\n\n  year = {2020}\n}\n"
    result = load(
        tmp_path, ("a.bib", entry.format(key="a", title="A") + entry.format(key="b", title="B") + other)
    )
    a, b, c = (result.references[k] for k in "abc")
    assert a.origin.field_offsets is b.origin.field_offsets, "one table for one layout"
    assert c.origin.field_offsets is not a.origin.field_offsets
    assert [r.origin.line_of("year") for r in (a, b, c)] == [3, 9, 16]
    assert (b.origin.line_of("note"), b.origin.line_of("abstract")) == (10, 7), "no line: the entry's own"


def test_values_that_decode_to_what_was_written_are_not_copied(tmp_path: Path) -> None:
    ref = one(
        tmp_path, "@misc{a,\n  title = {T{\\o}n},\n  abstract = {Plain text.},\n  note = {Two  spaces}\n}\n"
    )
    assert ref.abstract is ref.fields["abstract"], "one string for the record and its raw field"
    assert (ref.title, ref.fields["title"]) == ("Tøn", "T{\\o}n")
    assert (ref.note, ref.fields["note"]) == ("Two spaces", "Two  spaces")
