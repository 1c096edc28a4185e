# The two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: serve test bench install migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/motcua db upgrade

seed: migrate
	$(BIN)/motcua demo seed

serve: seed
	$(BIN)/motcua serve --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.evaluator
	$(BIN)/python -m bench.groups

clean:
	rm -rf $(VENV) instance .pytest_cache
