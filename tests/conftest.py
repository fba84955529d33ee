"""Shared fixtures: the real content is loaded and indexed once per session, into a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from api import create_app
from index import build_index
from mtkb.corpus import Corpus, load_corpus
from tests.browsing import browser, site  # noqa: F401  (fixtures of the browser test modules)

ROOT = Path(__file__).resolve().parent.parent
KB_DIR = ROOT / "kb"
REFERENCES_DIR = ROOT / "references"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The real knowledge base, loaded once."""
    return load_corpus(KB_DIR, REFERENCES_DIR)


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus) -> Path:
    """A real whoosh index of the real knowledge base, built once per session."""
    path = tmp_path_factory.mktemp("index")
    build_index(corpus, path)
    return path


@pytest.fixture(scope="session")
def app(index_dir: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(index_dir),
            "KB_DIR": str(KB_DIR),
            "REFERENCES_DIR": str(REFERENCES_DIR),
        }
    )


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture()
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
