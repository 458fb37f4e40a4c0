# The two commands from the README; both create .venv on first use and reuse it after.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHAINRULE_DATA ?= $(abspath ../shared/data)
export CHAINRULE_DATA

.PHONY: demo test test-fast lint bench notebooks check-wheel clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/chainrule demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

notebooks: $(VENV)/.installed-dev
	$(BIN)/python notebooks/execute.py

check-wheel: $(VENV)/.installed-dev
	.ci/check-wheel

bench: $(VENV)/.installed-dev  # both benchmarks run and print their tables; it fails if either misses a target
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	status=0; $(BIN)/python benchmarks/micrograd_step.py || status=1; \
	$(BIN)/python benchmarks/mnist.py || status=1; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis chainrule.egg-info build dist xor.svg xor.html
