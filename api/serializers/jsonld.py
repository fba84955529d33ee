"""schema.org JSON-LD for recommendations, guidelines, evidence, references and services.

Only properties that schema.org allows on each type are used (a test checks them against the
vocabulary). Grades map onto schema.org's evidence levels: A is EvidenceLevelA, B EvidenceLevelB,
consensus and C/D EvidenceLevelC (expert opinion and weaker evidence).
"""

from __future__ import annotations

from typing import Any

from flask import request

from api.render import hdir_rights, project_rights

JSONLD = "application/ld+json"
CONTEXT = "https://schema.org"
EVIDENCE_LEVELS = {
    "A": "EvidenceLevelA",
    "B": "EvidenceLevelB",
    "C": "EvidenceLevelC",
    "D": "EvidenceLevelC",
    "consensus": "EvidenceLevelC",
}
REFERENCE_TYPES = {
    "article": "ScholarlyArticle",
    "book": "Book",
    "inbook": "Chapter",
    "incollection": "Chapter",
    "techreport": "Report",
    "report": "Report",
    "manual": "CreativeWork",
    "misc": "CreativeWork",
    "online": "WebPage",
    "phdthesis": "Thesis",
    "mastersthesis": "Thesis",
}


def _self(path: str) -> str:
    return request.host_url.rstrip("/") + path


def _organisation(name: str) -> dict[str, str]:
    return {"@type": "Organization", "name": name}


def with_rights(out: dict[str, Any], record: dict[str, Any], path: str) -> dict[str, Any]:
    """`out` naming the licences of what it carries: this document (`mainEntityOfPage`) under the project's
    CC BY for its own text and, when the record carries Helsedirektoratet's content (`licence: NLOD`), that
    content as a CreativeWork (`subjectOf`: Helsedirektoratet's page) under NLOD with its attribution
    (`creditText`) and Helsedirektoratet as copyright holder. schema.org puts `license` on CreativeWork
    only, so the medical types carry it on these two works."""
    project = project_rights()
    out["mainEntityOfPage"] = {
        "@type": "WebPage",
        "@id": _self(path),
        "license": project["url"],
        "copyrightHolder": _organisation(project["holder"]),
        "creditText": f"{project['licence']}: {project['applies_to']}",
    }
    if record.get("licence") == hdir_rights()["licence"]:
        hdir = hdir_rights()
        work: dict[str, Any] = {
            "@type": "WebPage",
            "name": record["title"],
            "publisher": _organisation(hdir["holder"]),
            "copyrightHolder": _organisation(hdir["holder"]),
            "license": hdir["url"],
            "creditText": f"{hdir['attribution']}: {hdir['applies_to']}",
        }
        if record.get("url"):
            work["url"] = record["url"]
        previous = out.get("subjectOf")
        out["subjectOf"] = [previous, work] if previous else work
    return out


def recommendation(rec: dict[str, Any], guideline: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "MedicalGuidelineRecommendation",
        "@id": _self(f"/api/v1/recommendations/{rec['id']}"),
        "name": rec["title"],
        "recommendationStrength": f"{rec['strength']['value']} ({rec['strength']['basis']})",
        "evidenceOrigin": f"{rec['grade']['system']}: {rec['grade']['term']}",
        "guidelineSubject": {"@type": "MedicalTherapy", "name": "Musikkterapi"},
        "recognizingAuthority": {"@type": "Organization", "name": rec["attribution"]},
    }
    if rec["grade"]["code"] in EVIDENCE_LEVELS:
        out["evidenceLevel"] = f"https://schema.org/{EVIDENCE_LEVELS[rec['grade']['code']]}"
    if rec.get("last_professional_change"):
        out["guidelineDate"] = rec["last_professional_change"]
    if rec["wording"].get("text"):
        out["description"] = rec["wording"]["text"]
    if rec.get("url"):
        out["url"] = rec["url"]
    if guideline is not None:
        doc: dict[str, Any] = {
            "@type": "MedicalGuideline",
            "name": guideline["title"],
            "@id": _self(f"/api/v1/guidelines/{guideline['id']}"),
        }
        if guideline.get("url"):
            doc["url"] = guideline["url"]
        out["subjectOf"] = doc
    return with_rights(out, rec, f"/api/v1/recommendations/{rec['id']}")


def guideline(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "MedicalGuideline",
        "@id": _self(f"/api/v1/guidelines/{item['id']}"),
        "name": item["title"],
        "recognizingAuthority": {"@type": "Organization", "name": item["publisher"]},
        "guidelineSubject": {"@type": "MedicalTherapy", "name": "Musikkterapi"},
    }
    if item.get("published"):
        out["guidelineDate"] = item["published"]
    if item.get("url"):
        out["url"] = item["url"]
    if item.get("identifier"):
        out["identifier"] = item["identifier"]
    return with_rights(out, item, f"/api/v1/guidelines/{item['id']}")


def _person(p: dict[str, Any]) -> dict[str, Any]:
    if p.get("literal"):
        return {"@type": "Organization", "name": p["literal"]}
    family = " ".join(x for x in (p.get("particle"), p.get("family")) if x) or None
    person = {"@type": "Person", "familyName": family, "givenName": p.get("given")}
    return {**person, "honorificSuffix": p["suffix"]} if p.get("suffix") else person


def reference(ref: dict[str, Any]) -> dict[str, Any]:
    kind = REFERENCE_TYPES.get(ref["entry_type"], "CreativeWork")
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": kind,
        "@id": _self(f"/api/v1/references/{ref['key']}"),
        "name": ref["title"],
        "identifier": ref["key"],
    }
    if ref.get("authors"):
        out["author"] = [_person(p) for p in ref["authors"]]
    if ref.get("editors"):
        out["editor"] = [_person(p) for p in ref["editors"]]
    if ref.get("year"):
        out["datePublished"] = str(ref["year"])
    if ref.get("doi"):
        out["sameAs"] = f"https://doi.org/{ref['doi']}"
    if ref.get("url"):
        out["url"] = ref["url"]
    if ref.get("journal") and kind == "ScholarlyArticle":
        out["isPartOf"] = {"@type": "Periodical", "name": ref["journal"]}
    if ref.get("publisher"):
        out["publisher"] = {"@type": "Organization", "name": ref["publisher"]}
    if ref.get("lang"):
        out["inLanguage"] = ref["lang"]
    return out


def evidence(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "CreativeWork",
        "@id": _self(f"/api/v1/evidence/{item['id']}"),
        "name": item["title"],
        "dateCreated": str(item["year"]),
        "inLanguage": item["lang"],
    }
    if item.get("summary_en"):
        out["abstract"] = item["summary_en"]
    counts = item.get("counts_text") or {}
    if counts.get(item["lang"]) or counts.get("en"):
        out["description"] = counts.get(item["lang"]) or counts["en"]  # the participants' scope stated
    return with_rights(out, item, f"/api/v1/evidence/{item['id']}")


def service(item: dict[str, Any]) -> dict[str, Any]:
    """A service as a schema.org MedicalClinic offering music therapy (`availableService`). Its place is
    given only as municipality and county (addressLocality, addressRegion): no street address is known."""
    therapy: dict[str, Any] = {"@type": "MedicalTherapy", "name": "Musikkterapi"}
    if item.get("settings"):
        therapy["description"] = ", ".join(item["settings"])
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "MedicalClinic",
        "@id": _self(f"/api/v1/services/{item['id']}"),
        "name": item["title"],
        "parentOrganization": {"@type": "Organization", "name": item["organisation"]},
        "availableService": therapy,
    }
    if item.get("municipality") or item.get("county"):
        place = {"@type": "PostalAddress", "addressCountry": "NO"}
        if item.get("municipality"):
            place["addressLocality"] = item["municipality"]
        if item.get("county"):
            place["addressRegion"] = item["county"]
        out["address"] = place
    if item.get("summary_nb") or item.get("summary_en"):
        out["description"] = item.get("summary_nb") or item["summary_en"]
    if item.get("url"):
        out["url"] = item["url"]
    return with_rights(out, item, f"/api/v1/services/{item['id']}")
