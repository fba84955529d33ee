"""FHIR ids: `[A-Za-z0-9\\-\\.]{1,64}`. Knowledge-item ids already fit; a BibTeX key may hold `_`, `:`
or `/`, which become `-` (the route also answers the key itself)."""

from __future__ import annotations

import re

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9\-.]+")


def fhir_id(ident: str) -> str:
    """The FHIR id for a key or item id (at most 64 characters)."""
    return _NOT_ALLOWED.sub("-", ident).strip("-")[:64] or "x"
