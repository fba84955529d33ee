"""Citation formatting (no HTTP here): records → CSL-JSON → pandoc's citeproc → text and HTML, plus
BibTeX, RIS and CSL-JSON exports, Helsedirektoratet's own citation form and a disk cache."""

from mtkb.citations.cache import CitationCache
from mtkb.citations.csl import to_csl_json
from mtkb.citations.engine import Formatted, format_bibliography, format_references
from mtkb.citations.exports import to_bibtex, to_csljson, to_ris
from mtkb.citations.recommendation import cite_recommendation
from mtkb.citations.styles import CORE_STYLES, LOCALES, list_styles, resolve_locale, resolve_style

__all__ = [
    "CORE_STYLES",
    "LOCALES",
    "CitationCache",
    "Formatted",
    "cite_recommendation",
    "format_bibliography",
    "format_references",
    "list_styles",
    "resolve_locale",
    "resolve_style",
    "to_bibtex",
    "to_csl_json",
    "to_csljson",
    "to_ris",
]
