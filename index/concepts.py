"""The synonym concepts of `synonyms.yaml`: which a document mentions, and the regexes a query is read with.

Each group names a concept and lists its Norwegian and English words and phrases; a document that uses any
of them is tagged with the concept, and a query that uses any of them also finds the tagged documents.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from index.analysis import PLAIN_WORD, fold

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")


def _alternatives(term: str) -> tuple[list[str], bool]:
    return fold(term.rstrip("*")).split(), term.endswith("*")


@lru_cache(maxsize=1)
def _groups() -> dict[str, list[str]]:
    groups = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return {str(concept): [str(t) for t in terms] for concept, terms in groups.items()}


def concept_terms(concept: str) -> list[str]:
    """The words and phrases of one concept, as written in `synonyms.yaml` (a trailing `*`: a prefix)."""
    return _groups().get(concept, [])


@lru_cache(maxsize=1)
def concept_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(concept, regex over folded text) for every synonym group in `synonyms.yaml`."""
    patterns = []
    for concept, terms in _groups().items():
        alternatives = []
        for term in terms:
            words, prefix = _alternatives(term)
            alternatives.append(r"\s+".join(map(re.escape, words)) + (r"\w*" if prefix else ""))
        patterns.append((concept, re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")))
    return tuple(patterns)


class _ConceptIndex:
    """The synonym terms arranged for a fast scan of a document, with the same matches as the regexes of
    `concept_patterns`: one-word terms by word, one-word prefixes for str.startswith, and multi-word terms
    found with str.find in the text with its whitespace collapsed (the regexes allow any whitespace)."""

    def __init__(self) -> None:
        self.words: dict[str, set[str]] = {}
        self.prefixes: list[tuple[str, str]] = []
        self.phrases: list[tuple[str, str, bool]] = []  # (concept, words joined by one space, is a prefix)
        for concept, terms in _groups().items():
            for term in terms:
                words, prefix = _alternatives(term)
                if len(words) == 1 and PLAIN_WORD.fullmatch(words[0]):
                    if prefix:
                        self.prefixes.append((words[0], concept))
                    else:
                        self.words.setdefault(words[0], set()).add(concept)
                else:
                    self.phrases.append((concept, " ".join(words), prefix))
        self.prefix_tuple = tuple(p for p, _ in self.prefixes)
        self._seen: set[str] = set()  # every word seen so far ...
        self._by_word: dict[str, frozenset[str]] = {}  # ... and those that name concepts

    def _concepts_of_word(self, word: str) -> frozenset[str]:
        found = set(self.words.get(word, ()))
        if word.startswith(self.prefix_tuple):
            found.update(c for p, c in self.prefixes if word.startswith(p))
        return frozenset(found)

    def find(self, folded_text: str, words: set[str] | None = None) -> set[str]:
        """The concepts in `folded_text`; `words`, if given, are its words (`\\w+`)."""
        words = words if words is not None else set(PLAIN_WORD.findall(folded_text))
        found: set[str] = set()
        unseen = words - self._seen
        if unseen:
            self._seen |= unseen
            for word in unseen:
                concepts = self._concepts_of_word(word)
                if concepts:
                    self._by_word[word] = concepts
        for word in words.intersection(self._by_word):
            found |= self._by_word[word]
        collapsed = ""
        for concept, phrase, prefix in self.phrases:
            if concept in found:
                continue
            collapsed = collapsed or " ".join(folded_text.split())
            if _has_phrase(collapsed, phrase, prefix):
                found.add(concept)
        return found


def _has_phrase(text: str, phrase: str, prefix: bool) -> bool:
    """Whether `phrase` occurs in `text` starting at a word boundary and, unless `prefix`, ending at one."""
    at = text.find(phrase)
    while at >= 0:
        end = at + len(phrase)
        before_ok = at == 0 or not _is_word_char(text[at - 1])
        after_ok = prefix or end == len(text) or not _is_word_char(text[end])
        if before_ok and after_ok:
            return True
        at = text.find(phrase, at + 1)
    return False


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


@lru_cache(maxsize=1)
def concept_index() -> _ConceptIndex:
    return _ConceptIndex()


def concepts_in(text: str) -> list[str]:
    """The concepts whose words or phrases occur in `text`, in the order of `synonyms.yaml`."""
    found = concept_index().find(fold(text))
    return [concept for concept in _groups() if concept in found]
