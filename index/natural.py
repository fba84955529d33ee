"""Queries in plain words: the user's words as evidence, not a boolean formula.

A query without syntax (no AND/OR/NOT, quotes, parentheses, `field:value`, wildcards, `~` or `^`) is read
as a person types it: "music therapy for addiction", "hvor mange musikkterapeuter er det i Norge".

- Its words are split at anything that is not a letter or digit ("FACT-team", "Innst. 449 S").
- Stop words of either language (whoosh's Norwegian and English lists, and a few question words) are not
  required, whichever analyser a field uses; a query of stop words only searches them all.
- A run of up to three words that names a synonym concept ("music therapy", "rusbehandling") is one unit,
  found by its own words or by any document tagged with the concept (`index/synonyms.yaml`).
- Words naming the shared context (`CONTEXT_WORDS`: Norway, norsk ...) are optional units: scored, not
  required.
- Every other unit is required (`strict`); the search falls back to `relaxed`, at least
  `ranking.weights().minimum(n)` of the n units (a ranked OR), when that finds nothing, and says so.

A DOI anywhere in a query (`10.1002/...`, `doi:10.1002/...`, `https://doi.org/10.1002/...`) is taken out of
the words and required as the reference's DOI, whatever the rest of the query is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

from whoosh import query
from whoosh.fields import Schema
from whoosh.lang import stopwords_for_language

from index.analysis import PLAIN_WORD, fold
from index.concepts import concept_patterns, concept_terms
from index.documents import TEXT_FIELDS
from index.querytext import OPERATORS, PUBLIC_FIELDS

QUESTION_WORDS = frozenset(
    {"many", "much", "could", "would", "also", "sier", "finnes", "mye", "hvilket", "kor", "korleis"}
)
"""Function words of questions that neither of whoosh's stop lists has."""
QUESTION_PAIRS = {
    "how": frozenset({"long", "many", "much", "often", "big", "large"}),
    "hvor": frozenset({"lang", "lenge", "mange", "mye", "ofte", "stor", "store"}),
}
"""Words that only ask for a quantity after `how` / `hvor` ("how long", "hvor mange"), not content."""
STOP_WORDS = frozenset(
    {fold(w) for lang in ("no", "en") for w in stopwords_for_language(lang)} | QUESTION_WORDS
)
"""Folded, so that 'pa' is 'på'."""
CONTEXT_WORDS = frozenset({"norge", "norway", "norsk", "norske", "norwegian", "noreg"})
"""Words naming the context every item shares (the knowledge base is about Norway): they rank hits that
say them higher but are not required, as the reports about Norwegian services seldom name the country."""
WORD_CACHE = 20_000
"""Words whose analysis a planner keeps (emptied when full)."""
MIN_WORD = 2
"""Shorter words ('S' in "Innst. 449 S") are not content words: the language analysers drop them."""
CONCEPT_RUN = 3
"""Longest run of words looked up as one synonym concept."""
TITLE_FIELDS = ("title_nb", "title_en")
TEXT_ONLY = ("body_nb", "body_en")

_DOI = re.compile(r"(?i)(?:\bhttps?://(?:dx\.)?doi\.org/|\bdoi:\s*|(?<![\w/.]))(10\.\d{4,9}/[^\s\"]+)")
_DOI_TRAILING = ".,;:"
_SYNTAX = re.compile(r"[\"()*?~^]")
_FIELD = re.compile(r"(?<!\w)([A-Za-z_]+):(\S?)")


def take_dois(text: str) -> tuple[list[str], str]:
    """The DOIs in `text` (lowercased, as the index holds them) and the text without them."""
    found: list[str] = []

    def keep(match: re.Match[str]) -> str:
        doi = unquote(match.group(1)).rstrip(_DOI_TRAILING)
        if doi.endswith(")") and doi.count(")") > doi.count("("):
            doi = doi[:-1]
        found.append(doi.lower())
        return " "

    rest = _DOI.sub(keep, text)
    return found, " ".join(rest.split()) if found else text


def is_plain(text: str) -> bool:
    """Whether `text` has no query syntax (see the module docstring). `word:` followed by a space, as in a
    pasted title ("Treating addiction with tunes: A systematic review"), is punctuation, not a field."""
    if _SYNTAX.search(text) or any(word in OPERATORS for word in text.split()):
        return False
    return all(m.group(1) not in PUBLIC_FIELDS and not m.group(2) for m in _FIELD.finditer(text))


@dataclass(frozen=True)
class Unit:
    """One thing the user asked for: a content word, or a run of words naming synonym concepts."""

    words: tuple[str, ...]
    concepts: tuple[str, ...] = ()


@dataclass
class Plan:
    """A plain-word query, ready to run: the units, the whoosh query of each, and the extras for ranking."""

    units: list[Unit]
    unit_queries: list[query.Query]
    title_queries: list[query.Query]
    optional: list[query.Query] = field(default_factory=list)
    phrases_title: list[query.Phrase] = field(default_factory=list)
    phrases_text: list[query.Phrase] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def strict(self) -> query.Query:
        return query.And(self.unit_queries) if len(self.unit_queries) > 1 else self.unit_queries[0]

    def relaxed(self, minimum: int) -> query.Query:
        """At least `minimum` of the units (whoosh's `minmatch`, which index.execute implements)."""
        return query.Or(self.unit_queries, minmatch=minimum)


def _concepts_of(words: list[str]) -> tuple[str, ...]:
    folded = fold(" ".join(words))
    return tuple(c for c, pattern in concept_patterns() if pattern.fullmatch(folded))


def units_of(text: str) -> tuple[list[Unit], list[str]]:
    """The units of a plain-word query and the stop words left out."""
    words = PLAIN_WORD.findall(text)
    units: list[Unit] = []
    ignored: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(CONCEPT_RUN, len(words) - i), 0, -1):
            run = words[i : i + n]
            if n > 1 and (fold(run[0]) in STOP_WORDS or fold(run[-1]) in STOP_WORDS):
                continue
            concepts = _concepts_of(run)
            if concepts:
                content = tuple(w for w in run if not _is_stop(w)) or tuple(run)
                units.append(Unit(content, concepts))
                i += n
                break
        else:
            word = words[i]
            asks = i > 0 and fold(word) in QUESTION_PAIRS.get(fold(words[i - 1]), ())
            if asks or _is_stop(word):
                ignored.append(word)
            else:
                units.append(Unit((word,)))
            i += 1
    if not units and ignored:  # only stop words: search them rather than nothing
        units, ignored = [Unit((w,)) for w in ignored], []
    return units, ignored


def _is_stop(word: str) -> bool:
    return len(word) < MIN_WORD or fold(word) in STOP_WORDS


class Planner:
    """Builds the whoosh queries of plain-word queries with the schema's own analysers."""

    def __init__(self, schema: Schema):
        self.schema = schema
        # Each word is analysed once per process for every text field (analysing costs more than running
        # the query over a small index).
        self._analysed: dict[str, dict[str, tuple[str, ...]]] = {}
        self._titles_of = lru_cache(maxsize=None)(self._concept_titles_of)  # (a few dozen concepts)

    def terms(self, fieldname: str, word: str) -> tuple[str, ...]:
        """The terms `fieldname` searches for `word` (its analyser in query mode)."""
        analysed = self._analysed.get(word)
        if analysed is None:
            if len(self._analysed) >= WORD_CACHE:
                self._analysed.clear()
            analysed = self._analysed[word] = {
                f: tuple(self.schema[f].process_text(word, mode="query")) for f in TEXT_FIELDS
            }
        found = analysed.get(fieldname)
        return found if found is not None else tuple(self.schema[fieldname].process_text(word, mode="query"))

    def word(self, word: str, fields: tuple[str, ...] = TEXT_FIELDS) -> query.Query:
        """One word in any of `fields`: an Or of one term per field that keeps a term for it (as whoosh's
        parser builds it)."""
        found: list[query.Query] = []
        for fieldname in fields:
            texts = self.terms(fieldname, word)
            if len(texts) == 1:
                found.append(query.Term(fieldname, texts[0]))
            elif texts:
                found.append(query.And([query.Term(fieldname, t) for t in texts]))
        if not found:
            return query.NullQuery
        return found[0] if len(found) == 1 else query.Or(found)

    def unit(self, unit: Unit, fields: tuple[str, ...] = TEXT_FIELDS, concepts: bool = True) -> query.Query:
        words = [self.word(w, fields) for w in unit.words]
        own = words[0] if len(words) == 1 else query.And(words)
        if not concepts or not unit.concepts:
            return own
        return query.Or([own, *(query.Term("concepts", c) for c in unit.concepts)])

    def plan(self, text: str) -> Plan | None:
        """The plan of a plain-word query, or None when it has no words at all."""
        units, ignored = units_of(text)
        if not units:
            return None
        context = [u for u in units if fold(" ".join(u.words)) in CONTEXT_WORDS]
        if len(context) < len(units):
            units = [u for u in units if u not in context]
        else:
            context = []
        # A concept's words in a title count as the unit in the title ("Musikkterapi (rusbehandling)" is
        # about "music therapy"): the document's own subject, in either language.
        concept_titles = [self._concept_titles(u) for u in units]
        unit_queries = [self.unit(u) for u in units]
        title_queries = [
            query.Or([self.unit(u, TITLE_FIELDS, concepts=False), *titles])
            for u, titles in zip(units, concept_titles, strict=True)
        ]
        plan = Plan(units, unit_queries, title_queries, [self.unit(u) for u in context], ignored=ignored)
        words = [w for u in units for w in u.words]
        if len(words) > 1:
            plan.phrases_title = self._phrases(words, TITLE_FIELDS)
            plan.phrases_text = self._phrases(words, TEXT_ONLY)
        return plan

    def _concept_titles(self, unit: Unit) -> list[query.Query]:
        """A concept's words may stand in the title in the other language ('Music therapy for ...' answers
        `musikkterapi`): the title fields' terms for the concept's own words and phrases."""
        return [q for concept in unit.concepts for q in self._titles_of(concept)]

    def _concept_titles_of(self, concept: str) -> list[query.Query]:
        alternatives: list[query.Query] = []
        for term in concept_terms(concept):
            words = term.rstrip("*").split()  # a prefix term by its own word ('rusbehandling*')
            if words:
                parts = [self.word(w, TITLE_FIELDS) for w in words]
                alternatives.append(parts[0] if len(parts) == 1 else query.And(parts))
        return alternatives

    def _phrases(self, words: list[str], fields: tuple[str, ...]) -> list[query.Phrase]:
        phrases = []
        for fieldname in fields:
            stems = [self.terms(fieldname, w) for w in words]
            if all(len(s) == 1 for s in stems):
                phrases.append(query.Phrase(fieldname, [s[0] for s in stems], slop=3))
        return phrases
