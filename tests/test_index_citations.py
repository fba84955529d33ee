"""Citations stored with a build: pre-rendered for small bibliographies, cached on request otherwise,
and the shared cache pruned with the builds."""

from __future__ import annotations

import shutil
from pathlib import Path

from index import IndexHandle, build_index
from index.builds import KEEP_PREVIOUS
from mtkb.corpus import load_corpus
from tests.conftest import KB_DIR, REFERENCES_DIR


def test_cache_of_pruned_versions_is_removed(tmp_path: Path) -> None:
    kb, refs, index_dir = tmp_path / "kb", tmp_path / "references", tmp_path / "index"
    shutil.copytree(KB_DIR, kb)
    shutil.copytree(REFERENCES_DIR, refs)
    build_index(load_corpus(kb, refs), index_dir, prerender_citations=False)
    first = IndexHandle(index_dir).current()
    first.citations.formatted(["mays2008tunes"], "ieee", "en-US")
    assert (index_dir / "cache" / first.version).is_dir()
    fact = kb / "facts" / "musikkterapeututdanning-femarig.md"
    for n in range(KEEP_PREVIOUS + 1):
        fact.write_text(fact.read_text(encoding="utf-8") + f"\n<!-- {n} -->\n", encoding="utf-8")
        build_index(load_corpus(kb, refs), index_dir, prerender_citations=False)
    assert not (index_dir / "builds" / first.build_id).exists()
    assert not (index_dir / "cache" / first.version).exists()


def test_large_bibliographies_are_formatted_on_request(tmp_path: Path, corpus, monkeypatch) -> None:
    import json

    import index.citations

    monkeypatch.setattr(index.citations, "PRERENDER_LIMIT", 10)
    info = build_index(corpus, tmp_path)
    assert not info.citations_prerendered and not (info.path / "citations").exists()
    assert json.loads((info.path / "manifest.json").read_text())["citations"] == "on request"
    store = IndexHandle(tmp_path).current().citations
    apa = store.formatted(["mays2008tunes"], "apa", "en-US")["mays2008tunes"]
    assert apa.intext_text == "(Mays et al., 2008)"
    assert (tmp_path / "cache" / info.version).is_dir()


def test_small_bibliographies_are_prerendered(index_dir: Path) -> None:
    import json

    current = index_dir / "current"
    assert json.loads((current / "manifest.json").read_text())["citations"] == "prerendered"
    assert len(list((current / "citations").glob("*/*.json"))) == 24
