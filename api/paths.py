"""The path segment of each record type, the same for the API (`/api/v1/recommendations/<id>`) and the
pages (`/recommendations/<id>`)."""

COLLECTIONS = {
    "recommendation": "recommendations",
    "guideline": "guidelines",
    "evidence": "evidence",
    "report": "reports",
    "fact": "facts",
    "service": "services",
    "reference": "references",
}
