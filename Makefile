# Interventional clinic service. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := clinic.settings

.DEFAULT_GOAL := help
.PHONY: help setup run test test-sqlite test-postgres lint fmt bench demo clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || PYTHON=python3; \
	  test -x $(PY) || $${PYTHON:-$(PYTHON)} -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

setup: $(STAMP) ## Create the virtualenv and install the locked dependencies

run: $(STAMP) ## Set up a SQLite database with demo data and start web + worker
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_protocols
	DEBUG=1 $(PY) manage.py seed_demo
	DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(PY) scripts/run_dev.py

test: $(STAMP) ## Lint, then the whole suite on SQLite and on a throwaway PostgreSQL 15
	$(VENV)/bin/ruff check .
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: $(STAMP) ## The suite on SQLite (PostgreSQL-only tests are deselected here)
	ALLOW_INSECURE_KEY=1 $(PY) scripts/run_pytest.py -m "not postgres"

test-postgres: $(STAMP) ## The whole suite on a throwaway PostgreSQL 15 started for the run
	bash scripts/with_postgres.sh $(PY) scripts/run_pytest.py

lint: $(STAMP) ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(STAMP) ## Format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP) ## Benchmarks (print figures; see bench/README.md)
	ALLOW_INSECURE_KEY=1 $(PY) bench/engine_bench.py

clean: ## Remove the virtualenv, the SQLite database and caches
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache .hypothesis .pgtest
