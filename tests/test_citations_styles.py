"""The style and locale registry, and the disk cache of formatted citations."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from mtkb.citations import (
    CORE_STYLES,
    LOCALES,
    CitationCache,
    Formatted,
    format_references,
    list_styles,
    resolve_locale,
    resolve_style,
)
from mtkb.citations.styles import style_file
from mtkb.corpus import Corpus
from mtkb.errors import CitationError


@pytest.mark.parametrize(
    ("name", "style_id"),
    [
        ("apa", "apa"),
        ("APA", "apa"),
        ("vancouver", "nlm-citation-sequence"),
        ("nlm", "nlm-citation-sequence"),
        ("harvard", "harvard-cite-them-right"),
        ("chicago", "chicago-author-date"),
        ("nature", "nature"),
        ("norsk-apa", "norsk-apa-manual"),
        ("vancouver-brackets", "nlm-citation-sequence-brackets"),  # a renamed style
        ("modern-language-association.csl", "modern-language-association"),
        ("vancouver-nlm", "vancouver-nlm"),  # a dependent style
        ("nature-medicine", "nature-medicine"),
    ],
)
def test_resolve_style(name: str, style_id: str) -> None:
    assert resolve_style(name) == style_id


@pytest.mark.parametrize("name", ["", "no-such-style", "../../etc/passwd", "apa/../x", "ÆØÅ"])
def test_unknown_styles_are_refused_helpfully(name: str) -> None:
    with pytest.raises(CitationError, match="unknown citation style .*vancouver"):
        resolve_style(name)


def test_core_styles_are_installed_independent_styles() -> None:
    for style_id in CORE_STYLES:
        assert style_file(style_id).parent is None
    assert style_file("vancouver-nlm").independent == "nlm-citation-sequence"


@pytest.mark.parametrize(
    ("name", "locale"),
    [
        ("nb", "nb-NO"),
        ("no", "nb-NO"),
        ("nb_NO", "nb-NO"),
        ("NN", "nn-NO"),
        ("en", "en-US"),
        ("en-gb", "en-GB"),
        ("en-US", "en-US"),
    ],
)
def test_resolve_locale(name: str, locale: str) -> None:
    assert resolve_locale(name) == locale
    assert locale in LOCALES


def test_unsupported_locale() -> None:
    with pytest.raises(CitationError, match="nb-NO, nn-NO, en-US, en-GB"):
        resolve_locale("sv-SE")


def test_list_styles() -> None:
    styles = list_styles()
    assert len(styles) > 10_000
    assert [s["id"] for s in styles[: len(CORE_STYLES)]] == list(CORE_STYLES)
    by_id = {s["id"]: s for s in styles}
    assert by_id["apa"]["title"] == "APA Style 7th edition" and by_id["apa"]["core"] is True
    assert "vancouver" in by_id["nlm-citation-sequence"]["aliases"]
    assert by_id["nature-medicine"]["core"] is False


def test_any_installed_style_formats(corpus: Corpus) -> None:
    ref = corpus.references["ghetti2022cochrane"]
    for style in ("modern-language-association", "vancouver-nlm", "chicago-notes-bibliography"):
        f = format_references([ref], style, "en-GB")[ref.key]
        assert "Ghetti" in f.bibliography_text and f.intext_text


def test_format_references_of_nothing() -> None:
    assert format_references([], "apa", "nb") == {}


FORMATTED = Formatted("k", "text", "<i>html</i>", "(A, 2020)", "(A, 2020)")


def test_cache_round_trip(tmp_path: Path) -> None:
    cache = CitationCache(tmp_path, "v1")
    assert cache.get("apa", "nb", "k") is None
    cache.put("apa", "nb-NO", FORMATTED)
    assert cache.get("APA", "nb", "k") == FORMATTED  # aliases resolve to the same entry
    assert cache.get("apa", "en-US", "k") is None
    assert CitationCache(tmp_path, "v2").get("apa", "nb", "k") is None
    assert cache.get_many("apa", "nb", ["k", "x"]) == {"k": FORMATTED}
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_ignores_damaged_files(tmp_path: Path) -> None:
    cache = CitationCache(tmp_path, "v1")
    cache.put("apa", "nb", FORMATTED)
    (path,) = tmp_path.rglob("*.json")
    path.write_text("{not json")
    assert cache.get("apa", "nb", "k") is None
    path.write_text(json.dumps({"key": "other"}))
    assert cache.get("apa", "nb", "k") is None


def test_cache_refuses_bad_versions_and_styles(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        CitationCache(tmp_path, "../x")
    with pytest.raises(CitationError):
        CitationCache(tmp_path, "v1").get("no-such-style", "nb", "k")


def _write(args: tuple[str, int]) -> None:
    directory, n = args
    cache = CitationCache(directory, "v1")
    for i in range(50):
        cache.put("apa", "nb", Formatted("k", f"{n}-{i}", "h", "t", "h"))
        assert cache.get("apa", "nb", "k") is not None


def test_cache_is_safe_across_processes(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_write, [(str(tmp_path), n) for n in range(4)]))
    got = CitationCache(tmp_path, "v1").get("apa", "nb", "k")
    assert got is not None and got.bibliography_text.endswith("-49")
