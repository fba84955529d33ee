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

# The citation referee's second engine (citeproc-js, tests/referee/): installed from the committed
# lockfile when npm is there; without npm the referee test is skipped with a loud message.
REFEREE := tests/referee
$(REFEREE)/node_modules/.installed: $(REFEREE)/package.json $(REFEREE)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(REFEREE) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "!!! npm not found: the citation referee will be SKIPPED (apt-get install nodejs npm) !!!"; fi

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test $(REFEREE)/node_modules/.installed

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
	@command -v node >/dev/null || echo "!!! node not found: the citation referee will be SKIPPED (apt-get install nodejs npm) !!!"
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install-test
	$(BIN)/python -m bench.index_bench

clean:
	rm -rf var instance .pytest_cache .mypy_cache .ruff_cache
