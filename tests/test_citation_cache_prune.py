"""The shared citation cache lives as long as a build of its content version does."""

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
