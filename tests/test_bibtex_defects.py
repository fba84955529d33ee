

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
