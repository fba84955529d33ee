"""Building from broken and malicious content: every problem is reported by file and line, a strict build
keeps the old index, a --keep-going build loses no valid item, and hostile markup is escaped or
sanitised in everything the API serves."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner

from api import create_app
from tests.conftest import KB_DIR, REFERENCES_DIR

SCRIPT = "<script>alert(1)</script>"
HOSTILE_BIB = {
    "unbalanced.bib": "@article{unbalanced2020,\n  title = {Never {closed},\n  year = 2020\n}\n",
    "syntax.bib": "@article{syntax2020\n  title = {No comma after the key},\n}\n",
    "latin1.bib": "@article{latin2020,\n  title = {M\xf8te i Troms\xf8},\n  year = {2020}\n}\n",
    "huge.bib": "@article{huge2020,\n  title = {Huge},\n  abstract = {"
    + "x" * 30_000
    + "},\n  year = {2020}\n}\n",
    "garbage.bib": None,  # binary garbage, written below
    "script.bib": (
        "@article{script2020,\n  title = {" + SCRIPT + " music therapy},\n"
        "  abstract = {<img src=x onerror=alert(2)> craving},\n  year = {2020}\n}\n"
    ),
}
HOSTILE_MD = {
    "bomb.md": (
        "---\nid: bomb\ntype: fact\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b]\n---\nbody\n"
    ),
    "traversal.md": (
        "---\nid: ../../etc/passwd\ntype: fact\ntitle: Traversal\nlang: nb\nupdated: 2026-11-23\n"
        "verification: {status: unverified}\nstatement: s\nvalue: 1\nstatus: current\n---\n"
    ),
    "duplicate.md": (
        "---\nid: musikkterapi-rusbehandling\ntype: fact\ntitle: Duplicate id\nlang: nb\n"
        "updated: 2026-11-23\nverification: {status: unverified}\nstatement: s\nvalue: 1\n"
        "status: current\n---\n"
    ),
    "no-front-matter.md": "Just prose, no front matter.\n",
    "bad-yaml.md": "---\nid: bad\ntype: fact\ntitle: [unclosed\n---\n",
}


def hostile_content(tmp_path: Path) -> tuple[Path, Path]:
    kb, refs = tmp_path / "kb", tmp_path / "references"
    shutil.copytree(KB_DIR, kb)
    shutil.copytree(REFERENCES_DIR, refs)
    for name, text in HOSTILE_BIB.items():
        if name == "latin1.bib":
            (refs / name).write_bytes(text.encode("latin-1"))
        elif text is None:
            (refs / name).write_bytes(bytes(range(256)) * 8)
        else:
            (refs / name).write_text(text, encoding="utf-8")
    for name, text in HOSTILE_MD.items():
        (kb / "facts" / name).write_text(text, encoding="utf-8")
    return kb, refs


def build(runner: FlaskCliRunner, kb: Path, refs: Path, index: Path, *extra: str):
    return runner.invoke(
        args=["build", "--kb", str(kb), "--references", str(refs), "--index", str(index), *extra]
    )


def test_strict_build_reports_every_file_and_keeps_the_old_index(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    assert build(runner, KB_DIR, REFERENCES_DIR, index).exit_code == 0
    before = (index / "current").readlink()
    kb, refs = hostile_content(tmp_path)
    result = build(runner, kb, refs, index)
    assert result.exit_code == 1
    problems = result.stderr
    for name in [*HOSTILE_BIB, *HOSTILE_MD]:
        if name in ("script.bib",):
            continue  # markup in a title is content, not an error: it is escaped on output
        assert re.search(rf"(references|kb/facts)/{re.escape(name)}:\d+: ", problems), f"{name} not reported"
    assert "aliases are not allowed" in problems
    assert (index / "current").readlink() == before, "a failed strict build must not replace the index"


def test_keep_going_loses_no_valid_item(runner: FlaskCliRunner, corpus, tmp_path: Path) -> None:
    kb, refs = hostile_content(tmp_path)
    result = build(runner, kb, refs, tmp_path / "index", "--keep-going")
    match = re.search(r"indexed (\d+), rejected (\d+)", result.stdout)
    assert match, result.output
    indexed, rejected = int(match[1]), int(match[2])
    valid = len(corpus.items) + len(corpus.references)
    assert indexed == valid + 1, "every valid item, plus script2020 (markup in a title is content)"
    assert rejected == len(HOSTILE_MD) + len(HOSTILE_BIB) - 2  # garbage.bib holds no entry at all
    assert indexed + rejected == valid + len(HOSTILE_MD) + len(HOSTILE_BIB) - 1


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory):
    from index import build_index
    from mtkb.corpus import load_corpus

    tmp = tmp_path_factory.mktemp("hostile")
    kb, refs = hostile_content(tmp)
    build_index(load_corpus(kb, refs), tmp / "index")
    return create_app({"TESTING": True, "INDEX_DIR": str(tmp / "index")}).test_client()


def test_markup_in_titles_is_data_in_json_and_escaped_in_snippets(hostile_client) -> None:
    ref = hostile_client.get("/api/v1/references/script2020").get_json()
    assert ref["title"].startswith(SCRIPT), "JSON carries the text as written; clients insert it as text"
    hits = hostile_client.get("/api/v1/search?q=craving").get_json()["hits"]
    snippet = next(h["snippet"] for h in hits if h["id"] == "script2020")
    assert "<img" not in snippet and "onerror" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0, "only <mark> tags survive"
    jsonld = hostile_client.get("/api/v1/references/script2020?format=jsonld").get_data(as_text=True)
    assert "</script>" not in jsonld.replace("<\\/script>", ""), (
        "JSON must not close a <script> it is embedded in"
    )


def test_hostile_queries_in_urls(hostile_client) -> None:
    for url in [
        "/api/v1/search?q=%ff%fe",
        "/api/v1/search?q=%",
        "/api/v1/search?q=a%00b",
        "/api/v1/search?q=" + "%E2%80%AE" * 50,
        "/api/v1/references/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    ]:
        response = hostile_client.get(url)
        assert response.status_code < 500, url
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json"
    body = json.loads(hostile_client.get("/api/v1/health").get_data())
    assert body["status"] == "ok"
