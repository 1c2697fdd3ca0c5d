# The one entry point: `make run` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes; editable, so code edits need no reinstall.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/eni-bot console $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# lint-imports holds the import graph to the layer contracts in pyproject.toml (DESIGN.md).
lint: $(STAMP)
	$(BIN)/ruff check bot tests migrations
	$(BIN)/ruff format --check bot tests migrations
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format bot tests migrations
	$(BIN)/ruff check --fix bot tests migrations

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	@for f in tests/bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
