"""The one mapping table: BibTeX/biblatex entry types and fields → CSL-JSON and RIS.

Every entry type and every field in the biblatex manual's lists (regular types, type aliases, the
non-standard types; data fields, special fields, custom fields, field aliases), and the common fields
that reference managers add, has a row here. A field's row names its CSL-JSON variable and its RIS
tag, or None for "kept as an extra field": served in JSON under `extra`, written back by the BibTeX
export, and left out of CSL and RIS (which have no place for it). The reader (`mtkb.sources.bibtex`),
the CSL conversion (`mtkb.citations.csl`) and the exports (`mtkb.citations.exports`) all read this
table; nothing else decides where a field goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class TypeRow:
    """An entry type: its CSL type, its RIS type, and the genre a style prints when `type` is empty."""

    csl: str
    ris: str
    genre: str | None = None


@dataclass(frozen=True)
class FieldRow:
    """A field: its kind, its CSL variable and its RIS tag (None: kept as an extra field).

    Kinds: `text` (LaTeX decoded), `names` (a name list), `date`, `verbatim` (URLs, DOIs, file names:
    kept exactly as written), `key` (a key or option for biblatex, never shown), `internal` (mtkb's own
    fields)."""

    kind: str
    csl: str | None = None
    ris: str | None = None


T = TypeRow
ENTRY_TYPES = MappingProxyType(
    {
        # biblatex manual §2.1.1, regular types
        "article": T("article-journal", "JOUR"),
        "book": T("book", "BOOK"),
        "mvbook": T("book", "BOOK"),
        "inbook": T("chapter", "CHAP"),
        "bookinbook": T("chapter", "CHAP"),
        "suppbook": T("chapter", "CHAP"),
        "booklet": T("pamphlet", "PAMP"),
        "collection": T("book", "EDBOOK"),
        "mvcollection": T("book", "EDBOOK"),
        "incollection": T("chapter", "CHAP"),
        "suppcollection": T("chapter", "CHAP"),
        "dataset": T("dataset", "DATA"),
        "manual": T(
            "report", "RPRT"
        ),  # documentation, guidelines: grey literature, cited as reports (APA 7 §10.4)
        "misc": T("document", "GEN"),
        "online": T("webpage", "ELEC"),
        "patent": T("patent", "PAT"),
        "periodical": T("periodical", "JFULL"),
        "suppperiodical": T("article-journal", "JOUR"),
        "proceedings": T("book", "CONF"),
        "mvproceedings": T("book", "CONF"),
        "inproceedings": T("paper-conference", "CPAPER"),
        "reference": T("book", "ENCYC"),
        "mvreference": T("book", "ENCYC"),
        "inreference": T("entry-encyclopedia", "ENCYC"),
        "report": T("report", "RPRT"),
        "set": T("document", "GEN"),
        "software": T("software", "COMP"),
        "thesis": T("thesis", "THES"),
        "unpublished": T("manuscript", "UNPB"),
        "xdata": T("document", "GEN"),
        **{f"custom{c}": T("document", "GEN") for c in "abcdef"},
        # §2.1.2, type aliases
        "conference": T("paper-conference", "CPAPER"),
        "electronic": T("webpage", "ELEC"),
        "mastersthesis": T("thesis", "THES", "Master's thesis"),
        "phdthesis": T("thesis", "THES", "PhD thesis"),
        # A report needs no genre: biblatex's "Tech. rep." would print in English in every locale.
        "techreport": T("report", "RPRT"),
        "www": T("webpage", "ELEC"),
        # §2.1.3, non-standard types
        "artwork": T("graphic", "ART"),
        "audio": T("song", "SOUND"),
        "bibnote": T("document", "GEN"),
        "commentary": T("book", "BOOK"),
        "image": T("graphic", "ART"),
        "jurisdiction": T("legal_case", "CASE"),
        "legislation": T("legislation", "STAT"),
        "legal": T("treaty", "LEGAL"),
        "letter": T("personal_communication", "PCOMM"),
        "movie": T("motion_picture", "MPCT"),
        "music": T("song", "MUSIC"),
        "performance": T("performance", "GEN"),
        "review": T("review", "JOUR"),
        "standard": T("standard", "STAND"),
        "video": T("motion_picture", "VIDEO"),
    }
)
"""Entry type → CSL type and RIS type. An unknown entry type is read as `misc`."""

WEB_MISC = TypeRow("webpage", "ELEC")
"""A `@misc` with a URL (and no publisher) is a web page: the one type decided by an entry's fields."""

F = FieldRow
FIELDS = MappingProxyType(
    {
        # biblatex manual §2.2.2, data fields
        "abstract": F("text", "abstract", "AB"),
        "addendum": F("text"),
        "afterword": F("names"),
        "annotation": F("text", "annote"),
        "annotator": F("names"),
        "author": F("names", "author", "AU"),
        "authortype": F("key"),
        "bookauthor": F("names", "container-author"),
        "bookpagination": F("key"),
        "booksubtitle": F("text"),  # joined to booktitle
        "booktitle": F("text", "container-title", "T2"),
        "booktitleaddon": F("text"),  # joined to booktitle
        "chapter": F("text", "chapter-number", "SE"),
        "commentator": F("names"),
        "date": F("date", "issued", "DA"),
        "doi": F("verbatim", "DOI", "DO"),
        "edition": F("text", "edition", "ET"),
        "editor": F("names", "editor", "A2"),
        "editora": F("names"),
        "editorb": F("names"),
        "editorc": F("names"),
        "editortype": F("key"),
        "editoratype": F("key"),
        "editorbtype": F("key"),
        "editorctype": F("key"),
        "eid": F("text", "number"),
        "entrysubtype": F("key"),
        "eprint": F("verbatim", "archive_location", "AN"),
        "eprintclass": F("text"),
        "eprinttype": F("text", "archive", "DB"),
        "eventdate": F("date", "event-date"),
        "eventtitle": F("text", "event"),
        "eventtitleaddon": F("text"),
        "file": F("verbatim"),
        "foreword": F("names"),
        "holder": F("names"),
        "howpublished": F("text", "publisher", "PB"),
        "indextitle": F("text"),
        "institution": F("text", "publisher", "PB"),
        "introduction": F("names"),
        "isan": F("text"),
        "isbn": F("text", "ISBN", "SN"),
        "ismn": F("text"),
        "isrc": F("text"),
        "issn": F("text", "ISSN", "SN"),
        "issue": F("text", "issue", "IS"),
        "issuesubtitle": F("text"),
        "issuetitle": F("text"),
        "issuetitleaddon": F("text"),
        "iswc": F("text"),
        "journalsubtitle": F("text"),  # joined to journaltitle
        "journaltitle": F("text", "container-title", "T2"),
        "journaltitleaddon": F("text", "container-title-short"),
        "label": F("text"),
        "language": F("text", "language", "LA"),
        "library": F("text"),
        "location": F("text", "publisher-place", "CY"),
        "mainsubtitle": F("text"),  # joined to maintitle
        "maintitle": F("text", "collection-title", "T3"),
        "maintitleaddon": F("text"),
        "month": F("date", None, "DA"),
        "nameaddon": F("text"),
        "note": F("text", "note", "N1"),
        "number": F("text", "number", "IS"),
        "organization": F("text", "publisher", "PB"),
        "origdate": F("date", "original-date"),
        "origlanguage": F("text"),
        "origlocation": F("text", "original-publisher-place"),
        "origpublisher": F("text", "original-publisher"),
        "origtitle": F("text", "original-title"),
        "pages": F("text", "page", "SP"),
        "pagetotal": F("text", "number-of-pages"),
        "pagination": F("key"),
        "part": F("text", "part"),
        "publisher": F("text", "publisher", "PB"),
        "pubstate": F("text", "status"),
        "reprinttitle": F("text"),
        "series": F("text", "collection-title", "T3"),
        "shortauthor": F("names"),
        "shorteditor": F("names"),
        "shorthand": F("text"),
        "shorthandintro": F("text"),
        "shortjournal": F("text", "container-title-short", "J2"),
        "shortseries": F("text"),
        "shorttitle": F("text", "title-short", "ST"),
        "subtitle": F("text"),  # joined to title
        "title": F("text", "title", "TI"),
        "titleaddon": F("text"),  # joined to title
        "translator": F("names", "translator", "A4"),
        "type": F("text", "genre", "M3"),
        "url": F("verbatim", "URL", "UR"),
        "urldate": F("date", "accessed", "Y2"),
        "venue": F("text", "event-place"),
        "version": F("text", "version"),
        "volume": F("text", "volume", "VL"),
        "volumes": F("text", "number-of-volumes", "NV"),
        "year": F("date", "issued", "PY"),
        # §2.2.3, special fields
        "crossref": F("key"),
        "entryset": F("key"),
        "execute": F("key"),
        "gender": F("key"),
        "langid": F("key"),
        "langidopts": F("key"),
        "ids": F("key"),
        "indexsorttitle": F("key"),
        "keywords": F("text", "keyword", "KW"),
        "options": F("key"),
        "presort": F("key"),
        "related": F("key"),
        "relatedoptions": F("key"),
        "relatedtype": F("key"),
        "relatedstring": F("text"),
        "sortkey": F("key"),
        "sortname": F("names"),
        "sortshorthand": F("key"),
        "sorttitle": F("key"),
        "sortyear": F("key"),
        "xdata": F("key"),
        "xref": F("key"),
        # §2.2.4, custom fields
        **{f"name{c}": F("names") for c in "abc"},
        **{f"name{c}type": F("key") for c in "abc"},
        **{f"list{c}": F("text") for c in "abcdef"},
        **{f"user{c}": F("text") for c in "abcdef"},
        **{f"verb{c}": F("verbatim") for c in "abc"},
        # §2.2.5, field aliases (read as the field they stand for)
        "address": F("text", "publisher-place", "CY"),
        "annote": F("text", "annote"),
        "archiveprefix": F("text", "archive", "DB"),
        "journal": F("text", "container-title", "T2"),
        "key": F("key"),
        "pdf": F("verbatim"),
        "primaryclass": F("text"),
        "school": F("text", "publisher", "PB"),
        # common fields of reference managers and databases
        "pmid": F("verbatim", "PMID"),
        "pmcid": F("verbatim", "PMCID"),
        "journalabbrev": F("text", "container-title-short", "J2"),
        "mrnumber": F("verbatim"),
        "zblnumber": F("verbatim"),
        "lccn": F("verbatim"),
        "bibsource": F("verbatim"),
        "bibdate": F("text"),
        "timestamp": F("text"),
        "owner": F("text"),
        # mtkb's own fields (docs/CONTENT.md)
        "mtkb_unknown": F("internal"),
        "mtkb_verification": F("internal"),
        "mtkb_sources": F("internal"),
        "mtkb_updated": F("internal"),
    }
)
"""Field → kind, CSL variable, RIS tag. A field that is in no row is kept as an extra text field."""

ALIASES = MappingProxyType(
    {
        "address": "location",
        "annote": "annotation",
        "archiveprefix": "eprinttype",
        "journal": "journaltitle",
        "key": "sortkey",
        "pdf": "file",
        "primaryclass": "eprintclass",
        "school": "institution",
        "journalabbrev": "shortjournal",
    }
)
"""biblatex's field aliases (§2.2.5): the old name → the field it stands for."""

EPRINT_TYPES = MappingProxyType(
    {"pubmed": "PMID", "pmid": "PMID", "pmc": "PMCID", "pmcid": "PMCID", "doi": "DOI"}
)
"""`eprinttype` values whose `eprint` is one of CSL's own identifiers (others go to archive/location)."""

EPRINT_ARCHIVES = MappingProxyType(
    {"arxiv": "arXiv", "jstor": "JSTOR", "hdl": "HDL", "googlebooks": "Google Books", "pubmed": "PubMed"}
)
"""`eprinttype` values as the archive's name is written (biblatex prints these names)."""

LOCALISATION_KEYS = MappingProxyType(
    {
        "mathesis": "Master's thesis",
        "phdthesis": "PhD thesis",
        "candthesis": "Candidate thesis",
        "techreport": "Technical report",
        "resreport": "Research report",
        "software": "Computer software",
        "datacd": "CD-ROM",
        "audiocd": "Audio CD",
        "patent": "Patent",
        "patentde": "German patent",
        "patenteu": "European patent",
        "patentfr": "French patent",
        "patentuk": "British patent",
        "patentus": "U.S. patent",
        "patreq": "Patent request",
        "patreqde": "German patent request",
        "patreqeu": "European patent request",
        "patreqfr": "French patent request",
        "patrequk": "British patent request",
        "patrequs": "U.S. patent request",
        "countryde": "Germany",
        "countryeu": "European Union",
        "countryep": "European Union",
        "countryfr": "France",
        "countryuk": "United Kingdom",
        "countryus": "United States of America",
        "newseries": "new series",
        "oldseries": "old series",
        "inpreparation": "in preparation",
        "submitted": "submitted",
        "forthcoming": "forthcoming",
        "inpress": "in press",
        "prepublished": "pre-published",
    }
)
"""biblatex localisation keys that `type`, `location`, `pubstate` and `series` hold
(`type = {phdthesis}`), and the English text biblatex prints for them."""

NAME_FIELDS = tuple(name for name, row in FIELDS.items() if row.kind == "names")
VERBATIM_FIELDS = frozenset(name for name, row in FIELDS.items() if row.kind == "verbatim")
KEY_FIELDS = frozenset(name for name, row in FIELDS.items() if row.kind in ("key", "internal"))


def entry_type_row(entry_type: str, has_url: bool = False, has_publisher: bool = False) -> TypeRow:
    """The row of an entry type; `@misc` with a URL and no publisher is a web page."""
    if entry_type == "misc" and has_url and not has_publisher:
        return WEB_MISC
    return ENTRY_TYPES.get(entry_type, ENTRY_TYPES["misc"])


def field_row(name: str) -> FieldRow:
    """The row of a field; a field in no row is extra text."""
    return FIELDS.get(name) or FieldRow("text")


def localised(value: str) -> str:
    """A biblatex localisation key (`phdthesis`) as the text biblatex prints; other values as they are."""
    return LOCALISATION_KEYS.get(value.strip().lower(), value)
