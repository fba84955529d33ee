"""Searching one build: parse, filter, rank (BM25F), page, count facets, highlight, suggest.

whoosh parses the query (plain words are built directly, as its parser would) and holds the index;
`index.execute` finds, scores and counts with numpy operations over whole posting lists, which is many
times faster than whoosh's matchers in Python.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import qparser, query
from whoosh.index import Index
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector

from index.analysis import LanguageText, fold
from index.documents import FACET_FIELDS, TEXT_FIELDS
from index.execute import Executor, Mask, positive_terms
from index.filters import Filters
from index.highlight import Highlighter, plain_snippet
from index.natural import STOP_WORDS, Plan, Planner, is_plain, take_dois
from index.querytext import check, clean, plain_words, rewrite
from index.ranking import weights
from index.request import (  # (SEARCH_TIME_LIMIT is read here at run time: tests patch it)
    SEARCH_TIME_LIMIT,
    Hit,
    SearchRequest,
    SearchResult,
    time_limit,
    validate,
)
from mtkb.errors import QueryError
from mtkb.prose import with_placeholders

DEFAULT_FIELDS = TEXT_FIELDS
FACETS = FACET_FIELDS
FEW_HITS = 3
"""Below this many hits a spelling suggestion is offered."""
SUGGEST_MAX_DISTANCE = 2
SUGGEST_PREFIX = 1
"""Suggestions keep the first letter: misspellings rarely change it, and it keeps the search small."""
_NO_YEAR = 1 << 30
MAX_EXPANSIONS = 500
"""Most index words one wildcard, prefix or fuzzy term may stand for (`a*` would otherwise read the
postings of every word starting with a)."""
MIN_PREFIX = 2
"""Letters a wildcard term must start with (`mu*` is fine, `*`, `?*` and `a*` alone are not)."""
STORED_CACHE = 2048
"""Documents whose stored fields (the hit's title, text and ids; 1-3 KB each) a searcher keeps decoded."""
_MULTI = (query.Prefix, query.Wildcard, query.FuzzyTerm, query.Regex)


class IndexSearcher:
    """One open whoosh index and a searcher reused across queries (one per worker). `spelling` is the
    build's word list for suggestions (see index.build)."""

    def __init__(self, ix: Index, spelling: Path | None = None, time_limit_seconds: float | None = None):
        self._ix = ix
        self.time_limit_seconds = SEARCH_TIME_LIMIT if time_limit_seconds is None else time_limit_seconds
        self._searcher: Searcher = ix.searcher()
        self._executor = Executor(self._searcher)
        # A hit's stored fields are a zlib block and a pickle to decode; hits recur across queries.
        self._stored = lru_cache(maxsize=STORED_CACHE)(self._searcher.stored_fields)
        self._spelling_file = spelling
        self._lock = threading.Lock()
        self._schema = ix.schema  # (a property that reads the index's table of contents from disk)
        self._parser = qparser.QueryParser(None, self._schema)
        self._parser.add_plugin(qparser.MultifieldPlugin(DEFAULT_FIELDS))
        self._parser.remove_plugin_class(qparser.BoostPlugin)
        self._parser.add_plugin(qparser.FuzzyTermPlugin())  # `word~`, `word~2`: edit distance 1 or 2
        self._nb: LanguageText = self._schema["body_nb"].analyzer
        self._en: LanguageText = self._schema["body_en"].analyzer
        self._planner = Planner(self._schema)
        self._filters = Filters(self._executor)
        self._weights = weights()
        self._type_factors = self._weights.type_factors(self._executor.values("type"))

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def parse(self, text: str) -> query.Query:
        """The whoosh query for `text` (empty text matches everything): for plain words the query that
        requires every content word (see index.natural). Raises QueryError."""
        return self._read(text)[0]

    def _read(self, text: str) -> tuple[query.Query, Plan | None, list[query.Query]]:
        """(the query, its plain-word plan or None, the DOI terms it requires). Raises QueryError."""
        text = clean(text)
        if not text:
            return query.Every(), None, []
        dois, text = take_dois(text)
        doi_terms: list[query.Query] = [query.Term("doi", d) for d in dois]
        if not text:
            return _all(doi_terms), None, doi_terms
        if is_plain(text):
            plan = self._planner.plan(text)
            if plan is None:
                raise QueryError("the query has no searchable words")
            return _all([*doi_terms, plan.strict]), plan, doi_terms
        check(text)
        try:
            parsed = self._parser.parse(rewrite(text))
        except Exception as exc:  # whoosh raises assorted errors for odd ranges and terms
            raise QueryError(f"cannot read the query: {exc}") from None
        if parsed is query.NullQuery:
            raise QueryError("the query has no searchable words")
        self._check_cost(parsed)
        return _all([*doi_terms, self._expand_fuzzy(parsed)]), None, doi_terms

    def _expand_fuzzy(self, q: query.Query) -> query.Query:
        """`q` with each fuzzy term replaced by the index words within its distance, and always its own word
        (whoosh-reloaded's FuzzyTerm cannot simplify itself), so `word~` never finds less than `word`."""
        if isinstance(q, query.FuzzyTerm):
            reader = self._searcher.reader()
            near = reader.terms_within(q.fieldname, q.text, q.maxdist, prefix=q.prefixlength)
            words = dict.fromkeys([q.text, *islice(near, MAX_EXPANSIONS)])
            return query.Or([query.Term(q.fieldname, w) for w in words])
        return q.apply(self._expand_fuzzy)

    def _check_cost(self, parsed: query.Query) -> None:
        """Refuse wildcard, prefix and fuzzy terms that would stand for too many words."""
        reader = self._searcher.reader()
        for leaf in parsed.leaves():
            if not isinstance(leaf, _MULTI):
                continue
            text = str(leaf.text)
            if isinstance(leaf, query.Prefix):
                literal, shown = len(text), text + "*"
            else:
                literal, shown = len(re.split(r"[*?]", text, maxsplit=1)[0]), text
            if isinstance(leaf, query.Prefix | query.Wildcard) and literal < MIN_PREFIX:
                raise QueryError(
                    f"query too expensive: {shown!r} needs at least {MIN_PREFIX} letters before * or ?"
                )
            expanded = sum(1 for _ in islice(leaf._btexts(reader), MAX_EXPANSIONS + 1))
            if expanded > MAX_EXPANSIONS:
                raise QueryError(
                    f"query too expensive: {shown!r} stands for more than {MAX_EXPANSIONS} words; "
                    "make it more specific"
                )

    def search(self, request: SearchRequest) -> SearchResult:
        """Run `request`. Raises QueryError for a query or parameter that cannot be used. Thread-safe (one
        search at a time: whoosh's readers and the posting cache are shared)."""
        with self._lock, time_limit(self.time_limit_seconds):
            return self._search(request)

    def _search(self, request: SearchRequest) -> SearchResult:
        validate(request)
        run = self._executor
        filters = self._filters.combined(
            request.doi,
            grade=request.grade,
            strength=request.strength,
            lang=request.lang,
            decade=request.decade,
        )
        if request.type:
            typed = run.docs(query.Term("type", request.type))
            filters = typed if filters is None else filters & typed
        attempt = self._attempt(request.q, filters)
        corrected = None
        if not attempt.docs.any() and request.q and request.suggest:
            suggestion = self.suggest(clean(request.q))
            if suggestion is not None:
                better = self._attempt(suggestion, filters)
                if better.docs.any() or better.plan is not None:
                    attempt, corrected = better, suggestion
            if not attempt.docs.any():
                relaxed = self._relax(attempt, filters)
                if relaxed is not None:
                    attempt = relaxed
            if not attempt.docs.any():
                corrected = None
        docs = attempt.docs
        wanted = request.page * request.per_page
        candidates = np.flatnonzero(docs)
        scores = None
        if request.sort == "relevance":
            scores = self._scores(attempt, candidates, wanted)
            ranked = candidates[:wanted] if scores is None else _smallest(candidates, -scores, wanted)
        else:
            ranked = _smallest(candidates, self._year_key(request.sort), wanted)
        page = ranked[(request.page - 1) * request.per_page :].tolist()
        highlighter = None
        if request.highlights:
            highlighter = Highlighter.for_terms(self._nb, self._en, positive_terms(attempt.query))
        hits = [
            self._hit(doc, float(scores[doc]) if scores is not None else None, highlighter) for doc in page
        ]
        facets = {}
        if request.facets:
            facets = {name: _ordered(counts) for name, counts in run.counts(FACETS, docs).items()}
        suggestion = None
        if request.suggest and request.q and corrected is None and len(candidates) < FEW_HITS:
            suggestion = self.suggest(clean(request.q))
        result = SearchResult(
            clean(request.q), len(candidates), request.page, request.per_page, hits, facets, suggestion
        )
        result.corrected, result.relaxed = corrected, attempt.relaxed
        result.ignored = attempt.plan.ignored if attempt.plan is not None else []
        return result

    def _attempt(self, text: str, filters: Mask | None) -> _Attempt:
        """`text` run requiring every content word. For plain words each unit's documents are found once
        and kept (for the relaxed search and the coverage), which is what `parsed` matches."""
        run = self._executor
        parsed, plan, dois = self._read(text)
        masks: list[Mask] = []
        if plan is None:
            docs = run.matching(parsed)
        else:
            masks = [run.docs(q) for q in plan.unit_queries]
            docs = run.matching(_all([*dois, query.Every()])) & np.logical_and.reduce(masks)
        if filters is not None:
            docs &= filters
        return _Attempt(parsed, docs, plan, dois, masks)

    def _relax(self, attempt: _Attempt, filters: Mask | None) -> _Attempt | None:
        """The plain-word `attempt` again, needing only the minimum share of its words, and if that finds
        nothing, any one of them; None if the query is not plain words or has one word only."""
        plan, run = attempt.plan, self._executor
        if plan is None or len(plan.units) < 2:
            return None
        found = None
        base = run.matching(_all([*attempt.dois, query.Every()]))
        if filters is not None:
            base &= filters
        for minimum in dict.fromkeys((self._weights.minimum(len(plan.units)), 1)):
            parsed = _all([*attempt.dois, plan.relaxed(minimum)])
            docs = base & run.at_least(minimum, attempt.masks)
            relaxed = {"minimum_should_match": minimum, "words": len(plan.units)}
            found = _Attempt(parsed, docs, plan, attempt.dois, attempt.masks, relaxed)
            if docs.any():
                break
        return found

    def _scores(
        self, attempt: _Attempt, candidates: NDArray[np.intp], wanted: int
    ) -> NDArray[np.float64] | None:
        """Each document's score as index/ranking.py describes it (None when nothing ranks)."""
        run, weights = self._executor, self._weights
        plan = attempt.plan
        scored = (
            query.Or([attempt.query, *plan.optional]) if plan is not None and plan.optional else attempt.query
        )
        scores = run.scores(scored)
        if scores is None or not len(candidates):
            return scores
        scores *= self._type_factors
        if plan is None:
            return scores
        n = len(plan.units)
        if n > 1:
            counts = np.sum(attempt.masks, axis=0, dtype=np.float64)
            scores *= (counts / n) ** weights.coverage_exponent
        in_title = run.every()
        for title_query in plan.title_queries:
            in_title &= run.docs(title_query)
        scores[in_title] *= weights.all_words_in_title
        phrases_title = [p for p in plan.phrases_title if self._cheap(p)]
        phrases_text = [p for p in plan.phrases_text if self._cheap(p)]
        if phrases_title or phrases_text:
            depth = max(wanted, weights.rerank_depth)
            top = _smallest(candidates, -scores, depth) if len(candidates) > depth else candidates
            title_phrase = run.none()
            for phrase in phrases_title:
                title_phrase |= run.phrase_within(phrase, top)
            text_phrase = run.none()
            for phrase in phrases_text:
                text_phrase |= run.phrase_within(phrase, top)
            scores[title_phrase] *= weights.phrase_in_title
            scores[text_phrase & ~title_phrase] *= weights.phrase_in_text
        return scores

    def _year_key(self, sort: str) -> NDArray[np.int64]:
        """Per document, a number that orders by year (or by year descending); no year comes last."""
        cache = self.__dict__.setdefault("_year_keys", {})
        if sort not in cache:
            sign = -1 if sort == "-year" else 1
            years = self._executor.years()
            cache[sort] = np.array([_NO_YEAR if y is None else sign * y for y in years], np.int64)
        keys: NDArray[np.int64] = cache[sort]
        return keys

    def _hit(self, doc: int, score: float | None, highlighter: Highlighter | None) -> Hit:
        stored = self._stored(doc)
        display = stored["display"]
        snippet = highlighter.snippet(display["text"]) if highlighter else plain_snippet(display["text"])
        if display.get("cites"):  # citation groups stay placeholders until the API formats them
            snippet = with_placeholders(snippet, display["cites"])
        return Hit(
            stored["type"],
            stored["id"],
            display["title"],
            snippet,
            round(score, 4) if score is not None else None,
            stored.get("year"),
        )

    @cached_property
    def _spelling(self) -> tuple[ListCorrector, dict[str, int]]:
        words: list[str] = []
        counts: list[int] = []
        if self._spelling_file is not None and self._spelling_file.is_file():
            data = json.loads(self._spelling_file.read_text(encoding="utf-8"))
            words, counts = data["words"], data["counts"]
        return ListCorrector(words), dict(zip(words, counts, strict=True))

    def suggest(self, text: str) -> str | None:
        """The query with each unknown word replaced by the closest indexed word (the most used of equally
        close ones), or None when there is nothing to change."""
        corrector, counts = self._spelling
        changed = text
        for word in plain_words(text):
            folded = fold(word)
            if not folded.isalpha() or folded in counts or folded in STOP_WORDS or self._indexed(word):
                continue
            options = [
                (-score, -counts.get(option, 0), option)
                for score, option in corrector._suggestions(folded, SUGGEST_MAX_DISTANCE, SUGGEST_PREFIX)
            ]
            if options:
                changed = changed.replace(word, min(options)[2], 1)
        return changed if changed != text else None

    def _cheap(self, phrase: query.Phrase) -> bool:
        """Whether every word of `phrase` is in few enough documents to read its positions (ranking.yaml)."""
        limit = self._weights.phrase_max_documents
        return all(len(self._executor.postings(phrase.fieldname, w).docs) <= limit for w in phrase.words)

    def _indexed(self, word: str) -> bool:
        """Whether a text field holds `word` as its analyser reads it ('experiences' as 'experi')."""
        reader = self._searcher.reader()
        return any(
            (fieldname, term) in reader
            for fieldname in DEFAULT_FIELDS
            for term in self._planner.terms(fieldname, word)
        )

    def count(self) -> int:
        return int(self._searcher.doc_count())


@dataclass
class _Attempt:
    """One way of running a query: what it matched, and how."""

    query: query.Query
    docs: Mask
    plan: Plan | None
    dois: list[query.Query]
    masks: list[Mask]
    """For plain words: the documents of each unit."""
    relaxed: dict[str, int] | None = None


def _all(queries: list[query.Query]) -> query.Query:
    return queries[0] if len(queries) == 1 else query.And(queries)


def _smallest(candidates: NDArray[np.intp], keys: NDArray[Any], wanted: int) -> NDArray[np.intp]:
    """The `wanted` candidates with the smallest keys, in key order; equal keys in document order."""
    if len(candidates) > wanted > 0:
        own = keys[candidates]
        last = np.partition(own, wanted - 1)[wanted - 1]
        candidates = candidates[own <= last]  # the wanted smallest and any that tie with the last of them
    order = np.argsort(keys[candidates], kind="stable")[:wanted]
    return candidates[order]


def _ordered(counts: dict[Any, int]) -> dict[str, int]:
    return {str(name): n for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}
