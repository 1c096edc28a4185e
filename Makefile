# The two commands a newcomer needs: `make serve` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: serve test bench install migrate seed clean web

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The designer's page (web/): npm ci when node_modules is missing or the lockfile changed
# (no install scripts: esbuild finds its platform binary without its postinstall),
# then the esbuild bundle in web/dist (served by api/resources/pages.py).
WEB_SOURCES := $(wildcard web/src/*) web/build.mjs web/.bpmnlintrc

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

web/dist/designer.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run --silent build

web: web/dist/designer.html

migrate: install
	$(BIN)/motcua db upgrade

seed: migrate
	$(BIN)/motcua demo seed

serve: seed web
	$(BIN)/motcua serve --host 127.0.0.1 --port $(PORT)

test: install web
	@# tests/browser drive Debian's Chromium (never a browser download).
	command -v /usr/bin/chromium >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.evaluator
	$(BIN)/python -m bench.groups

clean:
	rm -rf $(VENV) instance .pytest_cache web/node_modules web/dist tests/browser/artefacts
