"""`mtkb verify-upstream` on a stored copy of the official page of the substance use recommendation: an
unchanged quote passes; one changed word is reported with the item and the words. And the quote's hash."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner

from mtkb.corpus import Corpus
from mtkb.errors import ContentError
from mtkb.records import Recommendation
from mtkb.sources.markdown import load_item
from mtkb.upstream import compare, page_text, quote_hash
from tests.conftest import KB_DIR, REFERENCES_DIR

PAGE = Path(__file__).resolve().parent / "data" / "upstream" / "musikkterapi-rusbehandling.html"
ITEM = "musikkterapi-rusbehandling"


def run(runner: FlaskCliRunner, page: Path) -> tuple[int, str]:
    content = ["--kb", str(KB_DIR), "--references", str(REFERENCES_DIR)]
    result = runner.invoke(args=["verify-upstream", *content, "--item", ITEM, "--page", f"{ITEM}={page}"])
    return result.exit_code, result.output


def test_an_unchanged_quote_passes(runner: FlaskCliRunner) -> None:
    code, output = run(runner, PAGE)
    assert (code, output.strip()) == (0, f"{ITEM}: unchanged")


def test_one_changed_word_is_reported_with_the_item_and_the_words(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    changed = tmp_path / "page.html"
    changed.write_text(
        PAGE.read_text(encoding="utf-8").replace("Det foreslås at", "Det anbefales at"), "utf-8"
    )
    code, output = run(runner, changed)
    assert code == 1
    assert output.startswith(f"{ITEM}: DRIFT")
    assert "quote has foreslås; page has anbefales" in output


def test_an_unreadable_page_is_exit_2(runner: FlaskCliRunner, tmp_path: Path) -> None:
    code, output = run(runner, tmp_path / "missing.html")
    assert code == 2 and "could not read" in output


def test_the_page_text_skips_scripts_and_keeps_blocks() -> None:
    text = page_text("<p>A <b>b</b></p><script>x = 1</script><div>C&amp;D</div>")
    assert text == "A b\nC&D"
    assert compare("a b c", "x a b c y").found
    drift = compare("one two three four", "zero one two THREE four five")
    assert (drift.found, drift.removed, drift.added) == (False, ["three"], ["THREE"])


def test_every_quote_carries_the_hash_of_its_text(corpus: Corpus, client) -> None:  # type: ignore[no-untyped-def]
    for item in corpus.of_type("recommendation"):
        assert isinstance(item, Recommendation)
        served = client.get(f"/api/v1/recommendations/{item.id}").get_json()["wording"]
        expected = quote_hash(item.wording.text) if item.wording.text else None
        assert served["sha256"] == expected
    assert quote_hash("a  b\n") == quote_hash("a b")


def test_a_pinned_hash_that_no_longer_matches_is_a_content_problem(tmp_path: Path) -> None:
    source = (KB_DIR / "recommendations" / f"{ITEM}.md").read_text(encoding="utf-8")
    pinned = source.replace("  status: quoted\n", f"  status: quoted\n  sha256: {'0' * 64}\n", 1)
    assert pinned != source
    file = tmp_path / f"{ITEM}.md"
    file.write_text(pinned, encoding="utf-8")
    try:
        load_item(file, "kb/recommendations/x.md")
    except ContentError as exc:
        assert any("sha256" in str(p) and "does not match" in str(p) for p in exc.problems)
    else:
        raise AssertionError("a wrong hash was accepted")
