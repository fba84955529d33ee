"""A disk cache of formatted citations, shared by all worker processes.

Entries are keyed by content version, engine, style, locale and reference key, so that each distinct
citation is formatted once per content version. Writes go to a temporary file in the same folder and
are moved into place with `os.replace`, so a reader sees a whole entry or none, whatever other
processes do at the same time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path

from mtkb.citations.engine import Formatted, engine_id
from mtkb.citations.styles import resolve_locale, resolve_style


class CitationCache:
    """Formatted citations on disk under `directory/<content_version>/<engine>/<style>/<locale>/`."""

    def __init__(self, directory: str | Path, content_version: str):
        if not content_version or "/" in content_version or content_version.startswith("."):
            raise ValueError(f"not a usable content version: {content_version!r}")
        self.directory = Path(directory)
        self.content_version = content_version

    def _path(self, style: str, locale: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        folder = self.directory / self.content_version / engine_id()
        return folder / resolve_style(style) / resolve_locale(locale) / f"{digest}.json"

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
        path = self._path(style, locale, formatted.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                json.dump(asdict(formatted), f, ensure_ascii=False)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get_many(self, style: str, locale: str, keys: list[str]) -> dict[str, Formatted]:
        """The cached citations among `keys`, by key."""
        found = {key: self.get(style, locale, key) for key in keys}
        return {key: f for key, f in found.items() if f is not None}

    def put_many(self, style: str, locale: str, formatted: list[Formatted]) -> None:
        """Store several citations."""
        for f in formatted:
            self.put(style, locale, f)
