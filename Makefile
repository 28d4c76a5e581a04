# Interventional clinic service. `make help` lists the targets.
#
# Works on a fresh Debian machine: the virtualenv is made with python3.11 when present, else
# python3 (installing Debian's python3-venv if venv support is missing and we are root), and
# `make test` starts its own PostgreSQL (installing Debian's postgresql when missing).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup venv browser-deps run test test-sqlite test-postgres test-postgres-all fuzz typecheck lint fmt bench bench-postgres clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-15s %s\n", $$1, $$2}'

# Not a stamp file: check_venv.py compares what is installed with requirements.lock on every
# run (~0.1 s), so a lock edited since, or a package gone missing, triggers an install.
venv:
	@if [ ! -x $(PY) ]; then \
	  if [ -z "$(PYTHON)" ]; then echo "make: no python3.11 or python3 found; install python3" >&2; exit 1; fi; \
	  echo "Creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version))"; \
	  if ! $(PYTHON) -m venv $(VENV) 2>/dev/null; then \
	    rm -rf $(VENV); \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      echo "Installing Debian's python3-venv"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; \
	    fi; \
	    $(PYTHON) -m venv $(VENV) || { echo "make: cannot create a virtualenv (apt-get install python3-venv)" >&2; exit 1; }; \
	  fi; \
	fi
	@$(PY) scripts/check_venv.py requirements.lock 2>/dev/null || { \
	  echo "Installing the locked dependencies into $(VENV)"; \
	  $(PY) -m pip install --quiet --upgrade pip && \
	  $(PY) -m pip install --quiet -r requirements.lock && \
	  $(PY) scripts/check_venv.py requirements.lock; }

setup: venv ## Create the virtualenv and install the locked dependencies

# Browser tests (tests/browser) drive Debian's chromium through Playwright; install it only
# once such tests exist.
browser-deps:
	@if compgen -G "tests/browser/test_*.py" >/dev/null && ! command -v chromium >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

run: venv ## Migrate a SQLite database, load protocols and the demo clinic, start web + worker
	@HOST=$(HOST) PORT=$(PORT) $(PY) scripts/run_dev.py --check-port
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py createcachetable
	DEBUG=1 $(PY) manage.py load_protocols
	DEBUG=1 $(PY) manage.py load_form_templates
	DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo
	DEBUG=1 $(PY) manage.py setup_schedules
	DEBUG=1 HOST=$(HOST) PORT=$(PORT) exec $(PY) scripts/run_dev.py

test: venv browser-deps ## Lint and type-check, then the suite on SQLite and the database tests on a throwaway PostgreSQL 15
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# pytest-xdist: one worker per core, each with its own test database (pytest-django names them
# test_<db>_gw0, _gw1, ...) and its own live server. PYTEST_WORKERS=0 runs in one process.
# worksteal: an idle worker takes queued tests from a busy one, so a slow file does not leave
# the other core idle at the end.
PYTEST_WORKERS ?= auto
PYTEST := $(PY) scripts/run_pytest.py -n $(PYTEST_WORKERS) --dist worksteal
# The PostgreSQL run of `make test`: every test that touches the database (tests/conftest.py
# marks them uses_db) and every postgres test, except the browser tests. README, "Tests".
PG_TESTS := postgres or (uses_db and not browser)

test-sqlite: venv ## The whole suite on SQLite (PostgreSQL-only tests are deselected here)
	ALLOW_INSECURE_KEY=1 $(PYTEST) -m "not postgres"

test-postgres: venv ## The database tests (PG_TESTS) on a throwaway PostgreSQL 15 started for the run
	ALLOW_INSECURE_KEY=1 bash scripts/with_postgres.sh $(PYTEST) -m "$(PG_TESTS)"

test-postgres-all: venv ## The whole suite on a throwaway PostgreSQL 15
	ALLOW_INSECURE_KEY=1 bash scripts/with_postgres.sh $(PYTEST)

FUZZ_EXAMPLES ?= 200
fuzz: venv ## The API fuzz with FUZZ_EXAMPLES (200) examples per operation, on SQLite then PostgreSQL
	ALLOW_INSECURE_KEY=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) tests/test_api_fuzz.py
	ALLOW_INSECURE_KEY=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) bash scripts/with_postgres.sh $(PYTEST) tests/test_api_fuzz.py

# The pure cores take plain data and are held to --strict; everything else to the project config.
PURE_MODULES := protocols/engine.py protocols/adjustments.py protocols/spacing.py protocols/spec.py protocols/spec_checks.py \
	charting/self_report_schedule.py charting/trajectory.py \
	clinic/calendar.py clinic/display_text.py scheduling/placement.py scheduling/feeds.py charting/scoring.py \
	charting/spec.py charting/answers.py

typecheck: venv ## mypy with django-stubs over the whole project; --strict on the pure modules
	ALLOW_INSECURE_KEY=1 $(VENV)/bin/mypy
	ALLOW_INSECURE_KEY=1 $(VENV)/bin/mypy --strict $(PURE_MODULES)

lint: venv ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv ## Format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv ## Benchmarks (print figures; see bench/README.md)
	@set -e; for script in bench/*_bench.py; do \
	  echo "== $$script"; ALLOW_INSECURE_KEY=1 $(PY) $$script; \
	done

bench-postgres: venv ## The same benchmarks against a throwaway PostgreSQL 15
	ALLOW_INSECURE_KEY=1 bash scripts/with_postgres.sh bash -c \
	  'set -e; for script in bench/*_bench.py; do echo "== $$script"; $(PY) $$script; done'

clean: ## Remove the virtualenv, the SQLite database and caches
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache .hypothesis .pgtest staticfiles
