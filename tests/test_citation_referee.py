"""The referee: every reference of the knowledge base in every core style and locale, formatted by
pandoc's citeproc (what mtkb serves: the index build's pre-rendered citations) and by citeproc-js
(tests/referee/render.js, npm `citeproc`) from the same CSL-JSON items, the same patched .csl file and
the same CSL locale files (the ones pandoc embeds, tests/referee/locales/). Any difference not
accepted, with its reason, in tests/referee/accepted.yaml fails. Golden files (tests/data/citations/)
test what is right; the referee tests what changed.

Needs node and `npm ci` in tests/referee (`make test` runs it). Without them the test is skipped with a
loud message, unless MTKB_REQUIRE_NODE=1 (set by CI), which makes their absence a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from index.builds import current_build
from mtkb.citations import CORE_STYLES, LOCALES
from mtkb.citations.engine import csl_items, engine_input
from mtkb.corpus import Corpus
from mtkb.records import Reference

ROOT = Path(__file__).resolve().parent.parent
REFEREE = ROOT / "tests" / "referee"
ACCEPTED = REFEREE / "accepted.yaml"
SCOPES = ("styles", "locales", "keys", "part", "final_author_others")
PARTS = ("bibliography", "intext")


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with citeproc-js installed; skips loudly (or fails under MTKB_REQUIRE_NODE=1)."""
    node = shutil.which("node") or shutil.which("nodejs")
    installed = (REFEREE / "node_modules" / "citeproc" / "package.json").is_file()
    problem = (
        "node is not installed (apt-get install nodejs npm)"
        if not node
        else "citeproc-js is not installed (cd tests/referee && npm ci)"
        if not installed
        else None
    )
    if problem:
        message = f"!!! citation referee SKIPPED: {problem} !!!"
        if os.environ.get("MTKB_REQUIRE_NODE") == "1":
            pytest.fail(message.replace("SKIPPED", "REQUIRED (MTKB_REQUIRE_NODE=1)"))
        print(message)
        pytest.skip(message)
    assert node is not None
    return node


@dataclass
class Rule:
    reason: str
    pandoc: str
    as_: str
    citeproc_js: str | None = None
    scope: dict[str, Any] = field(default_factory=dict)
    used: int = 0

    def applies(self, style: str, locale: str, key: str, part: str, others: bool) -> bool:
        here = {"styles": style, "locales": locale, "keys": key}
        for name, value in here.items():
            if name in self.scope and value not in self.scope[name]:
                return False
        if "part" in self.scope and self.scope["part"] != part:
            return False
        return not ("final_author_others" in self.scope and self.scope["final_author_others"] != others)


def load_rules(path: Path = ACCEPTED) -> list[Rule]:
    """The accepted differences; raises AssertionError for a rule without a one-line reason or with
    an unknown field."""
    rules = []
    for raw in yaml.safe_load(path.read_text("utf-8")) or []:
        unknown = set(raw) - {"reason", "pandoc", "citeproc_js", "as", *SCOPES}
        assert not unknown, f"{path.name}: unknown fields {unknown} in {raw}"
        reason = str(raw.get("reason") or "").strip()
        assert reason and "\n" not in reason, f"{path.name}: every rule needs a one-line reason: {raw}"
        assert raw.get("part") in (None, *PARTS), raw
        rules.append(
            Rule(
                reason=reason,
                pandoc=raw["pandoc"],
                as_=raw["as"],
                citeproc_js=raw.get("citeproc_js"),
                scope={k: raw[k] for k in SCOPES if k in raw},
            )
        )
    return rules


@dataclass
class Verdict:
    compared: int = 0
    identical: int = 0
    accepted: int = 0
    unexplained: list[str] = field(default_factory=list)


def judge(
    style: str, locale: str, ref: Reference, ours: dict[str, str], theirs: dict[str, str], rules: list[Rule]
) -> str:
    """ "identical", "accepted" or "unexplained" for one entry (its bibliography entry and citation)."""
    verdict = "identical"
    for part in PARTS:
        mine, other = ours[part], theirs[part]
        if mine == other:
            continue
        verdict = "accepted"
        used = []
        for rule in rules:
            if rule.applies(style, locale, ref.key, part, ref.authors_incomplete):
                before = (mine, other)
                mine = re.sub(rule.pandoc, rule.as_, mine)
                if rule.citeproc_js:
                    other = re.sub(rule.citeproc_js, rule.as_, other)
                if (mine, other) != before:
                    used.append(rule)
        if mine != other:
            return "unexplained"
        for rule in used:
            rule.used += 1
    return verdict


def _citeproc_js(node: str, style: Path, runs: list[dict[str, Any]]) -> list[dict[str, dict[str, str]]]:
    payload = {"style": str(style), "locales": str(REFEREE / "locales"), "runs": runs}
    done = subprocess.run(
        [node, str(REFEREE / "render.js")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"citeproc-js failed on {style.name}: {done.stderr[-2000:]}"
    result: list[dict[str, dict[str, str]]] = json.loads(done.stdout)
    return result


def _references(corpus: Corpus) -> tuple[Reference, ...]:
    return tuple(sorted(corpus.references.values(), key=lambda r: r.key))


def referee(node: str, build: Path, refs: tuple[Reference, ...], rules: list[Rule]) -> Verdict:
    """Both engines over `refs` in every core style and locale: what the index `build` serves (its
    pre-rendered citations, pandoc's) against citeproc-js; the verdict of every entry."""
    verdict = Verdict()
    for style in CORE_STYLES:
        runs, served = [], {}
        for locale in LOCALES:
            served[locale] = json.loads((build / "citations" / style / f"{locale}.json").read_text("utf-8"))
            job = engine_input(csl_items(refs), style, locale)
            runs.append({"locale": job.locale, "items": job.items})
        for locale, theirs in zip(LOCALES, _citeproc_js(node, job.style, runs), strict=True):
            for ref in refs:
                mine = served[locale][ref.key]
                ours = {"bibliography": mine["bibliography_text"], "intext": mine["intext_text"]}
                outcome = judge(style, locale, ref, ours, theirs[ref.key], rules)
                verdict.compared += 1
                if outcome == "identical":
                    verdict.identical += 1
                elif outcome == "accepted":
                    verdict.accepted += 1
                else:
                    other = theirs[ref.key]
                    verdict.unexplained.append(
                        f"{style} {locale} {ref.key}\n"
                        f"  pandoc:      {ours['bibliography']}\n  citeproc-js: {other['bibliography']}\n"
                        f"  pandoc:      {ours['intext']}\n  citeproc-js: {other['intext']}"
                    )
    return verdict


def test_accepted_differences_each_have_a_one_line_reason() -> None:
    rules = load_rules()
    assert rules
    for rule in rules:
        re.compile(rule.pandoc)
        if rule.citeproc_js:
            re.compile(rule.citeproc_js)


def test_a_rule_accepts_only_what_it_names(corpus: Corpus) -> None:
    """A difference no rule covers stays unexplained (the check can fail)."""
    rules = load_rules()
    ref = _references(corpus)[0]
    same = {"bibliography": "A. (2020). T.", "intext": "(A, 2020)"}
    assert judge("apa", "en-US", ref, same, dict(same), rules) == "identical"
    other = {**same, "bibliography": "A. (2021). T."}
    assert judge("apa", "en-US", ref, same, other, rules) == "unexplained"
    nature = {"bibliography": "x", "intext": "¹"}
    assert judge("nature", "en-US", ref, nature, {"bibliography": "x", "intext": "1"}, rules) == "accepted"
    assert judge("apa", "en-US", ref, nature, {"bibliography": "x", "intext": "1"}, rules) == "unexplained"


def test_the_referee_finds_no_unexplained_difference(
    node: str, index_dir: Path, corpus: Corpus, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = load_rules()
    build = current_build(index_dir)
    assert build is not None and (build / "citations").is_dir()
    verdict = referee(node, build, _references(corpus), rules)
    with capsys.disabled():  # the counts are shown in every run, not only when the test fails
        print(
            f"\ncitation referee (pandoc citeproc vs citeproc-js): {verdict.compared} entries compared, "
            f"{verdict.identical} identical, {verdict.accepted} accepted, "
            f"{len(verdict.unexplained)} unexplained"
        )
        for rule in rules:
            if not rule.used:
                print(f"  accepted difference no longer seen (remove it?): {rule.reason}")
    assert verdict.compared == len(corpus.references) * len(CORE_STYLES) * len(LOCALES)
    assert not verdict.unexplained, "unexplained differences:\n" + "\n".join(verdict.unexplained)
