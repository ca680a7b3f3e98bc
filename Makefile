# The two commands of the README. Both work on a fresh machine with only Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint setup

$(BIN)/aimtrack: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/aimtrack

# Synapse, for the Matrix end-to-end tests: its own venv, as its pinned dependencies are not the bot's.
SYNAPSE_VENV ?= .venv-synapse
$(SYNAPSE_VENV)/bin/synctl:
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SYNAPSE_VENV)/bin/python -m pip install --quiet 'matrix-synapse==1.163.2'
	touch $@

## Set up, migrate and run the bot (without TELEGRAM_BOT_TOKEN: talk to it in this terminal).
run: setup
	$(BIN)/aimtrack migrate
	$(BIN)/aimtrack

## Set up and run the whole test suite, then the linter and the type checker.
test: setup $(SYNAPSE_VENV)/bin/synctl
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
