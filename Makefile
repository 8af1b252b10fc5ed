# bulkflow — the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTEST_TIMEOUT ?= 1500

.PHONY: install postgres browser broker-jars test test-unit lint format demo run bench bench-quick clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# PostgreSQL binaries for the tests that run on it (the tests start their own server)
postgres:
	@bash deploy/ensure-postgres.sh

# headless Chromium and its driver for the upload page's browser test
browser:
	@bash deploy/ensure-browser.sh

broker-jars: install
	$(BIN)/bulkflow broker fetch

test: install postgres browser broker-jars
	timeout --kill-after=30 $(PYTEST_TIMEOUT) $(BIN)/pytest tests

test-unit: install
	$(BIN)/pytest tests/unit

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: install broker-jars
	timeout --kill-after=30 900 $(BIN)/bulkflow demo

run: install broker-jars
	$(BIN)/bulkflow broker start
	$(BIN)/bulkflow topics create
	$(BIN)/bulkflow serve

# bench/ is not installed: it runs from the repo as `python -m bench NAME` (bench/__main__.py)
bench: install postgres broker-jars
	$(BIN)/python -m bench bulk

bench-quick: install postgres broker-jars
	$(BIN)/python -m bench bulk --quick

# the broker's data lives under BULKFLOW_HOME (default ~/.local/share/bulkflow); .bulkflow is
# where older versions kept it
clean:
	-$(BIN)/bulkflow broker reset
	rm -rf .bulkflow
