"""LaTeX in BibTeX values → plain Unicode text, with pylatexenc.

pylatexenc knows the LaTeX kernel's macros, accents and symbols; it does not know the macros that
bibliographies use from the TeX world (`\\TeX`, `\\BibTeX`), biblatex (`\\hyphen`, `\\psqq`,
`\\mkbibquote`, `\\bibstring`) and the tricks of classic .bib files (`\\noopsort`, `\\switchargs`,
`\\unskip`), and by default it drops what it does not know. MACROS is the table of those; a macro in
neither pylatexenc's tables nor this one is still decoded as its arguments' text, and reported, so that
nothing disappears silently. `%` in a BibTeX value is a percent sign, not a LaTeX comment.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ftfy.badness import is_bad
from pylatexenc import latexwalker
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.macrospec import MacroSpec

MACROS: dict[str, tuple[str, str]] = {
    # logos
    "TeX": ("", "TeX"),
    "LaTeX": ("", "LaTeX"),
    "LaTeXe": ("", "LaTeX2e"),
    "BibTeX": ("", "BibTeX"),
    "AmSTeX": ("", "AmS-TeX"),
    "AmS": ("", "AmS"),
    "AMS": ("", "AMS"),
    "AMSTeX": ("", "AMS-TeX"),
    "AmSLaTeX": ("", "AmS-LaTeX"),
    "ConTeXt": ("", "ConTeXt"),
    "XeTeX": ("", "XeTeX"),
    "XeLaTeX": ("", "XeLaTeX"),
    "LuaTeX": ("", "LuaTeX"),
    "LuaLaTeX": ("", "LuaLaTeX"),
    "eTeX": ("", "e-TeX"),
    "pdfTeX": ("", "pdfTeX"),
    "pdfLaTeX": ("", "pdfLaTeX"),
    "PiCTeX": ("", "PiCTeX"),
    "SliTeX": ("", "SliTeX"),
    "METAFONT": ("", "METAFONT"),
    "MF": ("", "METAFONT"),
    "MP": ("", "MetaPost"),
    "MFB": ("", "METAFONTbook"),
    "TB": ("", "TeXbook"),
    "TUB": ("", "TUGboat"),
    "JTeX": ("", "JTeX"),
    "TeXXeT": ("", "TeX-XeT"),
    "WEB": ("", "WEB"),
    "POBox": ("", "P.O. Box"),
    "POSTSCRIPT": ("", "PostScript"),
    "PS": ("", "PostScript"),
    "AMSTEX": ("", "AMS-TeX"),
    "LAMSTeX": ("", "LAMS-TeX"),
    # spacing and punctuation
    "/": ("", ""),  # italic correction
    "par": ("", " "),
    "emdash": ("", "—"),
    "endash": ("", "–"),
    "pounds": ("", "£"),
    "textsterling": ("", "£"),
    "cal": ("{", "%s"),
    "mathcal": ("{", "%s"),
    "hphantom": ("{", ""),
    "vphantom": ("{", ""),
    "hyphen": ("", "-"),
    "slash": ("", "/"),
    "unskip": ("", ""),
    "relax": ("", ""),
    "nobreak": ("", ""),
    "allowbreak": ("", ""),
    "break": ("", ""),
    "linebreak": ("", ""),
    "newblock": ("", " "),
    "nobreakspace": ("", " "),
    "noindent": ("", ""),
    "bibrangedash": ("", "–"),
    "textendash": ("", "–"),
    "textemdash": ("", "—"),
    "textquotedblleft": ("", "“"),
    "textquotedblright": ("", "”"),
    "psq": ("", " f."),
    "psqq": ("", " ff."),
    "ppno": ("", "pp."),
    "pno": ("", "p."),
    "mkbibquote": ("{", "“%s”"),
    "enquote": ("{", "“%s”"),
    "mkbibemph": ("{", "%s"),
    "mkbibitalic": ("{", "%s"),
    "mkbibbold": ("{", "%s"),
    "mkbibacro": ("{", "%s"),
    "mkbibordinal": ("{", "%s"),
    "bibstring": ("{", "%s"),
    "biblstring": ("{", "%s"),
    "mbox": ("{", "%s"),
    "hbox": ("{", "%s"),
    "text": ("{", "%s"),
    "textnormal": ("{", "%s"),
    "textup": ("{", "%s"),
    "textsl": ("{", "%s"),
    "textsf": ("{", "%s"),
    "texttt": ("{", "%s"),
    "textsuperscript": ("{", "%s"),
    "textsubscript": ("{", "%s"),
    "acro": ("{", "%s"),
    **{
        declaration: ("", "")
        for declaration in [
            "em",
            "bf",
            "it",
            "rm",
            "sl",
            "sf",
            "tt",
            "sc",
            "upshape",
            "itshape",
            "slshape",
            "bfseries",
            "mdseries",
            "scshape",
            "normalfont",
            "rmfamily",
            "sffamily",
            "ttfamily",
            "tiny",
            "scriptsize",
            "footnotesize",
            "small",
            "normalsize",
            "large",
            "Large",
            "LARGE",
            "huge",
            "Huge",
            "boldmath",
            "unboldmath",
            "protect",
            "frenchspacing",
            "nocorr",
        ]
    },
    "path": ("{", "%s"),
    "url": ("{", "%s"),
    "nolinkurl": ("{", "%s"),
    "doi": ("{", "%s"),
    "href": ("{{", "%(2)s"),
    "foreignlanguage": ("{{", "%(2)s"),
    "hyphenrules": ("{{", "%(2)s"),
    "noopsort": ("{", ""),  # classic .bib trick: sorts by its argument, prints nothing
    "switchargs": ("{{", "%(2)s%(1)s"),  # prints its arguments swapped (xampl.bib)
    "singleletter": ("{", "%s"),
    "ensuremath": ("{", "%s"),
}
"""Macro → (arguments as pylatexenc spells them, text with %s or %(n)s for the arguments)."""

_specs = [MacroSpec(name, args) for name, (args, _) in MACROS.items()]
_walker_db = latexwalker.get_default_latex_context_db()
_walker_db.add_context_category("mtkb-bibliography", macros=_specs, prepend=True)
_text_db = get_default_latex_context_db()
_text_db.add_context_category(
    "mtkb-bibliography",
    macros=[MacroTextSpec(name, simplify_repl=text) for name, (_, text) in MACROS.items()],
    prepend=True,
)
# An unknown macro's arguments (braced groups that follow it) are kept as text rather than dropped.
_text_db.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=None, discard=False))
_to_text = LatexNodes2Text(latex_context=_text_db, math_mode="text", strict_latex_spaces=True)
_PERCENT = re.compile(r"(?<!\\)%")
_LEFTOVER = re.compile(r"\\[A-Za-z@]+\*?|\\.|[{}]")
_ESCAPED = (
    ("\\textbackslash{}", "\ue000"),
    ("\\textbackslash", "\ue000"),
    ("\\{", "\ue001"),
    ("\\}", "\ue002"),
)
"""Escaped characters that are text (`\\{` is a brace to print): kept out of the search for leftover LaTeX."""
_LATIN = re.compile(r"[\x80-\uffff]")
_VERBATIM_ARGUMENT = re.compile(r"\\(url|path|nolinkurl|doi|href)\{([^{}]*)\}")
_URL_SPECIALS = {
    "~": r"\textasciitilde{}",
    "#": r"\#",
    "_": r"\_",
    "&": r"\&",
    "$": r"\$",
    "^": r"\^{}",
    "%": r"\%",
}


def _protect_verbatim(value: str) -> str:
    """The URL in `\\url{…}` (and `\\href`'s first argument) with LaTeX's special characters escaped,
    so that they decode to themselves: LaTeX reads these arguments verbatim."""

    def escape(match: re.Match[str]) -> str:
        body = "".join(_URL_SPECIALS.get(c, c) for c in match.group(2))
        return f"\\{match.group(1)}{{{body}}}"

    return _VERBATIM_ARGUMENT.sub(escape, value)


_CONTAINERS = (latexwalker.LatexGroupNode, latexwalker.LatexEnvironmentNode, latexwalker.LatexMathNode)


@dataclass
class Decoded:
    """Text decoded from LaTeX, and what was guessed on the way (each a short message)."""

    text: str
    guesses: list[str] = field(default_factory=list)


def _unknown_macros(nodes: list | None, found: list[str]) -> None:
    for node in nodes or []:
        if node is None:
            continue
        if node.isNodeType(latexwalker.LatexMacroNode):
            spec = _text_db.get_macro_spec(node.macroname)
            if (spec is None or spec is _text_db.unknown_macro_spec) and node.macroname not in found:
                found.append(node.macroname)
            args = node.nodeargd.argnlist if node.nodeargd else []
            _unknown_macros([a for a in args if a is not None], found)
        if isinstance(node, _CONTAINERS):
            _unknown_macros(node.nodelist, found)


def needs_decoding(value: str) -> bool:
    """Whether `value` holds anything LaTeX would change (a fast test before the parser)."""
    return any(c in value for c in "\\{}~$") or "--" in value or "``" in value or "''" in value


_TOKENS = re.compile(r"\\[A-Za-z@]+|\\.|[{}$]|\s+|[^\\{}$\s]+", re.S)
_CONTROL_WORD = re.compile(r"\\[A-Za-z@]+")


def _chunks(source: str) -> list[str]:
    """`source` split at the spaces where LaTeX could not carry anything across: outside braces and
    math, and not after a control word (which eats the space: `\\TeX book`). pylatexenc reads text
    one token at a time, so only the chunks that hold LaTeX go to it (long abstracts are mostly
    plain words)."""
    chunks: list[str] = []
    current: list[str] = []
    depth, math, previous = 0, False, ""
    for token in _TOKENS.findall(source):
        if token.isspace() and depth <= 0 and not math and not _CONTROL_WORD.fullmatch(previous):
            if current:
                chunks.append("".join(current))
            current, previous = [], token
            continue
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif token == "$":
            math = not math
        current.append(token)
        previous = token
    if current:
        chunks.append("".join(current))
    return chunks


@functools.lru_cache(maxsize=8192)
def _decode_chunk(chunk: str) -> tuple[str, tuple[str, ...]]:
    """The text of one chunk of LaTeX (a few words), and what was guessed. Chunks recur (`{\\TeX}`,
    accented names), hence the cache."""
    guesses: list[str] = []
    try:
        walker = latexwalker.LatexWalker(chunk, latex_context=_walker_db, tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        unknown: list[str] = []
        _unknown_macros(nodes, unknown)
        guesses.extend(f"unknown LaTeX macro \\{name} (kept its text)" for name in unknown)
        text = _to_text.nodelist_to_text(nodes)
    except Exception:  # pylatexenc fails with arbitrary errors on some input (e.g. `\title`)
        guesses.append(f"undecodable LaTeX in {chunk[:60]!r} (its commands and braces were dropped)")
        text = chunk
    if _LEFTOVER.search(text):
        if not guesses:
            guesses.append(f"undecodable LaTeX in {chunk[:60]!r} (its commands and braces were dropped)")
        text = _LEFTOVER.sub(lambda m: m.group(0)[1:] if len(m.group(0)) == 2 else "", text)
    return text, tuple(guesses)


def decode(value: str) -> Decoded:
    """`value` as plain text. Never raises: what could not be decoded is dropped from the text and
    reported in `guesses` (an unknown macro is kept as its arguments' text and reported)."""
    guesses: list[str] = []
    if not needs_decoding(value):
        text = value
    else:
        source = _PERCENT.sub(r"\\%", _protect_verbatim(value))
        for escaped, placeholder in _ESCAPED:
            source = source.replace(escaped, placeholder)
        parts = []
        for chunk in _chunks(source):
            if needs_decoding(chunk):
                decoded, guessed = _decode_chunk(chunk)
                parts.append(decoded)
                guesses.extend(g for g in guessed if g not in guesses)
            else:
                parts.append(chunk)
        text = " ".join(parts)
        for escaped, placeholder in _ESCAPED:
            text = text.replace(placeholder, escaped[-1] if escaped[1] in "{}" else "\\")
    text = " ".join(text.replace("\xa0", " ").split())
    if _LATIN.search(text) and is_bad(text):
        guesses.append(f"mojibake in {text[:60]!r} (UTF-8 read as Latin-1?)")
    return Decoded(text, guesses)
