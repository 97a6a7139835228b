# slamon — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,postgres,mysql]"
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/slamon demo --output demo-output

test: $(TSTAMP)
	$(BIN)/ruff check slamon tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: $(TSTAMP)
	$(BIN)/ruff check slamon tests benchmarks
	$(BIN)/ruff format --check slamon tests benchmarks

format: $(TSTAMP)
	$(BIN)/ruff format slamon tests benchmarks
	$(BIN)/ruff check --fix slamon tests benchmarks

bench: $(TSTAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .hypothesis
