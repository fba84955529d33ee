"""The browser and the server that the browser test modules share (registered as fixtures in conftest.py).

Playwright never downloads a browser here: it launches the system Chromium (`MTKB_CHROMIUM`, default
/usr/bin/chromium). Without it the browser tests skip with a loud message, and fail instead when
`MTKB_REQUIRE_BROWSER=1` (CI sets it). Both fixtures live for one test module: a module's tests share one
browser and one gunicorn, and Playwright's event loop is gone before the next module's tests run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT, gunicorn

CHROMIUM = os.environ.get("MTKB_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("MTKB_REQUIRE_BROWSER", "") == "1"
SCREENSHOTS = Path(os.environ.get("MTKB_SCREENSHOTS", ROOT / "tests" / "screenshots"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set MTKB_CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = _missing()
    if problem:
        message = f"BROWSER TESTS NOT RUN: {problem}. MTKB_REQUIRE_BROWSER=1 makes this a failure."
        if REQUIRED:
            pytest.fail(message, pytrace=False)
        print(f"\n{'!' * 100}\n!!! {message}\n{'!' * 100}", file=sys.__stderr__)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(browser: Any, index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under gunicorn on a free port, serving the session's index (only when there is a
    browser to look at it)."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with gunicorn({"MTKB_INDEX_DIR": str(index_dir)}, workers=2, log=log) as (base, _):
        yield base
