"""A smoke round of the index benchmark (1,000 references, a few queries of each kind), so that it cannot
rot: it runs end to end and prints its table with every row and a ratio column. No time is asserted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import generate, index_bench

ROWS = [
    "load BibTeX (whoosh side only)",
    "build time",
    "index size",
    "peak memory",
    "memory after loading the BibTeX (whoosh side only)",
    *[f"{kind}, {stat}" for kind in (*index_bench.KINDS, "all queries") for stat in ("median", "p99")],
]


def test_the_benchmark_runs_and_prints_every_row_with_a_ratio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n\nkept\n\n<!-- bench:start -->\nold\n<!-- bench:end -->\n\nkept too\n")
    monkeypatch.setattr(index_bench, "README", readme)
    index_bench.main(
        ["--sizes", "1000", "--queries", "3", "--work", str(tmp_path / "work"), "--write-readme"]
    )
    out = capsys.readouterr().out
    assert "#### 1,000 references (3 queries per kind, load average" in out
    assert "| measure | whoosh | FTS5 | ratio |" in out
    for row in ROWS:
        line = next((line for line in out.splitlines() if line.startswith(f"| {row} |")), None)
        assert line is not None, f"no row {row!r}"
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 4, line
        if "whoosh side only" not in row:
            assert re.fullmatch(r"\d+\.\d+x", cells[3]), f"no ratio in {line!r}"
    text = readme.read_text()
    assert "old" not in text and "kept" in text and "kept too" in text and "| build time |" in text


def test_the_generator_is_deterministic_and_as_documented(tmp_path: Path) -> None:
    first = generate.write(300, tmp_path / "a")
    second = generate.write(300, tmp_path / "b")
    assert [f.read_bytes() for f in first] == [f.read_bytes() for f in second]
    entries = list(generate.records(300))
    norwegian = sum(e.fields.get("language") == "norwegian" for e in entries)
    assert 0.15 < norwegian / len(entries) < 0.35, "about a quarter Norwegian"
    assert all(1980 <= int(e.fields["year"]) <= 2026 for e in entries)
    words = [len(e.fields["abstract"].split()) for e in entries]
    assert 120 < sum(words) / len(words) < 180, "abstracts of about 150 words"
    assert any(ch in e.fields["author"] for e in entries for ch in "øæåØÆÅ"), "Norwegian letters in names"
    assert len({e.key for e in entries}) == len(entries)
