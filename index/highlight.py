"""Snippets: the text of a hit around the words the query matched, those words in <mark>, the rest escaped.

A word matches when its Norwegian or English stem is one the query searched the Norwegian or English
fields for, so `rusbehandlingen` marks "rusbehandling" and `treatments` marks "treatment".
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from index.analysis import WORD, LanguageText

SNIPPET_CHARS = 240
"""The longest fragment, and the length of a snippet without matches."""
CONTEXT = 60
"""Characters kept on each side of a matched word."""
FRAGMENTS = 2
ELLIPSIS = "…"
NB_FIELDS = ("title_nb", "body_nb")
EN_FIELDS = ("title_en", "body_en")


@dataclass(frozen=True)
class Highlighter:
    """Marks the words whose stems are among a query's Norwegian and English terms."""

    nb: LanguageText
    en: LanguageText
    nb_terms: frozenset[str]
    en_terms: frozenset[str]

    @classmethod
    def for_terms(
        cls, nb: LanguageText, en: LanguageText, terms: Iterable[tuple[str, object]]
    ) -> Highlighter:
        """`terms` are (field, analysed text) pairs, as in the parsed query."""
        pairs = list(terms)
        return cls(
            nb,
            en,
            frozenset(str(t) for f, t in pairs if f in NB_FIELDS),
            frozenset(str(t) for f, t in pairs if f in EN_FIELDS),
        )

    def matches(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) of every matched word in `text`."""
        if not self.nb_terms and not self.en_terms:
            return []
        lowered = text.lower()
        if len(lowered) != len(text):  # 'İ' lowercases to two characters: spans must come from `text`
            return [m.span() for m in WORD.finditer(text) if self._marks(m.group().lower())]
        # Stem each distinct word once, then find the marked ones (most words recur in a text).
        marked = {word for word in set(WORD.findall(lowered)) if self._marks(word)}
        if not marked:
            return []
        return [m.span() for m in WORD.finditer(lowered) if m.group() in marked]

    def _marks(self, word: str) -> bool:
        return self.nb.stem(word) in self.nb_terms or self.en.stem(word) in self.en_terms

    def snippet(self, text: str) -> str:
        """HTML: up to FRAGMENTS fragments around matched words, or the start of the text."""
        spans = self.matches(text)
        if not spans:
            return plain_snippet(text)
        fragments = _fragments(text, spans)
        best = sorted(fragments, key=lambda f: (-len({text[a:b].lower() for a, b in f[2]}), -len(f[2]), f[0]))
        chosen = sorted(best[:FRAGMENTS])
        parts = []
        for start, end, marks in chosen:
            out = [ELLIPSIS] if start > 0 else []
            at = start
            for a, b in marks:
                out += [html.escape(text[at:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
                at = b
            out.append(html.escape(text[at:end]))
            if end < len(text):
                out.append(ELLIPSIS)
            parts.append("".join(out))
        return "".join(parts).replace(ELLIPSIS + ELLIPSIS, ELLIPSIS)


def _fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Windows of at most SNIPPET_CHARS around runs of matches, cut at whitespace where possible."""
    fragments: list[tuple[int, int, list[tuple[int, int]]]] = []
    start, end, marks = -1, -1, []  # type: ignore[var-annotated]
    for a, b in spans:
        if marks and b + CONTEXT - start <= SNIPPET_CHARS:
            end, marks = min(len(text), b + CONTEXT), [*marks, (a, b)]
            continue
        if marks:
            fragments.append((start, end, marks))
        start, end, marks = max(0, a - CONTEXT), min(len(text), b + CONTEXT), [(a, b)]
    fragments.append((start, end, marks))
    return [(_cut_start(text, s, m[0][0]), _cut_end(text, e, m[-1][1]), m) for s, e, m in fragments]


def _cut_start(text: str, start: int, first: int) -> int:
    if start == 0:
        return 0
    space = text.find(" ", start, first)
    return space + 1 if space >= 0 else start


def _cut_end(text: str, end: int, last: int) -> int:
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", last, end)
    return space if space >= 0 else end


def plain_snippet(text: str) -> str:
    """The start of `text`, escaped, with an ellipsis if cut."""
    return html.escape(text[:SNIPPET_CHARS] + (ELLIPSIS if len(text) > SNIPPET_CHARS else ""))
