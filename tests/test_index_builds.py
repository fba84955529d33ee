"""Numbered builds and the `current` pointer: atomic switch, readers keeping their build, pruning, failed
builds leaving the current one serving; one process or several writing the same index; the segment writer
writing what whoosh's own writer writes; and the CLI's strict and --keep-going builds."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from whoosh import index as whoosh_index
from whoosh.fields import UnknownFieldError

import index.build
import index.indexing
from index import IndexHandle, OpenBuild, SearchRequest, build_index
from index.build import WHOOSH_DIR
from index.builds import KEEP_PREVIOUS, builds_dir, current_build
from index.citations import SOURCES_FILE, write_sources
from index.documents import document, make_schema
from index.writer import BufferedSegmentWriter
from mtkb.corpus import Corpus
from mtkb.records import Reference
from mtkb.sources.bibtex import load_bibliography

QUERIES_BIB = Path(__file__).parent / "data" / "index" / "queries.bib"


@pytest.fixture(scope="module")
def references() -> dict[str, Reference]:
    bib = load_bibliography([(QUERIES_BIB, "queries.bib")])
    assert not bib.problems
    return bib.references


def corpus_of(references: dict[str, Reference], keys: list[str], version: str) -> Corpus:
    return Corpus(references={k: references[k] for k in keys}, version=version)


def build(corpus: Corpus, index_dir: Path, **kwargs: Any) -> Path:
    return build_index(corpus, index_dir, prerender_citations=False, **kwargs).path


def ids(opened: OpenBuild, q: str) -> set[str]:
    return {h.id for h in opened.search(SearchRequest(q=q, per_page=100)).hits}


def numbered(index_dir: Path) -> list[str]:
    return sorted(p.name for p in builds_dir(index_dir).iterdir() if p.name.isdigit())


def leftovers(index_dir: Path) -> list[str]:
    return [p.name for p in builds_dir(index_dir).iterdir() if not p.name.isdigit()]


# ---------------------------------------------------------------- the atomic switch


def test_an_open_build_keeps_serving_after_a_new_one_is_published(tmp_path: Path, references: Any) -> None:
    build(corpus_of(references, ["xylophone", "drum_sing"], "one"), tmp_path)
    handle = IndexHandle(tmp_path)
    first = handle.current()
    held = OpenBuild(current_build(tmp_path))  # type: ignore[arg-type]
    assert first.version == held.version == "one"

    build(corpus_of(references, ["sing_only", "title_prison"], "two"), tmp_path)
    assert held.version == "one" and ids(held, "xylophone") == {"xylophone"}, "the reader keeps its build"
    assert held.record("reference", "xylophone") is not None
    second = handle.current()
    assert second is not first and second.version == "two", "the handle reopens when current moves"
    assert ids(second, "xylophone") == set() and ids(second, "singing") == {"sing_only", "title_prison"}
    assert handle.current() is second, "no reopening while current stays"


def test_current_is_always_a_complete_build(
    tmp_path: Path, references: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(corpus_of(references, ["xylophone"], "one"), tmp_path)
    seen: list[Path | None] = []
    write_records = index.build.write_records

    def check_midway(corpus: Corpus, path: Path, *reuse: Any) -> None:
        seen.append(current_build(tmp_path))  # the new whoosh index is being written, not yet published
        assert ids(OpenBuild(first), "xylophone") == {"xylophone"}
        write_records(corpus, path, *reuse)

    monkeypatch.setattr(index.build, "write_records", check_midway)
    second = build(corpus_of(references, ["drum_sing"], "two"), tmp_path)
    assert seen == [first] and current_build(tmp_path) == second != first
    assert os.readlink(tmp_path / "current") == f"builds/{second.name}", "a relative symlink"


def test_records_are_written_as_the_json_of_serialise(
    tmp_path: Path, corpus: Corpus, references: Any
) -> None:
    for whole in (corpus, corpus_of(references, list(references), "refs only"), Corpus(version="empty")):
        index.build.write_records(whole, tmp_path / "records.json")
        expected = json.dumps(index.build.serialise(whole), ensure_ascii=False)
        assert (tmp_path / "records.json").read_text(encoding="utf-8") == expected


def test_sources_are_written_as_the_json_of_every_reference(tmp_path: Path, references: Any) -> None:
    for refs in (list(references.values()), []):
        write_sources(refs, tmp_path)
        whole = {ref.key: {"entry_type": ref.entry_type, "fields": ref.fields} for ref in refs}
        expected = json.dumps(whole, ensure_ascii=False)
        assert (tmp_path / SOURCES_FILE).read_text(encoding="utf-8") == expected


def test_old_builds_are_pruned(tmp_path: Path, references: Any) -> None:
    for n in range(KEEP_PREVIOUS + 3):
        path = build(corpus_of(references, ["xylophone"], f"v{n}"), tmp_path)
    assert numbered(tmp_path) == [f"{n:06d}" for n in range(3, KEEP_PREVIOUS + 4)]
    assert current_build(tmp_path) == path and path.name == f"{KEEP_PREVIOUS + 3:06d}"
    assert leftovers(tmp_path) == []


def test_a_build_that_fails_midway_leaves_current_serving(
    tmp_path: Path, references: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(corpus_of(references, ["xylophone", "drum_sing"], "one"), tmp_path)
    calls = 0
    real_document = index.indexing.document

    def failing(record: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk on fire")
        return real_document(record)

    monkeypatch.setattr(index.indexing, "document", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        build(corpus_of(references, list(references), "two"), tmp_path)
    assert current_build(tmp_path) == first and numbered(tmp_path) == [first.name]
    assert leftovers(tmp_path) == [], "no scratch directory left behind"
    assert OpenBuild(first).version == "one"
    monkeypatch.undo()
    assert build(corpus_of(references, ["sing_only"], "three"), tmp_path).name == "000002", "lock released"


def test_a_failing_worker_process_fails_the_build_and_current_stays(
    tmp_path: Path, references: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(corpus_of(references, ["xylophone"], "one"), tmp_path)
    monkeypatch.setattr(index.indexing, "PARALLEL_FROM", 2)
    monkeypatch.setattr(index.indexing, "WORKERS", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    real_document = index.indexing.document

    def unindexable_in_the_worker(record: Any) -> Any:
        doc = real_document(record)
        if record.key == "xylophone":  # the last record: indexed by the worker, which cannot index this
            doc.fields["no_such_field"] = "x"
        return doc

    monkeypatch.setattr(index.indexing, "document", unindexable_in_the_worker)
    with pytest.raises(UnknownFieldError, match="no_such_field"):
        build(corpus_of(references, list(references), "two"), tmp_path)
    assert current_build(tmp_path) == first and leftovers(tmp_path) == []


# ---------------------------------------------------------------- one process or several


def test_one_process_and_several_build_the_same_index(
    tmp_path: Path, references: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = corpus_of(references, list(references), "same")
    serial = OpenBuild(build(corpus, tmp_path / "serial"))
    monkeypatch.setattr(index.indexing, "PARALLEL_FROM", 2)
    monkeypatch.setattr(index.indexing, "WORKERS", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    progress: list[tuple[int, int]] = []
    parallel = OpenBuild(build(corpus, tmp_path / "parallel", progress=lambda d, t: progress.append((d, t))))
    segments = lambda b: len(whoosh_index.open_dir(str(b.path / WHOOSH_DIR)).reader().leaf_readers())  # noqa: E731
    assert segments(serial) == 1 and segments(parallel) == 2
    assert progress and progress[-1] == (10, 10)
    for q in ("singing", '"group songwriting"', "author:Larsen", "musikkterapi", "year:[2000 TO 2015]", ""):
        a = serial.search(SearchRequest(q=q, per_page=100))
        b = parallel.search(SearchRequest(q=q, per_page=100))
        assert [(h.id, h.score, h.snippet) for h in a.hits] == [(h.id, h.score, h.snippet) for h in b.hits], q
        assert (a.total, a.facets, a.suggestion) == (b.total, b.facets, b.suggestion)
    assert serial.search(SearchRequest(q="xylofone")).corrected == "xylophone"
    assert parallel.search(SearchRequest(q="xylofone")).corrected == "xylophone"


def test_progress_is_reported_up_to_the_total(tmp_path: Path, references: Any) -> None:
    seen: list[tuple[int, int]] = []
    build(corpus_of(references, list(references), "p"), tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (10, 10) and all(t == 10 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# ---------------------------------------------------------------- the segment writer writes whoosh's index


def _postings(reader: Any) -> dict[tuple[str, bytes], tuple[Any, ...]]:
    out = {}
    for fieldname, btext in reader.all_terms():
        info = reader.term_info(fieldname, btext)
        m = reader.postings(fieldname, btext)
        postings = []
        while m.is_active():
            postings.append((m.id(), m.weight(), m.value()))
            m.next()
        stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight())
        out[fieldname, btext] = (stats, info.min_id(), info.max_id(), tuple(postings))
    return out


def test_the_buffered_writer_writes_what_whooshs_writer_writes(
    tmp_path: Path, references: Any, corpus: Corpus
) -> None:
    records = [*corpus.items.values(), *references.values(), *list(corpus.references.values())[:10]]
    docs = [document(r).fields for r in records] * 15  # enough postings for terms with several blocks
    readers = []
    for name, make in (("theirs", lambda ix: ix.writer()), ("ours", BufferedSegmentWriter)):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), make_schema())
        writer = make(ix)
        for fields in docs:
            writer.add_document(**fields)
        writer.commit()
        readers.append(whoosh_index.open_dir(str(tmp_path / name)).reader())
    theirs, ours = readers
    assert ours.doc_count() == theirs.doc_count() == len(docs)
    assert _postings(ours) == _postings(theirs)
    assert any(len(p[3]) > 128 for p in _postings(ours).values()), "some posting lists span blocks"
    for fieldname in ("title_nb", "body_en", "author", "concepts"):
        assert ours.field_length(fieldname) == theirs.field_length(fieldname)
        for doc in (0, 1, len(docs) - 1):
            assert ours.doc_field_length(doc, fieldname) == theirs.doc_field_length(doc, fieldname)
    assert list(ours.all_stored_fields()) == list(theirs.all_stored_fields())


# ---------------------------------------------------------------- the CLI's two build modes


@pytest.fixture()
def content(tmp_path: Path) -> tuple[Path, Path]:
    kb, refs = tmp_path / "kb", tmp_path / "references"
    kb.mkdir()
    refs.mkdir()
    text = QUERIES_BIB.read_text(encoding="utf-8")
    (refs / "good.bib").write_text(text, encoding="utf-8")
    (refs / "bad.bib").write_text("@article{broken, title = {No end}, year = {2001}\n", encoding="utf-8")
    return kb, refs


def test_cli_strict_build_refuses_and_keep_going_indexes_the_valid_entries(
    runner: FlaskCliRunner, content: tuple[Path, Path], tmp_path: Path
) -> None:
    kb, refs = content
    target = tmp_path / "index"
    args = ["build", "--kb", str(kb), "--references", str(refs), "--index", str(target)]
    strict = runner.invoke(args=args)
    assert strict.exit_code == 1 and "build aborted" in strict.output
    assert "bad.bib:1" in strict.output and current_build(target) is None
    lenient = runner.invoke(args=[*args, "--keep-going"])
    assert "indexed 10, rejected 1" in lenient.output
    path = current_build(target)
    assert path is not None and ids(OpenBuild(path), "xylophone") == {"xylophone"}


def test_documents_deleted_from_a_whoosh_index_are_not_found(tmp_path: Path, references: Any) -> None:
    path = build(corpus_of(references, list(references), "d"), tmp_path)
    ix = whoosh_index.open_dir(str(path / WHOOSH_DIR))
    writer = ix.writer()
    writer.delete_by_term("id", "xylophone")
    writer.commit(merge=False)
    opened = OpenBuild(path)
    assert ids(opened, "xylophone") == set() and ids(opened, "improvisation") == set()
    result = opened.search(SearchRequest(q="", type="reference", per_page=100))
    assert result.total == 9 and result.facets["type"] == {"reference": 9}
