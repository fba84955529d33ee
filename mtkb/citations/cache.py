"""A disk cache of formatted citations, shared by all worker processes.

Entries are keyed by content version, engine, style, locale and reference key, so that each distinct
citation is formatted once per content version; whole bibliographies (a list formatted in one engine
run, sorted and disambiguated by its style) by the list of keys and the access date instead. Writes go
to a temporary file in the same folder and are moved into place with `os.replace`, so a reader sees
a whole entry or none, whatever other processes do at the same time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path

from mtkb.citations.engine import Formatted, engine_id
from mtkb.citations.styles import resolve_locale, resolve_style

Bibliography = tuple[list[Formatted], str, str]
"""A formatted list: its entries in the style's order, the whole as text and as HTML."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + ".json"


def _write(path: Path, body: object) -> None:
    """Write JSON to `path` atomically: a temporary file in the same folder moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class CitationCache:
    """Formatted citations on disk under `directory/<content_version>/<engine>/<style>/<locale>/`."""

    def __init__(self, directory: str | Path, content_version: str):
        if not content_version or "/" in content_version or content_version.startswith("."):
            raise ValueError(f"not a usable content version: {content_version!r}")
        self.directory = Path(directory)
        self.content_version = content_version

    def _path(self, style: str, locale: str, key: str) -> Path:
        digest = _digest(key)
        folder = self.directory / self.content_version / engine_id()
        return folder / resolve_style(style) / resolve_locale(locale) / digest

    def get(self, style: str, locale: str, key: str) -> Formatted | None:
        """The cached citation, or None if there is none (or it cannot be read). Raises
        CitationError for an unknown style or locale."""
        path = self._path(style, locale, key)
        try:
            data = json.loads(path.read_text("utf-8"))
            formatted = Formatted(**data)
        except (OSError, ValueError, TypeError):
            return None
        return formatted if formatted.key == key else None

    def put(self, style: str, locale: str, formatted: Formatted) -> None:
        """Store a citation atomically (a concurrent reader sees the old file, the new one or none)."""
        _write(self._path(style, locale, formatted.key), asdict(formatted))

    def _list_path(self, style: str, locale: str, keys: Sequence[str], accessed: date | None) -> Path:
        name = json.dumps([list(keys), accessed.isoformat() if accessed else None])
        return self._path(style, locale, "\n".join(keys)).parent / "lists" / _digest(name)

    def get_list(
        self, style: str, locale: str, keys: Sequence[str], accessed: date | None = None
    ) -> Bibliography | None:
        """The cached bibliography of `keys` (in this order) read on `accessed`, or None."""
        try:
            data = json.loads(self._list_path(style, locale, keys, accessed).read_text("utf-8"))
            entries = [Formatted(**entry) for entry in data["entries"]]
            return entries, data["text"], data["html"]
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put_list(
        self,
        style: str,
        locale: str,
        keys: Sequence[str],
        bibliography: Bibliography,
        accessed: date | None = None,
    ) -> None:
        """Store a bibliography of `keys` atomically (see `put`)."""
        entries, text, html = bibliography
        body = {"entries": [asdict(e) for e in entries], "text": text, "html": html}
        _write(self._list_path(style, locale, keys, accessed), body)

    def get_many(self, style: str, locale: str, keys: list[str]) -> dict[str, Formatted]:
        """The cached citations among `keys`, by key."""
        found = {key: self.get(style, locale, key) for key in keys}
        return {key: f for key, f in found.items() if f is not None}

    def put_many(self, style: str, locale: str, formatted: list[Formatted]) -> None:
        """Store several citations."""
        for f in formatted:
            self.put(style, locale, f)
