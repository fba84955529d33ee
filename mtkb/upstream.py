"""Drift between a verbatim quote and its official page: the page's text is taken out of its HTML, the
quote is looked for in it, and where it is not found word for word, the closest passage is compared with
it word by word.

The page is read with the standard library's HTMLParser and the comparison is difflib's: no library does
"find this quote in that page" as a whole.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "td", "th", "br", "tr"}
SKIPPED = {"script", "style", "noscript", "template", "svg"}


def quote_hash(text: str) -> str:
    """The hash a quote carries: SHA-256 of its text, Unicode-normalised (NFC) with spaces collapsed."""
    return hashlib.sha256(_normal(text).encode()).hexdigest()


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    """The visible text of an HTML page, one block a line."""
    parser = _Text()
    parser.feed(html)
    lines = (_normal(line) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Drift:
    found: bool  # the quote stands word for word in the page
    similarity: float  # of the closest passage, 0..1
    removed: list[str] = field(default_factory=list)  # words of the quote not in the page's passage
    added: list[str] = field(default_factory=list)  # words of the page's passage not in the quote
    passage: str = ""


def compare(quote: str, page: str) -> Drift:
    """Whether `quote` stands in `page` (text, see page_text); if not, the closest passage of the same
    length in words and the words that differ."""
    wanted, text = _normal(quote), _normal(page.replace("\n", " "))
    if wanted and wanted in text:
        return Drift(True, 1.0, passage=wanted)
    quote_words, page_words = wanted.split(), text.split()
    size = len(quote_words)
    best, best_ratio = 0, -1.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote_words)
    for start in range(max(1, len(page_words) - size + 1)):
        matcher.set_seq1(page_words[start : start + size])
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = start, ratio
    passage = page_words[best : best + size]
    removed, added = [], []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=quote_words, b=passage, autojunk=False).get_opcodes():
        if op != "equal":
            removed += quote_words[a1:a2]
            added += passage[b1:b2]
    return Drift(False, max(best_ratio, 0.0), removed, added, " ".join(passage))


def fetch(url: str, timeout: float) -> str:
    """The page at `url` as text (standard library urllib: one GET, no library needed). Raises OSError
    (urllib's URLError is one) when it cannot be read."""
    from urllib.request import Request, urlopen

    request = Request(url, headers={"User-Agent": "mtkb verify-upstream"})
    with urlopen(request, timeout=timeout) as response:  # noqa: S310 (the URL is the quote's own source)
        charset = response.headers.get_content_charset() or "utf-8"
        return str(response.read().decode(charset, "replace"))
