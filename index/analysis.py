"""Text analysis: Norwegian and English stemming, accent folding for names, the language of a sentence.

The analysers are whoosh's own (`LanguageAnalyzer("no")`, `LanguageAnalyzer("en")`, a folding chain for
names), so queries, highlights and documents are analysed alike. Indexing also has a fast path
(`index_terms`) that gives the same terms and positions as the whoosh chain in one pass over the text:
whoosh pushes every token through a chain of generators, which was most of the build time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from whoosh.analysis import (
    Analyzer,
    CompositeAnalyzer,
    Filter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    SpaceSeparatedTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.lang import stemmer_for_language, stopwords_for_language

_EXTRA_FOLDS = {"æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}
WORD = re.compile(r"[\w*]+(?:\.?[\w*]+)*")
"""whoosh's default token pattern (RegexTokenizer), without its capturing group."""
PLAIN_WORD = re.compile(r"\w+")
"""A word as the synonym concepts, spelling suggestions and language guessing see it."""
MIN_TOKEN = 2
"""whoosh's StopFilter drops tokens shorter than this, as well as the stop words."""


def fold_char(char: str) -> str:
    """One lowercase character without diacritics, as plain as it gets: decomposed (NFKD), combining marks
    dropped, the letters that do not decompose spelled out (æ -> ae, ø -> o, ß -> ss ...), repeated until
    nothing changes (so 'ǿ' -> 'ø' -> 'o')."""
    folded = char
    for _ in range(4):
        decomposed = unicodedata.normalize("NFKD", folded)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_EXTRA_TABLE).lower()
        if plain == folded:
            break
        folded = plain
    return folded


_EXTRA_TABLE = str.maketrans(_EXTRA_FOLDS)
# Every non-ASCII character is folded once per process (Latin-1 and Latin Extended-A/B up front), and a text
# with one str.replace per distinct such character: each replacement is final, so their order is free.
_FOLDS: dict[str, str] = {chr(c): fold_char(chr(c)) for c in range(0x80, 0x250)}


def fold(text: str) -> str:
    """Lowercase without diacritics, character by character (see fold_char): 'Ødegaard' -> 'odegaard',
    'Jörg' -> 'jorg', 'Bræin' -> 'braein'."""
    text = text.lower()
    if text.isascii():
        return text
    for c in set(text):
        if not c.isascii():
            folded = _FOLDS.get(c)
            if folded is None:
                folded = _FOLDS[c] = fold_char(c)
            if folded != c:
                text = text.replace(c, folded)
    return text


_TRANSLITERATIONS = re.compile(r"(?<=[a-z])([aou])e")
"""German transliterations of umlauts (ae, oe, ue) inside a word: 'Krueger', 'Joerg', 'Haemaelaeinen'."""


def match_fold(text: str) -> str:
    """The form words are indexed and searched in: `fold`, then ae, oe and ue inside a word read as a, o
    and u, so that 'Krüger', 'Kruger' and 'Krueger' (and 'Hämäläinen', 'Hamalainen', 'Haemaelaeinen') are
    one word. Applied alike to documents and queries, so the few ordinary words it merges ('blue' is
    'blu') still only find themselves and each other."""
    folded = fold(text)
    return _TRANSLITERATIONS.sub(r"\1", folded) if "e" in folded else folded


class FoldingFilter(Filter):
    """Applies `match_fold` to every token."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = match_fold(token.text)
            yield token


class _StemCache(dict[str, str | None]):
    """Every word analysed once per process (the vocabulary is bounded by the content): its stem, or None
    for a word the StopFilter drops (a stop word, or shorter than MIN_TOKEN)."""

    def __init__(self, stem: Callable[[str], str], stops: frozenset[str]):
        super().__init__()
        self.stem = stem
        self.stops = stops

    def __missing__(self, word: str) -> str | None:
        stemmed = self[word] = (
            None if len(word) < MIN_TOKEN or word in self.stops else match_fold(self.stem(match_fold(word)))
        )
        return stemmed


class _FastAnalyzer(Analyzer):
    """A whoosh analyzer (`chain`) plus `index_terms`, the same analysis for indexing in one pass.

    Pickled into the index's schema by its constructor arguments only (caches are rebuilt on load).
    """

    chain: Analyzer

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:
        return self.chain(value, **kwargs)

    def has_morph(self) -> bool:
        return bool(self.chain.has_morph())

    def clean(self) -> None:
        self.chain.clean()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.__getstate__().items()))))

    def __getstate__(self) -> dict[str, Any]:
        raise NotImplementedError

    def index_terms(self, text: str) -> dict[str, list[int]]:
        """Each term of `text` with its positions, exactly as `chain` would give them for indexing."""
        raise NotImplementedError


class LanguageText(_FastAnalyzer):
    """`LanguageAnalyzer(lang)`: words, lowercased, stop words dropped (positions renumbered), stemmed, with
    `match_fold` before and after the stemmer, so that 'Gjovik' finds 'Gjøvik' and 'Krueger' finds 'Krüger'
    in titles and text (after as well: the stemmer may leave a transliteration it made, 'krueg')."""

    def __init__(self, lang: str):
        self.lang = lang
        tokenize, lower, stop, stem = LanguageAnalyzer(lang).items
        self.chain = CompositeAnalyzer(tokenize, lower, stop, FoldingFilter(), stem, FoldingFilter())
        # The chain's own stop list (whoosh adds its English list to every language's) and stemmer.
        stop = next(f for f in self.chain.items if isinstance(f, StopFilter))
        stem = next(f for f in self.chain.items if isinstance(f, StemFilter))
        if stop.min != MIN_TOKEN or stop.max is not None or not stop.renumber or stem.ignore:
            raise ValueError(f"unexpected whoosh analyzer settings for {lang!r}")
        self._stems = _StemCache(stemmer_for_language(lang), frozenset(stop.stops))

    def __getstate__(self) -> dict[str, Any]:
        return {"lang": self.lang}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["lang"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"LanguageText({self.lang!r})"

    def stem(self, word: str) -> str | None:
        """The term a lowercased word is indexed as, or None for a word the stop filter drops."""
        return self._stems[word]

    def index_terms(self, text: str) -> dict[str, list[int]]:
        stems = list(map(self._stems.__getitem__, _words(text)))
        kept = [stem for stem in stems if stem is not None]
        terms: dict[str, list[int]] = {}
        if not kept:
            return terms
        # StopFilter(renumber=True): the first kept token keeps its position, the rest follow it.
        for pos, stem in enumerate(kept, start=stems.index(kept[0])):
            if stem in terms:
                terms[stem].append(pos)
            else:
                terms[stem] = [pos]
        return terms


def _words(text: str) -> list[str]:
    """The lowercased tokens of whoosh's RegexTokenizer and LowercaseFilter. Lowercasing first is the same
    except for 'İ', the one character whose lowercase is longer."""
    if "\u0130" in text:
        return [w.lower() for w in WORD.findall(text)]
    return WORD.findall(text.lower())


class FoldedText(_FastAnalyzer):
    """Names: words, lowercased, folded with `match_fold` (no diacritics, ue/ae/oe as u/a/o), not stemmed."""

    def __init__(self) -> None:
        self.chain = RegexTokenizer() | LowercaseFilter() | FoldingFilter()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def __repr__(self) -> str:
        return "FoldedText()"

    def index_terms(self, text: str) -> dict[str, list[int]]:
        terms: dict[str, list[int]] = {}
        for pos, word in enumerate(WORD.findall(text)):
            terms.setdefault(match_fold(word), []).append(pos)
        return terms


class WordList(_FastAnalyzer):
    """KEYWORD's analyser: words separated by whitespace, lowercased."""

    def __init__(self) -> None:
        self.chain = SpaceSeparatedTokenizer() | LowercaseFilter()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def __repr__(self) -> str:
        return "WordList()"

    def index_terms(self, text: str) -> dict[str, list[int]]:
        terms: dict[str, list[int]] = {}
        for pos, word in enumerate(_SPACE_SEPARATED.findall(text)):
            terms.setdefault(word.lower(), []).append(pos)
        return terms


_SPACE_SEPARATED = re.compile(r"[^ \t\r\n]+")
"""whoosh's SpaceSeparatedTokenizer pattern."""


def norwegian() -> LanguageText:
    return LanguageText("no")


def english() -> LanguageText:
    return LanguageText("en")


def folded() -> FoldedText:
    return FoldedText()


# ---------------------------------------------------------------- which language a sentence is in

_EN_STOPS = {fold(w) for w in stopwords_for_language("en")}
_NB_STOPS = {fold(w) for w in stopwords_for_language("no")}
_AMBIGUOUS = {
    "under",
    "men",
    "man",
    "de",
    "den",
    "da",
    "to",
    "so",
    "me",
    "her",
    "hoe",
    "kom",
    "ja",
    "mine",
    "sin",
}
EN_MARKERS = frozenset(_EN_STOPS - _NB_STOPS - _AMBIGUOUS)
NB_MARKERS = frozenset(_NB_STOPS - _EN_STOPS - _AMBIGUOUS)
"""Function words of one language that the other does not have ('the', 'of' ... 'og', 'ikke' ...), folded
(so 'på' is 'pa'; 'å' and 'a' fold alike and are in neither), without the words both languages use."""
_SENTENCE_END = re.compile(r"[.!?:;]\s+|\n+")


def _score(words: set[str]) -> int:
    return len(words & NB_MARKERS) - len(words & EN_MARKERS)


def language_of(text: str, default: str) -> str:
    """The language of a short text (a sentence, a fragment of a search snippet) by the function words only
    one of the languages has: "en", Norwegian (`default` if that is "nb" or "nn", else "nb"), or `default`
    when the words do not decide."""
    score = _score(set(PLAIN_WORD.findall(fold(text))))
    if score > 0:
        return default if default in ("nb", "nn") else "nb"
    return "en" if score < 0 else default


def split_languages(text: str, default: str, words: set[str] | None = None) -> tuple[str, str]:
    """(Norwegian part, English part) of `text`, sentence by sentence: a sentence goes to the language
    more of whose function words it uses; when that does not decide, to the language the whole text uses
    more, and failing that to `default` ("nb"/"nn"/"en"). Sentence punctuation is dropped (it is never
    part of a token). `words`, if given, are the folded words of `text` (or more)."""
    words = words if words is not None else set(PLAIN_WORD.findall(fold(text)))
    overall = _score(words)
    dominant_nb = overall > 0 or (overall == 0 and default != "en")
    # Most texts are in one language: no sentence can then go the other way.
    if words.isdisjoint(EN_MARKERS if dominant_nb else NB_MARKERS):
        return (text, "") if dominant_nb else ("", text)
    nb: list[str] = []
    en: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if sentence:
            score = _score(set(PLAIN_WORD.findall(fold(sentence))))
            (nb if score > 0 or (score == 0 and dominant_nb) else en).append(sentence)
    return " ".join(nb), " ".join(en)
