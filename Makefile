# outbound_pipeline: every target creates or updates the environment it needs.
# Needs only Python 3.11, pip and make. `make help` lists the targets.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.synced
UV_VERSION := 0.13.9

export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: help env demo test lint bench sandbox dev docs clean

help:
	@echo "make demo   - start the sandbox, materialize everything into the embedded warehouse, print a summary"
	@echo "make test   - the test suite (DuckDB always; PostgreSQL when reachable)"
	@echo "make bench  - benchmarks, results appended to docs/benchmarks.md"
	@echo "make dev    - the Dagster UI (dagster dev) on the project"
	@echo "make lint   - ruff"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) --quiet
	@touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(BIN)/outbound demo

test: $(STAMP)
	$(BIN)/python -m pytest $(if $(REQUIRE_POSTGRES),--require-postgres) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check outbound_pipeline outbound_pipeline_tests

bench: $(STAMP)
	$(BIN)/python -m outbound_pipeline_tests.benchmarks $(BENCH_ARGS)

sandbox: $(STAMP)
	$(BIN)/outbound sandbox

dev: $(STAMP)
	$(BIN)/outbound dev

clean:
	rm -rf $(VENV) $(TOOLS) .outbound dbt_project/target dbt_project/logs
