"""Front matter: splitting a Markdown file into YAML and body, with the line of every key."""

from __future__ import annotations

import time

import pytest

from mtkb.errors import ContentError
from mtkb.sources.frontmatter import MAX_FRONT_MATTER, split


def problem(text: str) -> str:
    """The single `path:line: message` that splitting `text` raises."""
    with pytest.raises(ContentError) as info:
        split(text, "kb/x.md")
    assert len(info.value.problems) == 1
    return str(info.value.problems[0])


def test_splits_data_body_and_body_line() -> None:
    doc = split("---\nid: a\ntitle: Tittel\n---\n\nBrødtekst [@key].\n", "kb/x.md")
    assert doc.data == {"id": "a", "title": "Tittel"}
    assert doc.body == "\nBrødtekst [@key].\n"
    assert doc.body_line == 5  # the line right after the closing '---'


def test_dots_close_front_matter_too() -> None:
    assert split("---\nid: a\n...\nbody", "kb/x.md").body == "body"


def test_windows_line_endings() -> None:
    doc = split("---\r\nid: a\r\ntitle: T\r\n---\r\nbody", "kb/x.md")
    assert doc.data == {"id": "a", "title": "T"}
    assert doc.field_lines == {"id": 2, "title": 3}


@pytest.mark.parametrize(
    "text", ["", "id: a\n---\n", "# Overskrift\n\n---\nid: a\n---\n", " \n---\nid: a\n---"]
)
def test_missing_front_matter(text: str) -> None:
    assert problem(text) == "kb/x.md:1: missing front matter: the file must start with a '---' line"


@pytest.mark.parametrize("text", ["---\n", "---\nid: a\ntitle: T\n", "---\nid: a\n--\nbody\n"])
def test_unclosed_front_matter(text: str) -> None:
    assert problem(text) == "kb/x.md:1: front matter is not closed by a '---' line"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\nid: a\ntitle: T\n  lang: nb\n---\n", "4: invalid YAML: mapping values are not allowed here"),
        (
            "---\nid: a\ntitle: 'open\nlang: nb\n---\n",
            "4: invalid YAML: found unexpected end of stream (while scanning a quoted scalar from line 3)",
        ),
        (
            "---\nid: a\nreferences: [a, b\nverification: x\n---\n",
            "4: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence from line 3)",
        ),
        (
            "---\nid: a\n\tlang: nb\n---\n",
            "3: invalid YAML: found character '\\t' that cannot start any token",
        ),
    ],
)
def test_invalid_yaml_names_the_line(text: str, expected: str) -> None:
    assert problem(text) == f"kb/x.md:{expected}"


@pytest.mark.parametrize("text", ["---\n---\nbody", "---\n- a\n- b\n---\n", "---\njust text\n---\n"])
def test_front_matter_must_be_a_mapping(text: str) -> None:
    assert problem(text) == "kb/x.md:2: front matter must be a mapping of fields"


def test_alias_refused_at_its_line() -> None:
    text = "---\nid: a\nsettings: &s [TSB]\nother: *s\n---\n"
    assert problem(text) == "kb/x.md:4: invalid YAML: YAML aliases are not allowed in front matter"


def test_merge_key_refused() -> None:
    text = "---\nbase: &b\n  x: 1\nitem:\n  <<: *b\n---\n"
    assert "aliases are not allowed" in problem(text)


def test_billion_laughs_rejected_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "---\n" + "\n".join(lines) + "\n---\n"  # 9**10 strings if it were ever expanded
    started = time.perf_counter()
    message = problem(text)
    assert time.perf_counter() - started < 0.5
    assert message == "kb/x.md:3: invalid YAML: YAML aliases are not allowed in front matter"


def test_deep_nesting_refused_without_crashing() -> None:
    text = "---\nid: a\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n"
    assert problem(text).startswith("kb/x.md:3: invalid YAML: nested deeper than")


def test_duplicate_key_refused_at_second_line() -> None:
    assert problem("---\nid: a\ntitle: T\nid: b\n---\n") == "kb/x.md:4: invalid YAML: duplicate key 'id'"
    nested = "---\nwording:\n  text: x\n  status: quoted\n  text: y\n---\n"
    assert problem(nested) == "kb/x.md:5: invalid YAML: duplicate key 'wording.text'"


def test_python_tags_refused() -> None:
    message = problem("---\nid: a\nx: !!python/object/apply:os.system [ls]\n---\n")
    assert message.startswith("kb/x.md:3: invalid YAML: could not determine a constructor")


def test_oversized_front_matter_refused() -> None:
    text = "---\n" + "".join(f"k{i}: {'x' * 60}\n" for i in range(MAX_FRONT_MATTER // 60)) + "---\n"
    assert problem(text) == f"kb/x.md:2: front matter is larger than {MAX_FRONT_MATTER} bytes"


def test_dates_stay_strings() -> None:
    doc = split(
        "---\nupdated: 2026-11-23\nwhen: 2001-12-14t21:59:43.10-05:00\ntagged: !!timestamp 2017-01-24\n---\n",
        "kb/x.md",
    )
    assert doc.data == {
        "updated": "2026-11-23",
        "when": "2001-12-14t21:59:43.10-05:00",
        "tagged": "2017-01-24",
    }


def test_only_true_and_false_are_booleans() -> None:
    doc = split("---\nlang: no\nb: yes\nc: on\nd: true\ne: False\n---\n", "kb/x.md")
    assert doc.data == {"lang": "no", "b": "yes", "c": "on", "d": True, "e": False}


def test_other_scalars_keep_their_yaml_types() -> None:
    doc = split("---\nn: 17\nv: -0.66\nb: false\nz: null\ns: 'IBBE00'\n---\n", "kb/x.md")
    assert doc.data == {"n": 17, "v": -0.66, "b": False, "z": None, "s": "IBBE00"}


def test_key_line_map_includes_nested_keys_and_list_items() -> None:
    text = (
        "---\n"  # 1
        "id: a\n"  # 2
        "wording:\n"  # 3
        "  text: Det foreslås\n"  # 4
        "  status: quoted\n"  # 5
        "outcomes:\n"  # 6
        "  - name: craving\n"  # 7
        "    value: -0.66\n"  # 8
        "  - name: depression\n"  # 9
        "references: [a, b]\n"  # 10
        "aliases:\n"  # 11
        "  - old-a\n"  # 12
        "---\n"
    )
    assert split(text, "kb/x.md").field_lines == {
        "id": 2,
        "wording": 3,
        "wording.text": 4,
        "wording.status": 5,
        "outcomes": 6,
        "outcomes.0": 7,
        "outcomes.0.name": 7,
        "outcomes.0.value": 8,
        "outcomes.1": 9,
        "outcomes.1.name": 9,
        "references": 10,
        "references.0": 10,
        "references.1": 10,
        "aliases": 11,
        "aliases.0": 12,
    }
