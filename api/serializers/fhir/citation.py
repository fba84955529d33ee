"""A reference → FHIR R5 `Citation` (docs/FHIR.md, "Citation"). Only what the reference holds is written:
fields a public record does not confirm (`unknown`) are left out and named in a note."""

from __future__ import annotations

from typing import Any

from api.serializers.fhir.codes import DOI, ISBN, PMID
from api.serializers.fhir.ids import fhir_id

CITED_MEDIUM_TEXT = {"article": "Journal article", "book": "Book", "techreport": "Report", "report": "Report"}


def _contributor(person: dict[str, Any]) -> dict[str, Any]:
    if person.get("literal"):
        return {"contributor": {"display": person["literal"]}}
    given = person.get("given") or ""
    name = " ".join(p for p in (given, person.get("family") or "") if p)
    entry: dict[str, Any] = {"contributor": {"display": name}}
    initials = "".join(part[0] for part in given.replace("-", " ").split() if part[:1].isalpha())
    if initials:
        entry["forenameInitials"] = initials
    return entry


def _identifiers(ref: dict[str, Any]) -> list[dict[str, Any]]:
    pairs = ((DOI, ref.get("doi")), (PMID, ref.get("pmid")), (ISBN, ref.get("isbn")))
    return [{"system": system, "value": value} for system, value in pairs if value]


def _publication_form(ref: dict[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {}
    venue = ref.get("journal") or ref.get("booktitle")
    published_in: dict[str, Any] = {}
    if venue:
        published_in["title"] = venue
    publisher = ref.get("publisher") or ref.get("institution") or ref.get("organization")
    if publisher:
        published_in["publisher"] = {"display": publisher}
    if ref.get("address"):
        published_in["publisherLocation"] = ref["address"]
    if published_in:
        form["publishedIn"] = published_in
    if ref.get("volume"):
        form["volume"] = ref["volume"]
    if ref.get("number"):
        form["issue"] = ref["number"]
    date = ref.get("date") or (str(ref["year"]) if ref.get("year") else None)
    if date:
        form["publicationDateText"] = date
        form["articleDate"] = date
    if ref.get("pages"):
        form["pageString"] = ref["pages"]
        first, _, last = ref["pages"].partition("-")
        form["firstPage"] = first.strip()
        if last.strip():
            form["lastPage"] = last.strip()
    if ref.get("lang") in ("nb", "nn", "en"):
        form["language"] = [{"coding": [{"system": "urn:ietf:bcp:47", "code": ref["lang"]}]}]
    return form


def citation(ref: dict[str, Any], base: str, api: str) -> dict[str, Any]:
    """`ref` (a served reference record) as a Citation; `api` is the absolute URL of /api/v1."""
    artifact: dict[str, Any] = {}
    identifiers = _identifiers(ref)
    if identifiers:
        artifact["identifier"] = identifiers
    if ref.get("title"):
        artifact["title"] = [{"text": ref["title"]}]
    if ref.get("abstract"):
        artifact["abstract"] = [{"text": ref["abstract"]}]
    form = _publication_form(ref)
    if form:
        artifact["publicationForm"] = [form]
    if ref.get("url"):
        artifact["webLocation"] = [{"url": ref["url"]}]
    people = ref.get("authors") or []
    if people:
        artifact["contributorship"] = {
            "complete": not ref.get("authors_incomplete", False),
            "entry": [_contributor(p) for p in people],
        }
    if ref.get("unknown"):
        artifact["note"] = [
            {"text": "Not confirmed by a public record, so left out: " + ", ".join(ref["unknown"]) + "."}
        ]
    out: dict[str, Any] = {
        "resourceType": "Citation",
        "id": fhir_id(ref["key"]),
        "url": f"{base}/Citation/{fhir_id(ref['key'])}",
        "identifier": [{"system": f"{api}/references", "value": ref["key"]}],
        "status": "active",
        "publisher": "mtkb",
        "citedArtifact": artifact,
    }
    if ref.get("title"):
        out["title"] = ref["title"]
    return out
