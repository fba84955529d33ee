"""Fuzzing in CI: schemathesis against a real gunicorn's own OpenAPI document, bounded in examples and
time, on 127.0.0.1. Checks: no 5xx, responses conform to their documented schemas, status codes and
content types are documented, schema-violating requests are rejected, and every error is problem+json
(a custom check in tests/fuzz_hooks.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.load import record
from tests.servers import ROOT, gunicorn

pytestmark = pytest.mark.slow
EXAMPLES = 30


def test_fuzz_the_api_against_its_openapi_document(index_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.json"
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=2) as (base, _):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{base}/api/v1/swagger.json",
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                str(EXAMPLES),
                "--request-timeout",
                "10",
                "--seed",
                "20261123",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_hooks", "PYTHONPATH": str(ROOT)},
        )
    summary = json.loads(report.read_text())
    cases = summary["test_cases"]
    record(
        "fuzz",
        operations=summary["operations"]["tested"],
        requests_generated=cases["generated"],
        failures=cases["unique_failures"],
        errors=len(summary["errors"]),
    )
    assert summary["operations"]["tested"] == summary["operations"]["total"] >= 16
    assert cases["generated"] > 300
    assert result.returncode == 0 and cases["unique_failures"] == 0, result.stdout[-6000:]
