# Rapport: `make run` serves the desk, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export RAPPORT_DATA_DIR ?= $(CURDIR)/var

.PHONY: install install-dev run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/rapport up --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

test: install-dev
	./scripts/install-chromium
	./scripts/test

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/rapport

clean:
	rm -rf $(VENV) var build *.egg-info
