"""Citing a recommendation itself: Helsedirektoratet's own form, APA and Vancouver with an access date."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from mtkb.citations import cite_recommendation
from mtkb.citations.recommendation import long_date
from mtkb.corpus import Corpus
from mtkb.errors import CitationError
from mtkb.records import Guideline, Recommendation, Reference

READ = date(2026, 11, 22)
URL = (
    "https://www.helsedirektoratet.no/retningslinjer/behandling-og-rehabilitering-av-rusmiddelproblemer"
    "-og-avhengighet/terapeutiske-tilnaerminger-i-rusbehandling/musikkterapi-rusbehandling"
)


@pytest.fixture(scope="module")
def parts(corpus: Corpus) -> tuple[Recommendation, Reference, Guideline]:
    rec = corpus.items["musikkterapi-rusbehandling"]
    assert isinstance(rec, Recommendation) and rec.citation_reference
    guideline = corpus.items[rec.guideline]
    assert isinstance(guideline, Guideline)
    return rec, corpus.references[rec.citation_reference], guideline


def test_helsedirektoratet_form(parts) -> None:
    f = cite_recommendation(*parts, style="helsedirektoratet", locale="nb-NO", accessed=READ)
    assert f.bibliography_text == (
        "Helsedirektoratet (2016). Musikkterapi (rusbehandling) [nettdokument]. Oslo: Helsedirektoratet "
        f"(siste faglige endring 24. januar 2017, lest 22. november 2026). Tilgjengelig fra {URL}"
    )
    assert f.intext_text == "(Helsedirektoratet, 2016)"
    assert f.bibliography_html == (
        "Helsedirektoratet (2016). <i>Musikkterapi (rusbehandling)</i> [nettdokument]. Oslo: "
        "Helsedirektoratet (siste faglige endring 24. januar 2017, lest 22. november 2026). "
        f'Tilgjengelig fra <a href="{URL}">{URL}</a>'
    )


def test_helsedirektoratet_form_is_the_default_and_other_languages(parts) -> None:
    assert "lest 22. november 2026" in cite_recommendation(*parts, accessed=READ).bibliography_text
    nynorsk = cite_recommendation(*parts, locale="nn", accessed=READ).bibliography_text
    assert "(siste faglege endring 24. januar 2017, lesen 22. november 2026). Tilgjengeleg frå" in nynorsk
    english = cite_recommendation(*parts, locale="en-GB", accessed=READ).bibliography_text
    assert "(last professional change 24 January 2017, accessed 22 November 2026). Available from" in english


def test_without_a_reference_or_a_change_date(parts) -> None:
    rec, _, guideline = parts
    bare = dataclasses.replace(rec, last_professional_change=None)
    f = cite_recommendation(bare, None, guideline, accessed=READ)
    assert f.bibliography_text == (
        "Helsedirektoratet (2016). Musikkterapi (rusbehandling) [nettdokument]. Helsedirektoratet "
        f"(lest 22. november 2026). Tilgjengelig fra {URL}"
    )


@pytest.mark.parametrize(
    ("style", "locale", "expected"),
    [
        (
            "apa",
            "en-US",
            "Helsedirektoratet. (2017, January 24). Musikkterapi (rusbehandling). "
            f"Retrieved November 22, 2026, from {URL}",
        ),
        (
            "apa",
            "nb-NO",
            "Helsedirektoratet. (2017, januar 24). Musikkterapi (rusbehandling). Hentet 22. november 2026, "
            f"fra {URL}",
        ),
        (
            "vancouver",
            "en-US",
            "Helsedirektoratet. Musikkterapi (rusbehandling) [Internet]. Oslo: Helsedirektoratet; 2017 "
            f"[cited 2026 Nov 22]. Available from: {URL}",
        ),
        (
            "vancouver",
            "nb-NO",
            "Helsedirektoratet. Musikkterapi (rusbehandling) [Internett]. Oslo: Helsedirektoratet; 2017 "
            f"[sitert 2026 nov 22]. Tilgjengelig fra: {URL}",
        ),
    ],
)
def test_web_document_with_an_access_date(parts, style: str, locale: str, expected: str) -> None:
    """Dated by the last professional change (24 January 2017), not the guideline's year (point 9)."""
    f = cite_recommendation(*parts, style=style, locale=locale, accessed=READ)
    assert f.bibliography_text == expected
    assert f'<a href="{URL}">' in f.bibliography_html


def test_long_dates() -> None:
    assert long_date(READ, "nb-NO") == "22. november 2026"
    assert long_date(date(2017, 1, 24), "nn-NO") == "24. januar 2017"
    assert long_date(READ, "en-US") == "November 22, 2026"
    assert long_date(READ, "en-GB") == "22 November 2026"


def test_unknown_style_or_locale(parts) -> None:
    with pytest.raises(CitationError, match="unknown citation style"):
        cite_recommendation(*parts, style="no-such-style", accessed=READ)
    with pytest.raises(CitationError, match="unsupported locale"):
        cite_recommendation(*parts, locale="de-DE", accessed=READ)
