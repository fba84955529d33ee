"""The domain's errors. Only `api/` turns them into HTTP statuses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MtkbError(Exception):
    """Base of every error mtkb raises on purpose."""


@dataclass(frozen=True)
class ContentProblem:
    """One problem in a content file: where it is and what is wrong."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(MtkbError):
    """A content file (Markdown or BibTeX) cannot be used; carries every problem found."""

    def __init__(self, problems: list[ContentProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def at(cls, path: Path | str, line: int, message: str) -> ContentError:
        """One problem at `path:line`."""
        return cls([ContentProblem(str(path), line, message)])


class NotFound(MtkbError):
    """No item of this type has this id."""

    def __init__(self, kind: str, ident: str):
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r}")


class QueryError(MtkbError):
    """A search query that cannot be run as written (malformed, or too expensive)."""


class IndexUnavailable(MtkbError):
    """There is no built index to read (run `mtkb build`)."""


class CitationError(MtkbError):
    """A style or locale that cannot be used, or a reference that cannot be formatted."""


class EngineUnavailable(MtkbError):
    """The citation engine cannot answer now: it is missing, it ran past its time limit, or every slot
    for it is busy. Nothing is wrong with what was asked; `retry_after` says when to ask again (seconds)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
