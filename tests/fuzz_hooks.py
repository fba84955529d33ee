"""schemathesis hooks for the fuzz test (loaded through SCHEMATHESIS_HOOKS): every error is problem+json."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def errors_are_problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code < 400:
        return None
    content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    if "application/problem+json" not in content_type:
        raise AssertionError(f"error {response.status_code} is {content_type}, not application/problem+json")
    body = response.json()
    missing = {"type", "title", "status", "detail"} - set(body)
    if missing:
        raise AssertionError(f"problem document lacks {', '.join(sorted(missing))}")
    if body["status"] != response.status_code:
        raise AssertionError("problem status differs from the HTTP status")
    return None
