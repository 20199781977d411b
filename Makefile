# The first target that needs it creates .venv and installs the package with its dev tools.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint bench bench-node lifecycle-node fidelity module-map clean

$(BIN)/podio-component: pyproject.toml podio_component/__init__.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/podio-component
	$(BIN)/podio-component demo

lint: $(BIN)/podio-component
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m tests.broker
	$(BIN)/pytest

# Unit and emulator tests only: no broker needed. `make test` (and CI) run everything.
test-fast: lint
	$(BIN)/pytest -m "not broker"

bench: $(BIN)/podio-component
	$(BIN)/python -m bench

# This runtime and the Node.js one (installed from npm into a temporary directory), side by side.
bench-node: $(BIN)/podio-component
	$(BIN)/python -m bench.node

# The lifecycle scenarios (startup, init, shutdown) under this runtime and the Node.js one.
lifecycle-node: $(BIN)/podio-component
	$(BIN)/python -m bench.lifecycle_node

# The official podio-js (installed from npm into a temporary directory) against the emulator.
fidelity: $(BIN)/podio-component
	$(BIN)/python -m bench.fidelity

# docs/module-map.png from the package's own imports (needs Graphviz's dot).
module-map: $(BIN)/podio-component
	$(BIN)/python -m tests.architecture docs/module-map.png

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
