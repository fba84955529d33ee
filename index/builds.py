"""Numbered builds and the `current` pointer.

An index directory holds `builds/000001`, `builds/000002`, ... and `current`, a symlink to one of them.
A build is written in a temporary directory, renamed to the next number, and published by replacing
`current` with `os.replace` (atomic on POSIX): a reader resolves `current` once and keeps that build until
it reopens. The newest non-current builds are kept for a while (readers may still hold them); older ones
are pruned.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KEEP_PREVIOUS = 2
"""Builds kept besides the current one, for readers that opened them before a switch."""


def builds_dir(index_dir: Path) -> Path:
    return index_dir / "builds"


def current_build(index_dir: Path) -> Path | None:
    """The directory `current` points at, or None when there is no published build."""
    try:
        target = os.readlink(index_dir / "current")
    except OSError:
        return None
    path = index_dir / target
    return path if path.is_dir() else None


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Only one build at a time per index directory (across processes)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def scratch_dir(index_dir: Path) -> Path:
    """A new empty directory to write a build into, on the same file system as the builds."""
    builds_dir(index_dir).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".tmp-", dir=builds_dir(index_dir)))


def _numbered(index_dir: Path) -> list[Path]:
    root = builds_dir(index_dir)
    return sorted(p for p in root.iterdir() if p.name.isdigit()) if root.is_dir() else []


def publish(index_dir: Path, scratch: Path) -> Path:
    """Give `scratch` the next build number and point `current` at it atomically. Call under build_lock."""
    numbered = _numbered(index_dir)
    number = int(numbered[-1].name) + 1 if numbered else 1
    final = builds_dir(index_dir) / f"{number:06d}"
    scratch.rename(final)
    link = index_dir / f".current-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(final.relative_to(index_dir))
    os.replace(link, index_dir / "current")
    prune(index_dir)
    return final


def prune(index_dir: Path) -> None:
    """Remove builds older than the current one and the KEEP_PREVIOUS before it, leftover scratch dirs, and
    the citation cache of content versions no kept build holds."""
    current = current_build(index_dir)
    numbered = _numbered(index_dir)
    keep = {current.name} if current else set()
    keep |= {p.name for p in numbered[-(KEEP_PREVIOUS + 1) :]}
    for path in numbered:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
    for path in builds_dir(index_dir).glob(".tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
    kept_versions = {_version(p) for p in _numbered(index_dir)}
    cache = index_dir / "cache"
    if cache.is_dir():
        for path in cache.iterdir():
            if path.name not in kept_versions:
                shutil.rmtree(path, ignore_errors=True)


def _version(build: Path) -> str | None:
    """The content version a build holds (its citation cache is kept while the build is)."""
    try:
        return str(json.loads((build / "manifest.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def discard(scratch: Path) -> None:
    shutil.rmtree(scratch, ignore_errors=True)
