"""Fields and nested schemas shared by every item schema."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from mtkb import ITEM_TYPES
from mtkb.prose import render_html
from mtkb.records import Citation, Correction, Verification

SLUG = validate.Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="must be a slug: lowercase a-z, 0-9 and single '-'"
)
BIBKEY = validate.Regexp(r"^[A-Za-z0-9_][A-Za-z0-9_:.\-]*$", error="not a valid reference key")
LANGS = ("nb", "nn", "en")
VERIFICATION_STATUSES = ("verified", "reported", "unverified")
VERSION_HELP = "How many versions the record has had: commits that changed it (1 without git history)"
FIRST_HELP = "The date of its first version (null without git history)"
LAST_HELP = "The date of its last version; without git history, the hand-written `updated` date"


class Tuple(fields.List):
    """A list in YAML and JSON, a tuple in the record (records are frozen)."""

    # marshmallow's stubs say a List field loads a list; this one deliberately loads a tuple.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> tuple[Any, ...]:
        return tuple(super()._deserialize(value, attr, data, **kwargs))


def count() -> fields.Integer:
    """A number of studies, participants or informants: a whole number from 0, or null when unknown."""
    return fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))


def required_summary() -> fields.String:
    """`summary_en` where it is required (recommendations and evidence)."""
    return fields.String(required=True, validate=validate.Length(min=1))


SUMMARY_NB_WORDS = 80
"""`summary_nb` is plain language (klarspråk): at most about this many words."""


def plain_summary_field(required: bool = False) -> fields.String:
    """`summary_nb`: plain-language Norwegian, required on recommendations and evidence."""
    meta = {"description": f"Plain-language Norwegian (klarspråk), at most {SUMMARY_NB_WORDS} words"}
    if required:
        return fields.String(required=True, validate=validate.Length(min=1), metadata=meta)
    return fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1), metadata=meta)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def words(text: str) -> list[str]:
    """The words of `text` (hyphenated and abbreviated words count once)."""
    return _WORD.findall(text)


def sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped and with runs of whitespace made one space."""
    return [" ".join(s.split()) for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def plain_summary_problem(summary_nb_text: str, summary_en_text: str | None) -> str | None:
    """Why `summary_nb_text` is not a plain-language summary beside `summary_en_text`, or None."""
    count = len(words(summary_nb_text))
    if count > SUMMARY_NB_WORDS:
        return f"has {count} words; plain language keeps it to at most {SUMMARY_NB_WORDS}"
    english = {s.casefold() for s in sentences(summary_en_text or "")}
    copied = [s for s in sentences(summary_nb_text) if s.casefold() in english]
    if copied:
        return f"repeats a sentence of summary_en ({copied[0][:60]!r}): write it in Norwegian for a reader"
    return None


def slugs(**kwargs: Any) -> Tuple:
    return Tuple(fields.String(validate=SLUG), load_default=(), **kwargs)


def keys(**kwargs: Any) -> Tuple:
    return Tuple(fields.String(validate=BIBKEY), load_default=(), **kwargs)


_URL_AT_END = re.compile(r"^(?P<text>.*?)[\s,;]*(?P<url>https?://\S+?)[.)]?$", re.S)


_KEY = re.compile(str(BIBKEY.regex.pattern))


def looks_like_key(source: str) -> bool:
    """True when a verification source is written as a reference key (no spaces, key characters only)."""
    return _KEY.fullmatch(source) is not None


def source_entry(source: str) -> dict[str, str | None]:
    """A verification source as served: a reference key becomes `{key}` (the API adds its citation and the
    reference's URL); any other source, written "Publisher: Title, URL", becomes `{text, url}`."""
    if looks_like_key(source):
        return {"key": source, "citation": None, "intext": None, "text": None, "url": None}
    match = _URL_AT_END.match(source.strip())
    text, url = (match["text"] or match["url"], match["url"]) if match else (source, None)
    return {"key": None, "citation": None, "intext": None, "text": text, "url": url}


class VerificationSourceSchema(Schema):
    """One source of a verification: a reference (key, its formatted citation and in-text citation, the
    reference's URL in this API) or a public page (publisher and title as text, and its URL)."""

    key = fields.String(allow_none=True)
    citation = fields.String(allow_none=True)
    intext = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    url = fields.String(allow_none=True)

    class Meta:
        ordered = True


class VerificationSources(fields.List):
    """Loads strings (front matter); dumps each as a VerificationSourceSchema object. Loads the dumped
    objects back too, as the index rebuilds records from their JSON."""

    def __init__(self, **kwargs: Any):
        super().__init__(fields.Nested(VerificationSourceSchema), **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> list[Any] | None:
        if value is None:
            return None
        return [source_entry(s) for s in value]

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: Any, data: Any, **kwargs: Any
    ) -> tuple[str, ...]:
        if not isinstance(value, list | tuple):
            raise ValidationError("must be a list of sources")
        out = []
        for index, source in enumerate(value):
            if isinstance(source, dict):  # as dumped
                parts = dict.fromkeys(p for p in (source.get("text"), source.get("url")) if p)
                source = source.get("key") or ", ".join(parts)
            if not isinstance(source, str) or not source.strip():
                raise ValidationError({index: ["must be a reference key or 'Publisher: Title, URL'"]})
            out.append(source)
        return tuple(out)


class VerificationSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(VERIFICATION_STATUSES))
    sources = VerificationSources(load_default=())
    note = fields.String(load_default=None, allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Verification:
        return Verification(**data)


class CorrectionSchema(Schema):
    id = fields.String(required=True, validate=SLUG)
    text = fields.String(required=True, validate=validate.Length(min=1))
    source = fields.String(required=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Correction:
        return Correction(**data)


class CitationSchema(Schema):
    key = fields.String()
    locator = fields.String(allow_none=True)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Citation:
        return Citation(line=0, **data)


class ItemSchema(Schema):
    """Front matter every item has; dump adds the prose in Markdown and HTML and its citations."""

    id = fields.String(required=True, validate=SLUG)
    type = fields.String(required=True, validate=validate.OneOf(ITEM_TYPES))
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    lang = fields.String(required=True, validate=validate.OneOf(LANGS))
    updated = fields.Date(required=True)
    verification = fields.Nested(VerificationSchema, required=True)
    summary_en = fields.String(load_default=None, allow_none=True)
    summary_nb = plain_summary_field()
    aliases = slugs()
    references = keys()
    corrections = Tuple(fields.Nested(CorrectionSchema), load_default=())
    body_markdown = fields.String(attribute="body", dump_only=True)
    body_html = fields.Function(
        lambda item: render_html(item.body), dump_only=True, metadata={"type": "string"}
    )
    citations = fields.List(fields.Nested(CitationSchema), dump_only=True)
    version = fields.Integer(dump_only=True, metadata={"description": VERSION_HELP})
    first_published = fields.Date(dump_only=True, allow_none=True, metadata={"description": FIRST_HELP})
    last_edited = fields.Date(dump_only=True, allow_none=True, metadata={"description": LAST_HELP})

    class Meta:
        ordered = True

    @validates_schema
    def summary_nb_is_plain(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("summary_nb"):
            problem = plain_summary_problem(data["summary_nb"], data.get("summary_en"))
            if problem:
                raise ValidationError(problem, "summary_nb")

    @validates_schema
    def correction_ids_unique(self, data: dict[str, Any], **_: Any) -> None:
        seen: set[str] = set()
        for index, correction in enumerate(data.get("corrections", ())):
            if correction.id in seen:
                message = f"correction id {correction.id!r} is used twice in this item"
                raise ValidationError({"corrections": {index: {"id": [message]}}})
            seen.add(correction.id)
