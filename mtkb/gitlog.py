"""Reading the content's git history: the commits that touched the content folders, with the blobs each
changed and their `Professional-change:` trailers, and the bytes of blobs.

Written over the git command line (one `git log` and one `git cat-file --batch` per derivation) rather
than a library: dulwich and GitPython would add a dependency to do the same two calls, and git is on
every machine that has a clone.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

TRAILER = "Professional-change"
"""A commit trailer naming the item ids (comma-separated, or one trailer per id) whose change in that
commit is a change of substance, as Helsedirektoratet's `sistFagligOppdatert` separates from any edit."""

ZERO = "0" * 40
TIMEOUT = 60


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the repository's top level
    old: str  # blob hash, or ZERO when the file was added
    new: str  # blob hash, or ZERO when the file was removed


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # ISO 8601 committer date with its offset
    professional: frozenset[str]
    changes: tuple[FileChange, ...] = field(default=())


@dataclass(frozen=True)
class Repository:
    top: Path
    head: str
    shallow: bool


def _git(cwd: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "-C", str(cwd), *args], input=data, capture_output=True, check=True, timeout=TIMEOUT
    ).stdout


def repository(folder: Path) -> Repository | None:
    """The repository holding `folder`, or None when there is none (a tarball) or git is missing."""
    try:
        out = _git(folder, "rev-parse", "--show-toplevel", "--is-shallow-repository", "HEAD").decode()
    except (OSError, subprocess.SubprocessError):
        return None
    top, shallow, head = out.split("\n")[:3]
    return Repository(Path(top), head.strip(), shallow.strip() == "true")


def commits(repo: Repository, paths: list[str]) -> list[Commit]:
    """Every commit on the first-parent line to HEAD that changed a file under `paths`, oldest first,
    merges compared with their first parent."""
    fmt = f"%x1e%H%x1f%cI%x1f%(trailers:key={TRAILER},valueonly,separator=%x2C)"
    out = _git(
        repo.top,
        "log",
        "--reverse",
        "--first-parent",
        "--diff-merges=first-parent",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        f"--format={fmt}",
        "HEAD",
        "--",
        *paths,
    ).decode("utf-8", "replace")
    found = []
    for chunk in out.split("\x1e")[1:]:
        header, _, rest = chunk.partition("\n")
        sha, date, trailers = (header.split("\x1f") + ["", ""])[:3]
        ids = frozenset(t.strip() for t in trailers.split(",") if t.strip())
        changes = []
        for line in rest.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            parts = meta.split()
            changes.append(FileChange(path, parts[2], parts[3]))
        found.append(Commit(sha, date, ids, tuple(changes)))
    return found


def blobs(repo: Repository, hashes: list[str]) -> dict[str, bytes]:
    """The bytes of each blob, read in one `git cat-file --batch`."""
    wanted = sorted({h for h in hashes if h != ZERO})
    if not wanted:
        return {}
    out = _git(repo.top, "cat-file", "--batch", data="".join(f"{h}\n" for h in wanted).encode())
    found: dict[str, bytes] = {}
    position = 0
    for sha in wanted:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        size = int(header[2])
        found[sha] = out[end + 1 : end + 1 + size]
        position = end + 1 + size + 1
    return found
