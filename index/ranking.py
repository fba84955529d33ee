"""How search ranks its hits: the one place that describes it. The weights are data, in `ranking.yaml`.

A hit's score, for `sort=relevance`:

1. **BM25F** over the query's terms (whoosh's formula, k1 = 1.2, b = 0.75, computed in index/execute.py):
   each term's score in each field it occurs in, summed. Fields are weighted at indexing
   (`index.documents`): titles 3, authors 2, text 1. Norwegian and English words are stemmed in fields of
   their own and folded (no diacritics; ue/oe/ae read as u/o/a). A synonym concept (`index/synonyms.yaml`:
   "musikkterapi" is "music therapy") is a term of its own in the `concepts` field, scored by BM25 like a
   word, so a document about the concept ranks by it in either language, the rarer concept counting more.
   Words naming the shared context (Norway, norsk: `index.natural.CONTEXT_WORDS`) are scored, not required.
2. **Type**: times `types[type]`, so that knowledge items come before facts and bare references that match
   equally.
3. For plain-word queries (no AND/OR/NOT, quotes, fields, wildcards: the user's words as evidence):
   - **coverage**: times (share of the query's content words the hit contains) ^ `coverage_exponent`;
     stop words of either language and question words ("how many", "hvor lang") are not content words;
   - **title**: times `all_words_in_title` when every content word (or a word of its concept, in either
     language) is in the title;
   - **proximity**: times `phrase_in_title` when the content words stand together and in order in the title,
     else times `phrase_in_text` when they do in the text (for the first `rerank_depth` hits, and words in
     at most `phrase_max_documents` documents of the field).
4. Ties keep the index's order (knowledge items, then references, as built).

Which documents match is decided before ranking (index/search.py, index/natural.py): every content word;
when that finds nothing, the correction of a misspelt word if it finds something (`corrected`); else at
least `minimum_should_match` of the content words, and failing that any one (`relaxed` in the response).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray

RANKING_FILE = Path(__file__).with_name("ranking.yaml")


@dataclass(frozen=True)
class Weights:
    """The weights of `ranking.yaml` (see the module docstring for what each does)."""

    types: dict[str, float]
    all_words_in_title: float
    phrase_in_title: float
    phrase_in_text: float
    coverage_exponent: float
    minimum_should_match: float
    rerank_depth: int
    phrase_max_documents: int

    def minimum(self, words: int) -> int:
        """How many of `words` content words a hit of the relaxed search needs (rounded down, at least 1)."""
        return max(1, math.floor(words * self.minimum_should_match + 1e-9))

    def type_factors(self, types: list[str | None]) -> NDArray[np.float64]:
        """Per document, the weight of its type (1 for a type without one)."""
        return np.array([self.types.get(t or "", 1.0) for t in types], np.float64)


@cache
def weights(path: Path = RANKING_FILE) -> Weights:
    """The weights in `path`, read once. Raises ValueError naming a missing or unknown setting."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    names = set(Weights.__dataclass_fields__)
    if set(data) != names:
        raise ValueError(f"{path}: settings must be exactly {sorted(names)}, not {sorted(data)}")
    return Weights(
        types={str(k): float(v) for k, v in data["types"].items()},
        all_words_in_title=float(data["all_words_in_title"]),
        phrase_in_title=float(data["phrase_in_title"]),
        phrase_in_text=float(data["phrase_in_text"]),
        coverage_exponent=float(data["coverage_exponent"]),
        minimum_should_match=float(data["minimum_should_match"]),
        rerank_depth=int(data["rerank_depth"]),
        phrase_max_documents=int(data["phrase_max_documents"]),
    )
