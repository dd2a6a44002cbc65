# outbound_pipeline: every target creates or updates the environment it needs.
# Needs only Python 3.11, pip and make. `make help` lists the targets.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.synced
UV_VERSION := 0.13.9

MANIFEST := dbt_project/target/manifest.json
DBT_FILES := $(shell find dbt_project -path dbt_project/target -prune -o -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print)

export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: help env demo test lint bench sandbox dev docs clean

help:
	@echo "make demo   - start the sandbox, materialize everything into the embedded warehouse, print a summary"
	@echo "make test   - the test suite (DuckDB always; PostgreSQL when reachable)"
	@echo "make bench  - benchmarks, results appended to docs/benchmarks.md"
	@echo "make dev    - the Dagster UI (dagster dev) on the project"
	@echo "make docs   - dbt docs for the analytics tables (generate, then serve on :8080)"
	@echo "make lint   - ruff"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $(STAMP)

# The dbt manifest is prepared at build time, so loading the definitions never parses dbt.
$(MANIFEST): $(STAMP) $(DBT_FILES)
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --quiet

env: $(STAMP) $(MANIFEST)

demo: env
	$(BIN)/outbound demo

test: env
	$(BIN)/python -m pytest $(if $(REQUIRE_POSTGRES),--require-postgres) $(PYTEST_ARGS)

docs: env
	$(BIN)/outbound docs

lint: $(STAMP)
	$(BIN)/ruff check outbound_pipeline outbound_pipeline_tests

bench: env
	$(BIN)/python -m outbound_pipeline_tests.benchmarks $(BENCH_ARGS)

sandbox: env
	$(BIN)/outbound sandbox

dev: env
	$(BIN)/outbound dev

clean:
	rm -rf $(VENV) $(TOOLS) .outbound dbt_project/target dbt_project/logs
