# slamon — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
# The lock's own tool lives in its own venv, never in the project's dependencies.
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
# The locks are resolved for CPython 3.11 on Linux x86_64 (glibc 2.28+), with every file's hash.
LOCK_FOR  := --python-version 3.11 --python-platform x86_64-manylinux_2_28
LOCK_ARGS := --quiet --generate-hashes --custom-compile-command "make lock" $(LOCK_FOR) \
	$(if $(UPGRADE),--upgrade)
LOCK_NOTE := \# For CPython 3.11+ on Linux x86_64 (glibc 2.28+); regenerate after any dependency \
	change in pyproject.toml (make lock; make lock UPGRADE=1 moves every pin to the newest allowed).
# pyproject's [build-system] requires: locked too, so the project builds without an index.
BUILD_REQUIRES = $(PYTHON) -c 'import tomllib; \
	print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")'

.PHONY: demo test lint format bench clean lock wheelhouse

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exactly the locked versions (hash-checked), then the checkout itself without touching them;
# pip check fails when pyproject.toml wants something the lock lacks (run make lock).
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

$(TSTAMP): pyproject.toml requirements-test.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@ $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv>=0.13,<0.14"

# requirements.lock: runtime + the postgres and mysql extras; requirements-test.lock: the same
# versions (constrained by the first) plus the test extra.
lock: $(UV)
	$(BUILD_REQUIRES) | $(UV) pip compile $(LOCK_ARGS) pyproject.toml - \
		--extra postgres --extra mysql -o requirements.lock
	$(BUILD_REQUIRES) | $(UV) pip compile $(LOCK_ARGS) pyproject.toml - \
		--extra test --extra postgres --extra mysql -c requirements.lock -o requirements-test.lock
	sed -i '2a $(LOCK_NOTE)' requirements.lock requirements-test.lock

# Every wheel a site needs, for an install with no package index (README 部署): the locked runtime
# wheels (postgres and mysql extras included), the project's own wheel and the lock itself.
wheelhouse: $(STAMP)
	rm -rf wheelhouse build
	$(BIN)/python -m pip download --quiet --require-hashes --only-binary=:all: \
		-r requirements.lock -d wheelhouse
	$(BIN)/python -m pip wheel --quiet --no-deps --no-build-isolation -w wheelhouse .
	rm -rf build
	cp requirements.lock wheelhouse/
	du -sh wheelhouse

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
	rm -rf $(VENV) $(TOOLS) wheelhouse demo-output .pytest_cache .ruff_cache .hypothesis
