"""The searches the index issue promises, on the real knowledge base (built once per session by conftest),
through the index and through `mtkb search`."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from index import IndexHandle, OpenBuild, SearchRequest, SearchResult
from mtkb.corpus import Corpus


@pytest.fixture(scope="module")
def build(index_dir: Path) -> OpenBuild:
    return IndexHandle(index_dir).current()


def search(build: OpenBuild, q: str, **kwargs: object) -> SearchResult:
    return build.search(SearchRequest(q=q, per_page=100, **kwargs))  # type: ignore[arg-type]


def test_musikkterapi_finds_the_recommendations_first(build: OpenBuild) -> None:
    result = search(build, "musikkterapi")
    found = [(h.type, h.id) for h in result.hits]
    for rec in ("musikkterapi-rusbehandling", "musikkterapi-psykoselidelser", "musikkterapi-avrusning"):
        assert ("recommendation", rec) in found
    assert result.total > 30 and result.facets["type"]["recommendation"] == 3
    assert any("<mark>" in h.snippet for h in result.hits[:5])


def test_music_therapy_among_references_finds_norwegian_ones_through_synonyms(
    build: OpenBuild, corpus: Corpus
) -> None:
    hits = search(build, "music therapy", type="reference").hits
    norwegian = {h.id for h in hits if corpus.references[h.id].lang == "nb"}
    english = {h.id for h in hits} - norwegian
    assert {"stige2016sykepleien", "kielland2013rusfeltet", "hdir2017musikkterapi"} <= norwegian
    assert "ghetti2022cochrane" in english
    assert all(h.type == "reference" for h in hits)
    title = corpus.references["stige2016sykepleien"].title or ""
    assert "music" not in title.lower(), "found through the synonym, not its own words"


def test_author_kielland(build: OpenBuild, corpus: Corpus) -> None:
    hits = search(build, "author:Kielland").hits
    assert {"kielland2013rusfeltet", "kielland2015kommunalt"} <= {h.id for h in hits}
    for hit in hits:
        ref = corpus.references[hit.id]
        assert any(p.family == "Kielland" for p in (*ref.authors, *ref.editors)), hit.id


def test_rusbehandlingen_finds_the_rus_recommendation_by_stemming(build: OpenBuild) -> None:
    hits = search(build, "rusbehandlingen").hits
    top = [h.id for h in hits[:3]]
    assert "musikkterapi-rusbehandling" in top
    rec = next(h for h in hits if h.id == "musikkterapi-rusbehandling")
    assert "<mark>rusbehandling</mark>" in rec.snippet, "the stem, not only the exact form, is marked"


def test_the_cli_prints_the_same_hits(app: Flask, runner: FlaskCliRunner) -> None:
    with app.app_context():  # as the `mtkb` console script runs its commands
        _cli_searches(runner)


def _cli_searches(runner: FlaskCliRunner) -> None:
    out = runner.invoke(args=["search", "rusbehandlingen"])
    assert out.exit_code == 0 and "recommendation/musikkterapi-rusbehandling" in out.output
    out = runner.invoke(args=["search", "music therapy", "--type", "reference", "--per-page", "50"])
    assert out.exit_code == 0 and "reference/stige2016sykepleien" in out.output
    assert "recommendation/" not in out.output
    out = runner.invoke(args=["search", "author:Kielland"])
    assert "reference/kielland2013rusfeltet" in out.output
    out = runner.invoke(args=["search", "musikkterapi"])
    assert "recommendation/musikkterapi-rusbehandling" in out.output
    bad = runner.invoke(args=["search", '"unbalanced'])
    assert bad.exit_code != 0 and "unbalanced quotes" in bad.output
