"""Versions, permalinks and the change feed, from a small git repository that each test module builds:
commit 1 adds the fixture content, commit 2 edits two items (one marked as a professional change),
commit 3 removes one item. Also: no history (a copy without .git) and a shallow clone."""

from __future__ import annotations

import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import create_app
from index import build_index
from index.build import HISTORY_CACHE_DIR
from mtkb import gitlog, history
from mtkb.corpus import load_corpus

DATA = Path(__file__).resolve().parent / "data"
ATOM = "{http://www.w3.org/2005/Atom}"


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "e@example.org",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "e@example.org",
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def build(repo: Path, index: Path) -> Flask:
    kb, refs = repo / "kb", repo / "references"
    corpus = load_corpus(kb, refs)
    assert not corpus.problems, corpus.problems
    build_index(
        corpus,
        index,
        prerender_citations=False,
        history=history.derive(kb, refs, index / HISTORY_CACHE_DIR),
    )
    return create_app(
        {"TESTING": True, "INDEX_DIR": str(index), "KB_DIR": str(kb), "REFERENCES_DIR": str(refs)}
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("content")
    shutil.copytree(DATA / "content" / "valid", root, dirs_exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "First content")
    first = load_corpus(root / "kb", root / "references").version
    edit(
        root / "kb/recommendations/test-anbefaling.md",
        "title: Musikkterapi (test)",
        "title: Musikkterapi (endret)",
    )
    edit(root / "kb/reports/test-rapport-2019.md", "(test)", "(endret)")
    git(root, "commit", "-q", "-am", "Edit two items\n\nProfessional-change: test-anbefaling")
    git(root, "rm", "-q", "kb/facts/test-kode.md")
    git(root, "commit", "-q", "-m", "Remove a fact")
    third = load_corpus(root / "kb", root / "references").version
    index = tmp_path_factory.mktemp("index")
    return {"root": root, "first": first, "third": third, "index": index, "app": build(root, index)}


@pytest.fixture()
def client(repo: dict[str, Any]) -> FlaskClient:
    return repo["app"].test_client()


def test_changes_since_the_first_commit_are_exactly_its_three(
    client: FlaskClient, repo: dict[str, Any]
) -> None:
    body = client.get(f"/api/v1/changes?since={repo['first']}").get_json()
    changes = {(c["type"], c["id"]): c for c in body["items"]}
    assert set(changes) == {
        ("recommendation", "test-anbefaling"),
        ("report", "test-rapport-2019"),
        ("fact", "test-kode"),
    }
    rec, fact = changes[("recommendation", "test-anbefaling")], changes[("fact", "test-kode")]
    assert (rec["change"], rec["old_version"], rec["new_version"], rec["professional"]) == (
        "changed",
        1,
        2,
        True,
    )
    assert changes[("report", "test-rapport-2019")]["professional"] is False
    assert (fact["change"], fact["old_version"], fact["new_version"]) == ("removed", 1, None)
    assert body["content_version"] == repo["third"]


def test_changes_since_the_last_commit_are_none(client: FlaskClient, repo: dict[str, Any]) -> None:
    response = client.get(f"/api/v1/changes?since={repo['third']}")
    assert response.get_json()["items"] == []
    again = client.get(
        f"/api/v1/changes?since={repo['third']}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_changes_since_a_time_and_bad_since(client: FlaskClient) -> None:
    assert client.get("/api/v1/changes?since=2000-01-01T00:00:00Z").get_json()["total"] >= 3
    assert client.get("/api/v1/changes?since=2999-01-01T00:00:00%2B01:00").get_json()["items"] == []
    for bad in ("deadbeefdeadbeef", "2020-01-01", "yesterday"):
        response = client.get(f"/api/v1/changes?since={bad}")
        assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_changes_are_paged_with_link_headers(client: FlaskClient) -> None:
    response = client.get("/api/v1/changes?per_page=1")
    assert response.get_json()["total"] > 1 and 'rel="next"' in response.headers["Link"]


def test_items_carry_versions_and_dates(client: FlaskClient) -> None:
    rec = client.get("/api/v1/recommendations/test-anbefaling").get_json()
    assert rec["version"] == 2 and rec["first_published"] and rec["last_edited"] >= rec["first_published"]
    listed = client.get("/api/v1/recommendations/test-anbefaling/versions").get_json()["items"]
    assert [(v["version"], v["professional"]) for v in listed] == [(1, False), (2, True)]
    assert listed[1]["permalink"].endswith("/api/v1/recommendations/test-anbefaling/versions/2")
    guideline = client.get("/api/v1/guidelines/test-retningslinje").get_json()
    assert guideline["version"] == 1


def test_a_version_is_the_same_data_for_ever(repo: dict[str, Any], tmp_path: Path) -> None:
    path = "/api/v1/recommendations/test-anbefaling/versions/1"
    before = repo["app"].test_client().get(path).get_json()
    assert before["data"]["title"] == "Musikkterapi (test)" and before["problems"] == []
    root = tmp_path / "later"
    shutil.copytree(repo["root"], root)
    edit(root / "kb/recommendations/test-anbefaling.md", "(endret)", "(endret igjen)")
    git(root, "commit", "-q", "-am", "Edit again")
    later = build(root, tmp_path / "index").test_client()
    after = later.get(path).get_json()
    assert {k: v for k, v in after.items() if k != "permalink"} == {
        k: v for k, v in before.items() if k != "permalink"
    }
    assert later.get("/api/v1/recommendations/test-anbefaling").get_json()["version"] == 3
    assert later.get("/api/v1/recommendations/test-anbefaling/versions/4").status_code == 404


def test_removed_items_keep_their_versions_in_history_only(client: FlaskClient) -> None:
    assert client.get("/api/v1/facts/test-kode").status_code == 404


def test_feeds(client: FlaskClient) -> None:
    response = client.get("/api/v1/changes.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert any("Musikkterapi (endret)" in (t or "") for t in titles)
    assert any((t or "").startswith("Removed") for t in titles)
    only = ET.fromstring(client.get("/api/v1/changes.atom?type=recommendation").data)
    assert all("recommendation" in (e.findtext(f"{ATOM}title") or "") for e in only.iter(f"{ATOM}entry"))
    json_feed = client.get("/api/v1/changes.json?type=report").get_json()
    assert json_feed["version"] == "https://jsonfeed.org/version/1.1"
    assert {i["_mtkb"]["id"] for i in json_feed["items"]} == {"test-rapport-2019"}


def test_citation_of_a_version_names_its_permalink_and_date(client: FlaskClient) -> None:
    for style in ("helsedirektoratet", "apa"):
        body = client.get(
            f"/api/v1/recommendations/test-anbefaling/citation?version=1&style={style}"
        ).get_json()
        assert "/api/v1/recommendations/test-anbefaling/versions/1" in body["citation"], style
    norwegian = client.get("/api/v1/recommendations/test-anbefaling/citation?version=2").get_json()
    assert "mtkb-versjon 2" in norwegian["citation"]
    assert client.get("/api/v1/recommendations/test-anbefaling/citation?version=7").status_code == 404


def test_health_and_manifest_say_where_versions_come_from(client: FlaskClient) -> None:
    summary = client.get("/api/v1/health").get_json()["history"]
    assert summary["status"] == "git" and summary["commits"] == 3 and summary["uncommitted_changes"] is False


def test_without_history_everything_is_version_1(repo: dict[str, Any], tmp_path: Path) -> None:
    copy = tmp_path / "tarball"
    shutil.copytree(repo["root"], copy, ignore=shutil.ignore_patterns(".git"))
    client = build(copy, tmp_path / "index").test_client()
    assert client.get("/api/v1/health").get_json()["history"]["status"] == "none"
    rec = client.get("/api/v1/recommendations/test-anbefaling").get_json()
    assert (rec["version"], rec["first_published"], rec["last_edited"]) == (1, None, rec["updated"])
    assert client.get("/api/v1/recommendations/test-anbefaling/versions").get_json()["items"] == []


def test_a_shallow_clone_says_so(repo: dict[str, Any], tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo['root']}", str(shallow)], check=True)
    client = build(shallow, tmp_path / "index").test_client()
    assert client.get("/api/v1/health").get_json()["history"]["status"] == "shallow"
    assert client.get("/api/v1/recommendations/test-anbefaling").get_json()["version"] == 1


def test_a_rebuild_without_new_commits_reads_no_history(
    repo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = repo["index"] / HISTORY_CACHE_DIR

    def no_log(*_: Any) -> None:
        raise AssertionError("the history was read again")

    monkeypatch.setattr(gitlog, "commits", no_log)
    started = time.perf_counter()
    again = history.derive(repo["root"] / "kb", repo["root"] / "references", cache)
    assert time.perf_counter() - started < 1.0  # generous: the figure is measured in bench/
    assert again.status == "git" and len(again.commits) == 3


def test_openapi_lists_the_new_routes(client: FlaskClient) -> None:
    paths = client.get("/api/v1/swagger.json").get_json()["paths"]
    for route in (
        "/changes",
        "/changes.atom",
        "/changes.json",
        "/recommendations/{ident}/versions",
        "/recommendations/{ident}/versions/{n}",
        "/references/{ident}/versions",
        "/facts/{ident}/versions",
    ):
        assert route in paths, route
