# Trusted Traveler 2.0 — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := TT_CONFIG=development FLASK_APP=wsgi $(BIN)/flask
STAMP := $(VENV)/.installed-stamp
OIDC_PROVIDER := tests/oidc_provider/node_modules/.package-lock.json
CATALOG := trusted_traveler/translations/es/LC_MESSAGES/messages

.DEFAULT_GOAL := help
.PHONY: help install lock audit translations migrate seed run test lint format bench worker clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# Installs the pinned, hashed lock (requirements-dev.lock, from pyproject.toml by `make lock`), then the app alone.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

lock: ## Re-pin requirements.lock and requirements-dev.lock (with hashes) from pyproject.toml, with pip-tools
	$(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet pip-tools
	.venv-lock/bin/pip-compile --quiet --allow-unsafe --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml
	.venv-lock/bin/pip-compile --quiet --allow-unsafe --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --extra dev -o requirements-dev.lock pyproject.toml
	rm -rf .venv-lock

audit: install ## pip-audit against the lock and a secret scan against .secrets.baseline (CI runs it)
	BIN=$(BIN) scripts/audit.sh

install: $(STAMP) $(CATALOG).mo ## Create the virtual environment and install the app with its test tools

$(CATALOG).mo: $(CATALOG).po $(STAMP)
	$(BIN)/pybabel compile -d trusted_traveler/translations --statistics

translations: install ## Extract the strings to translate, update messages.po (then translate it), compile
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output -w 120 --ignore-dirs '.*' \
		-o trusted_traveler/translations/messages.pot .
	$(BIN)/pybabel update -i trusted_traveler/translations/messages.pot -d trusted_traveler/translations \
		--no-fuzzy-matching --ignore-obsolete -w 120
	rm trusted_traveler/translations/messages.pot
	$(BIN)/pybabel compile -d trusted_traveler/translations --statistics

migrate: install ## Apply the database migrations (the embedded SQLite file unless DATABASE_URL is set)
	$(FLASK) db upgrade

seed: migrate ## Load programs, fees, real enrollment centers and demo personas (idempotent)
	$(FLASK) seed

run: seed ## Set up, then serve the app at http://127.0.0.1:5000 with the development sign-in
	@echo ""
	@echo "  Trusted Traveler 2.0 is starting at http://127.0.0.1:5000"
	@echo "  Sign in as a demo traveler, officer, supervisor, program lead or administrator at"
	@echo "  http://127.0.0.1:5000/auth/dev   (stop with Ctrl-C)"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port 5000

$(OIDC_PROVIDER): tests/oidc_provider/package-lock.json
	cd tests/oidc_provider && npm ci --no-audit --no-fund --loglevel=error

test: seed $(OIDC_PROVIDER) ## Set up, then lint and run the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/ruff check .
	@echo "== test suite on SQLite"
	TEST_DATABASE_URL= $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then echo "== test suite on PostgreSQL"; $(BIN)/pytest; fi

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check trusted_traveler tests seeds config.py wsgi.py

format: install ## Apply ruff's formatting
	$(BIN)/ruff format trusted_traveler tests seeds config.py wsgi.py

bench: install ## Benchmarks: gunicorn + wrk on PostgreSQL, 1,000,000 applications (BENCH_APPLICATIONS); BENCHMARKS.md
	$(BIN)/python bench/run.py

worker: migrate ## Run the outbox worker (delivers e-mail through MAIL_SERVER)
	$(FLASK) worker

clean: ## Remove the virtual environment, the embedded database and test output
	rm -rf $(VENV) instance test-results tests/oidc_provider/node_modules .pytest_cache .ruff_cache
