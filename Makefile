# The two commands of the README. Each creates .venv and installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint-imports lint bench bench-start clean-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## demo: run TW I-IV 2024 of the shipped sample (with its corrections) into ./demo
demo: $(STAMP)
	$(BIN)/triwulan demo --folder demo

## test: lint, the import contract and the whole test suite
# Two workers (pytest-xdist), one test file each at a time: most of the suite waits on real
# servers and subprocesses, and a file's module fixtures stay in one process.
test: $(STAMP) lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 --dist loadfile

## lint-imports: the house rules (.importlinter) checked on the package as installed
# tasks/ and flows/ only become triwulan.tasks and triwulan.flows when installed, so the contract
# is checked on a throwaway install; a stale build/ would carry moved modules into it.
lint-imports: $(STAMP)
	@rm -rf build; tmp=$$(mktemp -d); \
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --target "$$tmp/site" . \
	&& (cd "$$tmp" && PYTHONPATH="$$tmp/site" $(CURDIR)/$(BIN)/lint-imports --no-cache \
	$(CURDIR)/.importlinter); rc=$$?; rm -rf "$$tmp" build; exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/bench_validate.py

## bench-start: what starting Prefect costs a run (about five minutes)
bench-start: $(STAMP)
	$(BIN)/python bench/bench_start.py

clean-demo:
	rm -rf demo
