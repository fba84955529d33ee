"""`mtkb preview`, a real development server over a copy of the content: it rebuilds on an edit, the page
shows it, a broken file's problem appears on the page with its path and line, and the pages keep their CSP."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mtkb.corpus
from api.pages import PAGE_CSP
from api.preview import SCRIPT_PATH, STATE_PATH
from mtkb.corpus import ParsedItems, load_corpus

from .servers import ROOT, free_port, wait_until_up

VALID = Path(__file__).parent / "data" / "content" / "valid"
FACT = "kb/facts/test-kode.md"
RELOAD_TIMEOUT_MS = 120_000
"""A rebuild on a loaded machine, plus the script's one-second poll."""


def get(url: str) -> tuple[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8"), response.headers


def state(base: str) -> dict[str, Any]:
    return dict(json.loads(get(base + STATE_PATH)[0]))


def wait_for_build(base: str, after: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = state(base)
        if now["build"] > after and not now["building"]:
            return now
        time.sleep(0.3)
    raise TimeoutError(f"no rebuild after build {after} within {timeout} s")


@pytest.fixture()
def preview(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A running `mtkb preview` over a copy of the valid fixture content; (base URL, content folder)."""
    content = tmp_path / "content"
    shutil.copytree(VALID, content)
    port = free_port()
    command = [sys.executable, "-m", "api.cli", "preview", "--port", str(port)]
    command += ["--kb", str(content / "kb"), "--references", str(content / "references")]
    command += ["--index", str(tmp_path / "preview-index")]
    log = open(tmp_path / "preview.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + STATE_PATH, process, timeout=180)
        yield base, content
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_the_preview_rebuilds_on_an_edit_and_shows_a_broken_files_problem(preview: tuple[str, Path]) -> None:
    base, content = preview
    first = state(base)
    assert first["problems"] == [] and first["error"] is None
    page, headers = get(base + "/facts/test-kode")
    assert "Prosedyrekode for musikkterapi (test)" in page
    assert f'<script src="{SCRIPT_PATH}" data-build="{first["build"]}"></script>' in page
    assert "no problems" in page
    assert headers["Content-Security-Policy"] == PAGE_CSP  # the production CSP, unchanged
    script, script_headers = get(base + SCRIPT_PATH)
    assert STATE_PATH in script and script_headers["Content-Type"].startswith("text/javascript")

    fact = content / FACT
    fact.write_text(fact.read_text("utf-8").replace("(test)", "(redigert)"), encoding="utf-8")
    edited = wait_for_build(base, first["build"])
    assert edited["problems"] == []
    page, _ = get(base + "/facts/test-kode")
    assert "Prosedyrekode for musikkterapi (redigert)" in page

    text = fact.read_text("utf-8").replace("status: historical", "status: [unclosed")
    fact.write_text(text, encoding="utf-8")
    broken = wait_for_build(base, edited["build"])
    line = next(n for n, s in enumerate(text.splitlines(), start=1) if "[unclosed" in s)
    assert any(p.startswith(f"kb/facts/test-kode.md:{line}:") for p in broken["problems"]), broken["problems"]
    page, _ = get(base + "/")  # every page lists the problems; the valid entries keep serving
    assert "1 problem(s)" in page and f"kb/facts/test-kode.md:{line}:" in page
    assert get(base + "/api/v1/guidelines/test-retningslinje")[0]


@pytest.mark.slow
def test_the_open_page_reloads_itself_after_an_edit(preview: tuple[str, Path], browser: Any) -> None:  # noqa: F811
    base, content = preview
    page = browser.new_page()
    errors: list[str] = []  # a CSP violation is reported on the console
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    try:
        page.goto(base + "/facts/test-kode")
        assert "Prosedyrekode for musikkterapi (test)" in page.content()
        fact = content / FACT
        fact.write_text(fact.read_text("utf-8").replace("(test)", "(lastet på nytt)"), encoding="utf-8")
        # a locator, not wait_for_function: the page's CSP forbids evaluating strings
        page.get_by_text("(lastet på nytt)").first.wait_for(timeout=RELOAD_TIMEOUT_MS)
    finally:
        page.close()
    assert errors == []


def test_the_preview_reads_again_only_the_markdown_files_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(VALID, tmp_path / "content")
    kb, refs = tmp_path / "content" / "kb", tmp_path / "content" / "references"
    read: list[str] = []
    real = mtkb.corpus.load_item
    monkeypatch.setattr(mtkb.corpus, "load_item", lambda f, d: read.append(d) or real(f, d))
    parsed: ParsedItems = {}

    def same_as_fresh() -> None:
        memo, fresh = load_corpus(kb, refs, parsed), load_corpus(kb, refs)
        assert (memo.items, memo.problems, memo.version) == (fresh.items, fresh.problems, fresh.version)

    same_as_fresh()
    fact = kb / "facts" / "test-kode.md"
    for new in ("(redigert)", "(redigert igjen)"):
        read.clear()
        fact.write_text(fact.read_text("utf-8").replace("(test)", new), encoding="utf-8")
        load_corpus(kb, refs, parsed)
        assert read == ["kb/facts/test-kode.md"]
        fact.write_text(fact.read_text("utf-8").replace(new, "(test)"), encoding="utf-8")
    fact.write_text(fact.read_text("utf-8").replace("status: historical", "status: [unclosed"), "utf-8")
    load_corpus(kb, refs, parsed)
    read.clear()
    broken = load_corpus(kb, refs, parsed)  # the problem is kept with the file, not read again
    assert read == [] and [p.path for p in broken.problems] == ["kb/facts/test-kode.md"]
    same_as_fresh()
