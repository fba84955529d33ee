"""`make serve` on a fresh clone: gunicorn builds the missing index once, before its workers start."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tests.servers import gunicorn


def test_gunicorn_builds_a_missing_index_once_and_serves(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    log = tmp_path / "gunicorn.log"
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=2, log=log) as (base, _):
        with urllib.request.urlopen(base + "/api/v1/recommendations/musikkterapi-rusbehandling") as response:
            body = json.load(response)
            assert response.headers["X-Content-Version"]
        assert body["grade"]["term"] == "Konsensus"
    builds = sorted(p.name for p in (index_dir / "builds").iterdir())
    assert builds == ["000001"], "the index must be built exactly once, not once per worker"
    assert log.read_text().count("built index") == 1
