# The two commands of the README. Each creates .venv and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench bench-start clean-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## demo: run TW I-IV 2024 of the shipped sample (with its corrections) into ./demo
demo: $(STAMP)
	$(BIN)/triwulan demo --folder demo

## test: lint and the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_validate.py

## bench-start: what starting Prefect costs a run (about five minutes)
bench-start: $(STAMP)
	$(BIN)/python bench/bench_start.py

clean-demo:
	rm -rf demo
