# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
# the lock of this release: the suite runs on the versions the action and the template install
LOCK   := constraints/mlgate-$(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' mlgate/__init__.py).txt
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)

.PHONY: demo test install lint bench clean lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv==0.13.9

$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(UV) pip install --python $(BIN)/python --quiet --compile-bytecode --constraint $(LOCK) -e '.[test,dev]'
	$(UV) pip install --python $(BIN)/python --quiet -e tests/plugins/mlgate_example_check
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# the demo needs only what a user installs (`.[all]`), not the test and dev tools
DEMO_STAMP := $(VENV)/.demo-installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(UV) pip install --python $(BIN)/python --quiet --compile-bytecode -e '.[all]'
	rm -f $(VENV)/.demo-installed-* && touch $@

## make demo: build the bundled example project and run the gate on it (offline)
demo: $(DEMO_STAMP)
	rm -rf demo
	$(BIN)/mlgate demo demo

## make test: install everything the tests use, check the layers (.importlinter), run the suite
test: $(STAMP)
	./scripts/test-tools.sh
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check mlgate tests benchmarks
	$(BIN)/ruff format --check mlgate tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/gate_overhead.py

## make lock: re-resolve the lock (keeping its pins; `scripts/lock.sh --upgrade` moves them)
lock: $(BIN)/python
	UV=$(UV) PYTHON=$(BIN)/python ./scripts/lock.sh

clean:
	rm -rf $(VENV) demo mlgate-report .pytest_cache
