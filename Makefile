# The two commands the README promises: `make serve` and `make test`. Everything else is a step they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
WORKERS ?= 2

.PHONY: serve test install install-test index check lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Build the index from kb/ and references/ (strict: a content problem keeps the current index).
index: install
	$(BIN)/mtkb build

## Validate the content and print the counts.
check: install
	$(BIN)/mtkb check

## Install, build the index and serve the API with gunicorn on http://127.0.0.1:$(PORT).
serve: index
	$(BIN)/gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers $(WORKERS) wsgi:app

## Install with the test extra and run every test.
test: install-test
	@test -x /usr/bin/chromium || echo "!!! Chromium not found: the browser tests will be SKIPPED (apt-get install chromium) !!!"
	@command -v wrk >/dev/null || echo "!!! wrk not found: the load benchmark smoke test will be SKIPPED (apt-get install wrk) !!!"
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-test
	$(BIN)/python -m bench.index_bench

clean:
	rm -rf var instance .pytest_cache .mypy_cache .ruff_cache
