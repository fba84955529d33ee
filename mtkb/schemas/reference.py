"""Schema of a reference (a BibTeX entry) as JSON. References are read from BibTeX, never loaded from JSON."""

from marshmallow import Schema, fields

from mtkb.schemas.common import FIRST_HELP, LAST_HELP, VERSION_HELP


class PersonSchema(Schema):
    family = fields.String(allow_none=True)
    given = fields.String(allow_none=True)
    literal = fields.String(allow_none=True)
    particle = fields.String(allow_none=True, metadata={"description": 'The von part: "van", "de"'})
    suffix = fields.String(allow_none=True, metadata={"description": 'The jr part: "Jr", "III"'})
    useprefix = fields.Boolean(
        metadata={"description": "Whether the particle sorts and is cited with the family name (biblatex)"}
    )


class ReferenceSchema(Schema):
    id = fields.String(dump_only=True)
    key = fields.String(dump_only=True)
    type = fields.String(dump_only=True)
    entry_type = fields.String(dump_only=True)
    title = fields.String(dump_only=True, allow_none=True)
    unknown_fields = fields.List(fields.String(), dump_only=True, attribute="unknown", data_key="unknown")
    authors = fields.List(fields.Nested(PersonSchema), dump_only=True)
    editors = fields.List(fields.Nested(PersonSchema), dump_only=True)
    names = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(PersonSchema)),
        dump_only=True,
        metadata={"description": "Other name lists by their biblatex field: translator, bookauthor ..."},
    )
    year = fields.Integer(dump_only=True, allow_none=True)
    month = fields.Integer(dump_only=True, allow_none=True)
    date = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The date as biblatex stores it (EDTF): 1996-03-11, 1984/1986, 1987/.., 2010-21"
        },
    )
    journal = fields.String(dump_only=True, allow_none=True)
    booktitle = fields.String(dump_only=True, allow_none=True)
    volume = fields.String(dump_only=True, allow_none=True)
    number = fields.String(dump_only=True, allow_none=True)
    pages = fields.String(dump_only=True, allow_none=True)
    publisher = fields.String(dump_only=True, allow_none=True)
    address = fields.String(dump_only=True, allow_none=True)
    institution = fields.String(dump_only=True, allow_none=True)
    organization = fields.String(dump_only=True, allow_none=True)
    report_type = fields.String(dump_only=True, allow_none=True)
    howpublished = fields.String(dump_only=True, allow_none=True)
    edition = fields.String(dump_only=True, allow_none=True)
    url = fields.String(dump_only=True, allow_none=True)
    doi = fields.String(dump_only=True, allow_none=True)
    pmid = fields.String(dump_only=True, allow_none=True)
    isbn = fields.String(dump_only=True, allow_none=True)
    language = fields.String(dump_only=True, allow_none=True)
    lang = fields.String(dump_only=True)
    abstract = fields.String(dump_only=True, allow_none=True)
    note = fields.String(dump_only=True, allow_none=True)
    updated = fields.String(dump_only=True, allow_none=True)
    extra = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        dump_only=True,
        metadata={
            "description": "Every other field of the entry (subtitle, chapter, series, eprint ...), decoded"
        },
    )
    cited_by = fields.List(fields.String(), dump_only=True)
    version = fields.Integer(dump_only=True, metadata={"description": VERSION_HELP})
    first_published = fields.Date(dump_only=True, allow_none=True, metadata={"description": FIRST_HELP})
    last_edited = fields.Date(dump_only=True, allow_none=True, metadata={"description": LAST_HELP})
    verification = fields.Function(lambda ref: {"status": ref.verification, "sources": ref.sources})

    class Meta:
        ordered = True
