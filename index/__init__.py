"""The search index: the small interface the API uses, so that whoosh could be replaced behind it.

- `build_index(corpus, index_dir)` writes a new numbered build and makes it current.
- `IndexHandle(index_dir).current()` gives the open current build, reopening it when `current` moves.
- `OpenBuild` serves records by type and id, aliases, the manifest, and `search(SearchRequest)`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE
from whoosh import index as whoosh_index

from index import inplace
from index.build import (
    HISTORY_FILE,
    MANIFEST_FILE,
    RECORDS_FILE,
    SPELLING_FILE,
    WHOOSH_DIR,
    BuildInfo,
    build_index,
)
from index.builds import current_build
from index.citations import CitationStore
from index.search import IndexSearcher, SearchRequest, SearchResult
from mtkb.errors import IndexUnavailable, NotFound
from mtkb.history import History
from mtkb.records import Item
from mtkb.schemas import RECORDS, make_item, schema_for

inplace.use()  # whoosh would copy every segment into each process (see index/inplace.py)

CACHE_DIR = "cache"
"""Beside `builds/`: citations formatted on request, shared by all workers (see index/citations.py)."""


class OpenBuild:
    """One build, opened: its records in memory and a searcher over its whoosh index."""

    def __init__(self, path: Path, search_time_limit: float | None = None):
        self.path = path
        self.build_id = path.name
        self.manifest: dict[str, Any] = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        data = json.loads((path / RECORDS_FILE).read_text(encoding="utf-8"))
        self.records: dict[str, dict[str, dict[str, Any]]] = data["records"]
        self.aliases: dict[str, str] = data["aliases"]
        self._searcher = IndexSearcher(
            whoosh_index.open_dir(str(path / WHOOSH_DIR)), path / SPELLING_FILE, search_time_limit
        )
        self.citations = CitationStore(path, path.parent.parent / CACHE_DIR, self.version)
        self._history: History | None = None

    def history(self) -> History:
        """The versions and change events of this build's content (read on first use: only the version
        and change routes need them)."""
        if self._history is None:
            file = self.path / HISTORY_FILE
            data = json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None
            self._history = History.from_json(data) if data else History("none")
        return self._history

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def item(self, record_type: str, ident: str) -> Item:
        """The knowledge item's record rebuilt from its JSON (for the citation formatter). Raises NotFound."""
        data = self.record(record_type, ident)
        if data is None or record_type not in RECORDS:
            raise NotFound(record_type, ident)
        loaded = schema_for(record_type).load(data, unknown=EXCLUDE)
        return make_item(record_type, loaded)

    def record(self, record_type: str, ident: str) -> dict[str, Any] | None:
        return self.records.get(record_type, {}).get(ident)

    def of_type(self, record_type: str) -> list[dict[str, Any]]:
        return list(self.records.get(record_type, {}).values())

    def canonical_id(self, ident: str) -> str | None:
        """The current id for an old id listed in some item's aliases, or None."""
        return self.aliases.get(ident)

    def search(self, request: SearchRequest) -> SearchResult:
        return self._searcher.search(request)

    def close(self) -> None:
        self._searcher.close()


class IndexHandle:
    """A process's view of an index directory: the build it has open, swapped when `current` moves.

    `current()` costs one readlink when nothing changed, so it can be called on every request.
    """

    def __init__(self, index_dir: Path, search_time_limit: float | None = None):
        self.index_dir = index_dir
        self.search_time_limit = search_time_limit
        self._open: OpenBuild | None = None
        self._target: str | None = None

    def current(self) -> OpenBuild:
        """The current build, opened. Raises IndexUnavailable when there is none."""
        try:
            target = os.readlink(self.index_dir / "current")
        except OSError:
            target = None
        if self._open is not None and target == self._target:
            return self._open
        path = current_build(self.index_dir)
        if path is None:
            if self._open is not None:
                return self._open
            raise IndexUnavailable(f"no index has been built in {self.index_dir} (run `mtkb build`)")
        opened = OpenBuild(path, self.search_time_limit)
        previous, self._open, self._target = self._open, opened, target
        if previous is not None:
            previous.close()
        return opened


__all__ = ["BuildInfo", "IndexHandle", "OpenBuild", "SearchRequest", "SearchResult", "build_index"]
