"""Text analysis: Norwegian and English stemming, accent folding for names, and the synonym concepts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import yaml
from whoosh.analysis import Analyzer, Filter, LanguageAnalyzer, LowercaseFilter, RegexTokenizer, Token

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")
_EXTRA_FOLDS = str.maketrans(
    {"æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}
)


def fold(text: str) -> str:
    """Lowercase without diacritics: 'Ødegaard' -> 'odegaard', 'Jörg' -> 'jorg', 'Bræin' -> 'braein'."""
    text = text.lower().translate(_EXTRA_FOLDS)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


class FoldingFilter(Filter):
    """Applies `fold` to every token."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = fold(token.text)
            yield token


def norwegian() -> Analyzer:
    return LanguageAnalyzer("no")


def english() -> Analyzer:
    return LanguageAnalyzer("en")


def folded() -> Analyzer:
    """Names and spelling words: lowercase, no diacritics, no stemming."""
    return RegexTokenizer() | LowercaseFilter() | FoldingFilter()


@lru_cache(maxsize=1)
def concept_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(concept, regex over folded text) for every synonym group in `synonyms.yaml`."""
    groups = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8"))
    patterns = []
    for concept, terms in groups.items():
        alternatives = []
        for term in terms:
            prefix = term.endswith("*")
            words = fold(term.rstrip("*")).split()
            alternatives.append(r"\s+".join(map(re.escape, words)) + (r"\w*" if prefix else ""))
        patterns.append((concept, re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")))
    return tuple(patterns)


def concepts_in(text: str) -> list[str]:
    """The concepts whose words or phrases occur in `text`."""
    folded_text = fold(text)
    return [concept for concept, pattern in concept_patterns() if pattern.search(folded_text)]
