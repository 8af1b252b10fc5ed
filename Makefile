# bulkflow — the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTEST_TIMEOUT ?= 1500
# the Rust XLSX reader (bulkflow_xlsx), rebuilt when its sources change
NATIVE := native/xlsx_stream
NATIVE_SOURCES := $(NATIVE)/Cargo.toml $(NATIVE)/Cargo.lock $(NATIVE)/pyproject.toml \
	$(NATIVE)/bulkflow_xlsx.pyi $(filter-out %/tests.rs %/testing.rs, \
	$(wildcard $(NATIVE)/src/*.rs $(NATIVE)/src/*/*.rs))
NATIVE_STAMP := $(VENV)/.native-$(shell cat $(NATIVE_SOURCES) | sha1sum | cut -c1-12)
# rustup installs cargo under ~/.cargo/bin, which a fresh shell may not have on its PATH yet
CARGO_PATH := $(HOME)/.cargo/bin

.PHONY: install postgres browser broker-jars asyncapi-parser java-consumer test test-rust test-unit lint format demo run bench bench-quick clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

# maturin (a dev dependency) is the crate's build backend; --release is its profile there.
# The producer reads every XLSX sheet with it: no cargo, no install. Rebuilt only when the crate's sources change (the stamp names their checksum).
$(NATIVE_STAMP): $(STAMP) $(NATIVE_SOURCES)
	@if ! PATH="$(CARGO_PATH):$$PATH" command -v cargo >/dev/null; then \
		echo "make install: cargo not found; it builds the Rust XLSX reader ($(NATIVE))," >&2; \
		echo "which the producer needs. Install Rust 1.89 or newer with rustup (the Rust" >&2; \
		echo "project's installer; it puts cargo in ~/.cargo/bin, which make finds; Debian's" >&2; \
		echo "cargo package is older than the zip crate needs), then run make install again." >&2; \
		exit 1; \
	fi
	PATH="$(abspath $(BIN)):$(CARGO_PATH):$$PATH" $(BIN)/python -m pip install -q \
		--no-build-isolation ./$(NATIVE)
	@rm -f $(VENV)/.native-* && touch $(NATIVE_STAMP)

install: $(STAMP) $(NATIVE_STAMP)

# PostgreSQL binaries for the tests that run on it, and PgBouncer for those that run through
# a transaction pooler (the tests start their own server and pooler)
postgres:
	@bash deploy/ensure-postgres.sh
	@bash deploy/ensure-pgbouncer.sh

# headless Chromium and its driver for the upload page's browser test
browser:
	@bash deploy/ensure-browser.sh

broker-jars: install
	$(BIN)/bulkflow broker fetch

# the official AsyncAPI parser (npm, pinned in its package-lock.json) that the tests validate
# `bulkflow topics asyncapi` with; installed in the project, again only when the lock changes
ASYNCAPI := tests/support/asyncapi
$(ASYNCAPI)/node_modules/.installed: $(ASYNCAPI)/package-lock.json
	timeout --kill-after=10 600 npm ci --prefix $(ASYNCAPI) --no-audit --no-fund --loglevel=error
	@touch $@

asyncapi-parser: $(ASYNCAPI)/node_modules/.installed

# the Java consumer of the contract test (kafka-clients, Arrow, Jackson; pinned in its pom):
# offline from the Maven cache when it is warm, else fetched once; rebuilt when it changes
JAVA_CONSUMER := examples/java-consumer
JAVA_SOURCES := $(JAVA_CONSUMER)/pom.xml $(wildcard $(JAVA_CONSUMER)/src/main/java/io/bulkflow/contract/*.java)
$(JAVA_CONSUMER)/target/.built: $(JAVA_SOURCES)
	cd $(JAVA_CONSUMER) && (timeout --kill-after=10 300 mvn -q -B -o compile dependency:copy-dependencies \
		|| timeout --kill-after=10 900 mvn -q -B compile dependency:copy-dependencies)
	@touch $@

java-consumer: $(JAVA_CONSUMER)/target/.built

test: install postgres browser broker-jars asyncapi-parser java-consumer test-rust
	timeout --kill-after=30 $(PYTEST_TIMEOUT) $(BIN)/pytest tests

# the Rust reader's own tests, built without Python (its `python` feature off), then clippy
# over everything, the Python module included (its build script asks the venv's python)
test-rust: install
	cd $(NATIVE) && PATH="$(abspath $(BIN)):$(CARGO_PATH):$$PATH" && \
		timeout --kill-after=30 600 cargo fmt --check && \
		timeout --kill-after=30 600 cargo test --lib --locked --quiet && \
		timeout --kill-after=30 600 cargo clippy --locked --quiet --all-targets --all-features -- -D warnings

test-unit: install asyncapi-parser
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
