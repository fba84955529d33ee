"""Plain-language Norwegian (klarspråk): every recommendation and evidence item has `summary_nb`, short,
not a copy of the English summary, with no number that is not data; "Hva er musikkterapi?" is its own
resource; the schema refuses a summary that breaks the rules, at its file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from mtkb.corpus import Corpus
from mtkb.errors import ContentError
from mtkb.schemas.common import SUMMARY_NB_WORDS, sentences, words
from mtkb.sources.markdown import load_item

from .conftest import KB_DIR

NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def plain_items(corpus: Corpus) -> list:
    items = [i for i in corpus.items.values() if i.type in ("recommendation", "evidence")]
    assert len(items) >= 10
    return items


def test_every_recommendation_and_evidence_item_has_a_plain_summary(corpus: Corpus) -> None:
    for item in plain_items(corpus):
        assert item.summary_nb, f"{item.id} has no summary_nb"
        assert len(words(item.summary_nb)) <= SUMMARY_NB_WORDS, item.id
        english = {s.casefold() for s in sentences(item.summary_en or "")}
        for sentence in sentences(item.summary_nb):
            assert sentence.casefold() not in english, f"{item.id}: {sentence!r} is a sentence of summary_en"
            assert len(words(sentence)) <= 30, (
                f"{item.id}: a long sentence is not plain language: {sentence!r}"
            )


def test_every_number_in_a_plain_summary_is_data(corpus: Corpus) -> None:
    """A number in summary_nb must stand in the item's own data (front matter or the English summary)."""
    for item in plain_items(corpus):
        front = (
            (KB_DIR / Path(item.origin.path).relative_to("kb")).read_text(encoding="utf-8").split("---")[1]
        )
        data = front.replace(item.summary_nb or "", "")
        known = set(NUMBER.findall(data)) | set(NUMBER.findall(data.replace(",", "")))  # 1,984 is 1984
        for number in NUMBER.findall(item.summary_nb or ""):
            assert number in known, f"{item.id}: {number} in summary_nb is in none of its data"


AVRUSNING = KB_DIR / "recommendations" / "musikkterapi-avrusning.md"


def first_english_sentence() -> str:
    front = AVRUSNING.read_text(encoding="utf-8").split("---")[1]
    summary_en = front.split("summary_en: >-", 1)[1].split("\n", 1)[1]
    lines = []
    for line in summary_en.split("\n"):
        if not line.startswith("  "):
            break
        lines.append(line.strip())
    return sentences(" ".join(lines))[0]


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ("Ord " * (SUMMARY_NB_WORDS + 1), f"at most {SUMMARY_NB_WORDS}"),
        (None, "repeats a sentence"),  # the English summary's first sentence, pasted
    ],
)
def test_the_schema_refuses_a_summary_that_is_not_plain(
    tmp_path: Path, summary: str | None, message: str
) -> None:
    summary = summary or first_english_sentence() + " Det er bra."
    text = AVRUSNING.read_text(encoding="utf-8")
    start = text.index("summary_nb:")
    end = text.index("\n---", start)
    broken = text[:start] + f"summary_nb: {summary.strip()!r}" + text[end:]
    file = tmp_path / "item.md"
    file.write_text(broken, encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_item(file, "kb/item.md")
    line = broken[:start].count("\n") + 1
    (problem,) = raised.value.problems
    assert str(problem).startswith(f"kb/item.md:{line}: summary_nb: ")
    assert message in str(raised.value.problems[0])


def test_the_api_serves_both_summaries(client: FlaskClient) -> None:
    rec = client.get("/api/v1/recommendations/musikkterapi-rusbehandling").get_json()
    assert rec["summary_en"] and rec["summary_nb"] and rec["summary_nb"] != rec["summary_en"]
    evidence = client.get("/api/v1/evidence?per_page=50").get_json()["items"]
    assert all(e["summary_nb"] for e in evidence)


def test_what_is_music_therapy_is_its_own_resource(client: FlaskClient) -> None:
    item = client.get("/api/v1/facts/hva-er-musikkterapi").get_json()
    assert item["title"] == "Hva er musikkterapi?"
    assert "lytte til" in item["summary_nb"] and "spille eller synge" in item["summary_nb"]
    assert item["references"]  # each sentence rests on a public page
    page = client.get("/facts/hva-er-musikkterapi")
    assert page.status_code == 200 and "Hva er musikkterapi?" in page.get_data(as_text=True)
