"""What a build takes from the previous one: the parts whose inputs did not change.

A build records in `inputs.json` what it was made from: a fingerprint of the code and libraries that turn
records into files, and a digest of every record (as annotated with its versions). The next build compares
its own with them and takes from the previous build

- each record's serialised JSON whose record is unchanged (the schemas render Markdown, the dearest part);
- the whole whoosh index and the spelling vocabulary when every record, and their order, is unchanged:
  their files are linked, not copied (a published build is never written to again);
- the derived versions (`history.json`) when they were derived from the same HEAD (mtkb.history caches
  the derivation itself by HEAD beside the builds);
- each pre-rendered citation whose reference and style are unchanged (index/citations.py keeps its own
  inputs, as those depend on the engine, not on the records).

Whatever is taken is what a full build would write, byte for byte (tests/test_index_incremental.py compares
them), so a build without a previous one, or with a previous one of other code, is simply a full build.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from mtkb.history import History
from mtkb.records import Item, Reference

INPUTS_FILE = "inputs.json"
LIBRARIES = ("marshmallow", "markdown-it-py", "nh3", "whoosh-reloaded", "pyyaml", "bibtexparser")
"""Libraries whose version changes what a record becomes (JSON, HTML, index)."""


@cache
def code_fingerprint() -> str:
    """A digest of the code of the `mtkb` and `index` packages and the versions of LIBRARIES: output made
    by other code is never reused."""
    digest = hashlib.sha256()
    for package in ("mtkb", "index"):
        root = Path(__file__).resolve().parent.parent / package
        for file in sorted(root.rglob("*.py")) + sorted(root.rglob("*.yaml")):
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=-\0".encode())
    return digest.hexdigest()[:32]


def record_key(record: Item | Reference) -> str:
    return f"reference/{record.key}" if isinstance(record, Reference) else f"{record.type}/{record.id}"


def record_digest(record: Item | Reference) -> str:
    """A digest of everything in the record (frozen dataclasses: their repr shows every field)."""
    return hashlib.sha256(repr(record).encode("utf-8")).hexdigest()[:32]


class Previous:
    """The previous build as a source of parts: empty when there is none or it was made by other code."""

    def __init__(self, build: Path | None, inputs: dict[str, Any]):
        self.build = build
        self.inputs = inputs
        self._records: dict[str, dict[str, Any]] | None = None

    @classmethod
    def of(cls, build: Path | None) -> Previous:
        try:
            assert build is not None
            inputs = json.loads((build / INPUTS_FILE).read_text(encoding="utf-8"))
        except (AssertionError, OSError, ValueError):
            return cls(None, {})
        if inputs.get("code") != code_fingerprint():
            return cls(None, {})
        return cls(build, inputs)

    def unchanged(self, key: str, digest: str) -> bool:
        return self.build is not None and self.inputs.get("records", {}).get(key) == digest

    def record(self, records_file: str, record_type: str, ident: str) -> dict[str, Any]:
        """The previous build's serialised record (read once, on first use)."""
        if self._records is None:
            assert self.build is not None
            self._records = json.loads((self.build / records_file).read_text(encoding="utf-8"))["records"]
        return self._records[record_type][ident]

    def same_records(self, digests: dict[str, str]) -> bool:
        """Whether the previous build holds exactly these records, in this order."""
        old = self.inputs.get("records", {})
        return self.build is not None and list(old.items()) == list(digests.items())

    def link(self, name: str, target: Path) -> bool:
        """Hard-link the previous build's file or folder `name` into `target` (a folder is linked file by
        file). Returns False, leaving nothing behind, if it cannot (another file system, say)."""
        assert self.build is not None
        source = self.build / name
        linked: list[Path] = []
        try:
            for file in sorted(source.iterdir()) if source.is_dir() else [source]:
                link = target / file.name if source.is_dir() else target
                os.link(file, link)
                linked.append(link)
        except OSError:
            for link in linked:
                link.unlink()
            return False
        return True


def history_key(history: History) -> str:
    """What the derived versions were derived from: mtkb.history derives them from HEAD."""
    return f"{history.status}:{history.head}:{len(history.commits)}:{len(history.events)}"


def write_inputs(build: Path, digests: dict[str, str], history: str) -> None:
    body = {"code": code_fingerprint(), "history": history, "records": digests}
    (build / INPUTS_FILE).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
