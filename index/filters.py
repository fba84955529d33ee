"""Search filters given as parameters (`type`, `doi`, `grade`, `strength`, `lang`), in the terms the API
itself displays: a recommendation's grade by its code (`consensus`, `A`) or by the source's own term
(`Konsensus`), a strength by its value (`weak`) or in Norwegian (`svak`). Matching ignores case and
diacritics. A value no document has is a QueryError naming the values there are (an empty 200 would look
like "nothing matches" when the filter was mistyped).
"""

from __future__ import annotations

from index.analysis import fold
from index.execute import Executor, Mask
from mtkb.errors import QueryError

STRENGTH_TERMS = {"sterk": "strong", "svak": "weak", "ukjent": "unknown"}
"""Norwegian words for the strength values, as the Norwegian page shows them."""
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")


def normalise_doi(value: str) -> str:
    """A DOI as the index holds it: without a resolver address or `doi:` prefix, lowercased."""
    doi = value.strip()
    lowered = doi.lower()
    for prefix in DOI_PREFIXES:
        if lowered.startswith(prefix):
            doi = doi[len(prefix) :].strip()
            break
    return doi.lower()


class Filters:
    """The filter vocabularies of one open index, read from its facet fields."""

    def __init__(self, executor: Executor):
        self.run = executor
        self._vocab: dict[str, dict[str, set[str]]] = {}

    def vocabulary(self, fieldname: str) -> dict[str, set[str]]:
        """Folded value or displayed term -> the index values it stands for."""
        found = self._vocab.get(fieldname)
        if found is None:
            found = {}
            values = self.run.values(fieldname)
            terms = self.run.values(f"{fieldname}_term") if fieldname == "grade" else [None] * len(values)
            for value, term in zip(values, terms, strict=True):
                if value is None:
                    continue
                found.setdefault(fold(str(value)), set()).add(str(value))
                if term:
                    found.setdefault(fold(str(term)), set()).add(str(value))
            if fieldname == "strength":
                for word, value in STRENGTH_TERMS.items():
                    if value in {v for vs in found.values() for v in vs}:
                        found.setdefault(word, set()).add(value)
            self._vocab[fieldname] = found
        return found

    def mask(self, fieldname: str, given: str) -> Mask:
        """The documents whose `fieldname` is what `given` names. Raises QueryError for an unknown value."""
        vocabulary = self.vocabulary(fieldname)
        values = vocabulary.get(fold(given.strip()))
        if not values:
            known = ", ".join(sorted({v for vs in vocabulary.values() for v in vs} | self._terms(fieldname)))
            raise QueryError(f"unknown {fieldname} {given!r}; {fieldname} is one of: {known}")
        found = self.run.none()
        for value in values:
            found |= self.run.docs_with(fieldname, value)
        return found

    def _terms(self, fieldname: str) -> set[str]:
        if fieldname != "grade":
            return set(STRENGTH_TERMS) if fieldname == "strength" else set()
        return {str(t) for t in self.run.values("grade_term") if t}

    def combined(self, doi: str | None, **given_values: str | None) -> Mask | None:
        """All the given filters at once (`doi`, and facet fields by name), or None when none is given."""
        found: Mask | None = None
        if doi is not None:
            found = self.run.docs_with("doi", normalise_doi(doi))
        for fieldname, given in given_values.items():
            if given is not None:
                mask = self.mask(fieldname, given)
                found = mask if found is None else found & mask
        return found
