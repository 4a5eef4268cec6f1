# CONNECT ID: `make run` serves a demo on 127.0.0.1:8000 (HOST=… PORT=… to change), `make test`
# runs every test. Both create the virtual environment and install on first use; nothing is
# installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Development defaults for `make run` only; production reads the real environment (.env.example).
RUN_ENV := DEBUG=1 SITE_URL=http://$(HOST):$(PORT)
# The settings file every manage.py command reads (connect_id/settings.py reads ENV_FILE too).
ENV_FILE ?= .env

.DEFAULT_GOAL := help
.PHONY: help install env run worker migrate demo test chromium screenshots lint format typecheck check-migrations check-deploy ci bench clean

help: ## List every target
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

# Written once, never overwritten: so that `manage.py …` works after `make run` with nothing to
# export (development only; production sets the real environment, see .env.example).
$(ENV_FILE):
	@umask 077 && { \
	  echo "# Written by the first 'make run' for development; git-ignored. See .env.example."; \
	  echo "DEBUG=1"; \
	  echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')"; \
	} > $@
	@echo "Wrote $@ (DEBUG=1 and a generated SECRET_KEY, for development)."

env: $(ENV_FILE) ## Write a development .env (DEBUG=1, a generated SECRET_KEY) unless one exists

migrate: $(STAMP) $(ENV_FILE) ## Apply database migrations
	$(RUN_ENV) $(BIN)/python manage.py migrate --no-input

demo: migrate ## Create the demo admin, user and client and print their credentials
	$(RUN_ENV) $(BIN)/python manage.py bootstrap_demo

run: demo ## Install, migrate, create demo data, serve on HOST:PORT (default 127.0.0.1:8000) with a job worker
	@# Ctrl-C or SIGTERM to the group ends the server and the worker; the trap waits for the
	@# worker to finish its jobs, then stops the embedded PostgreSQL.
	@trap 'kill $$worker 2>/dev/null; wait $$worker; $(BIN)/python -m connect_id.embedded_db stop' EXIT; \
	  trap 'exit 130' INT TERM; \
	  $(RUN_ENV) $(BIN)/python manage.py procrastinate worker & worker=$$!; \
	  $(RUN_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: migrate ## Run a job worker alone (production: manage.py procrastinate worker)
	$(RUN_ENV) $(BIN)/python manage.py procrastinate worker

test: $(STAMP) chromium ## Run the whole test suite (embedded PostgreSQL, or DATABASE_URL when set)
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (never a downloaded one); a fresh Debian machine
# lacks it, so install it when apt-get can (as root); otherwise the tests say what is missing.
chromium:
	@test -x /usr/bin/chromium || ! command -v apt-get >/dev/null || [ "$$(id -u)" != 0 ] || { \
	  echo "Installing Debian's chromium for the browser tests (once)..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "Could not install chromium: the browser tests will fail and say so."; }

screenshots: $(STAMP) chromium ## Write PNGs of every page (1280 and 360 px; en, nb, ur) to screenshots/ and run axe-core
	SCREENSHOTS_DIR=$(CURDIR)/screenshots $(BIN)/python -m pytest tests/browser/test_pages.py \
	  "tests/browser/test_payment.py::test_the_payment_pages_pass_axe_at_both_widths" -q

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP) ## mypy with django-stubs
	$(RUN_ENV) $(BIN)/mypy accounts connect_id userdata mypage rights events payments

check-migrations: $(STAMP) ## Fail when a model change has no migration
	$(RUN_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

check-deploy: $(STAMP) ## Django's deployment checklist with production-like settings
	SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  ALLOWED_HOSTS=id.example.com SITE_URL=https://id.example.com \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

ci: lint typecheck check-migrations check-deploy test ## Everything CI runs

bench: $(STAMP) ## Pick the server configuration, load the hot endpoints with wrk; print req/s, p50, p99, CPU ms/request
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || \
	  { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
	$(BIN)/python -m bench.run

clean: ## Remove the virtual environment, caches and the embedded database
	rm -rf $(VENV) .pgdata .pytest_cache .ruff_cache .mypy_cache staticfiles *.egg-info
