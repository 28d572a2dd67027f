# Mutual: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := $(VENV)/.stamps

export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/mutual
export REDIS_URL_TEST ?= redis://127.0.0.1:6379/0

.PHONY: run test bench build provision lint typecheck format migrations-check install install-test services clean-db help

help:
	@echo "make run    start the site at http://127.0.0.1:8000 on embedded defaults (SQLite, inline tasks, console email)"
	@echo "make test   the whole suite on PostgreSQL and Redis (installs and starts them, and Chromium, if missing)"
	@echo "make build  the production build step the Dockerfile runs (static files and their manifest)"
	@echo "make lint   ruff check + format check + missing migrations + import layers + bandit, detect-secrets + mypy"
	@echo "make bench  the benchmarks (writes docs/benchmarks.md)"

$(PY):
	@command -v python$(PYTHON_VERSION) >/dev/null || { \
		echo "Python $(PYTHON_VERSION) is needed (see .python-version); install it, e.g. 'pyenv install $(PYTHON_VERSION)'."; exit 1; }
	python$(PYTHON_VERSION) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMPS)/base: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/test: pyproject.toml $(STAMPS)/base
	$(PY) -m pip install --quiet -e ".[dev,test]"
	@mkdir -p $(STAMPS) && touch $@

install: $(STAMPS)/base
install-test: $(STAMPS)/test

# The site on embedded defaults: nothing to configure, nothing else to start. Payments go
# through the offline Stripe stand-in, started beside the site and stopped with it.
run: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo
	@DEBUG=true $(PY) manage.py stripe_standin & standin=$$!; \
		trap 'kill $$standin 2>/dev/null' EXIT INT TERM; \
		DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

# What the tests need, as CI gets it (.ci/run is `make test`): Chromium, and PostgreSQL and
# Redis when the URLs point at this machine, installed and started when missing (as root;
# otherwise it stops at once with the command to run). Quick when everything is there.
provision:
	@DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		scripts/provision

# Everything, on PostgreSQL and Redis (override DATABASE_URL / REDIS_URL to point elsewhere).
test: provision install-test
	@DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py check_services
	$(MAKE) --no-print-directory lint
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks (never timed assertions in tests): a separate database, `mutual_bench` (the
# 100,000-member dataset, seeded once and reused) and `mutual_bench_small` (the small demo).
# bench/run.py says what it measures; durations etc. are BENCH_* variables (e.g.
# `BENCH_DURATION=5 make bench`). SECURE_SSL_REDIRECT=false is for the bench only: gunicorn
# serves plain HTTP on loopback there, with no TLS proxy in front.
BENCH_ENV = DEBUG=false SECRET_KEY=bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz \
	STRIPE_SECRET_KEY=sk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench STRIPE_PRICE_ID=price_bench \
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mutual_bench} \
	REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/5} EMAIL_URL=smtp://127.0.0.1:1025 \
	SECURE_SSL_REDIRECT=false
bench: install-test
	@command -v wrk >/dev/null || { echo "Installing wrk (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	@$(BENCH_ENV) $(PY) manage.py check_services
	$(BENCH_ENV) $(PY) bench/run.py

# The production build step; the Dockerfile runs the same script (and a test runs it too).
build: install
	PYTHON=$(PY) scripts/build

# mypy with django-stubs (pyproject.toml's [tool.mypy]: strict by default, older modules listed).
# Part of `lint`; this runs it alone.
typecheck: install-test
	$(PY) -m mypy

lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=config.test_settings $(PY) manage.py makemigrations --check --dry-run
	@# The layering (pyproject.toml's [tool.importlinter]): imports point down the house.
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m bandit --quiet --recursive config core audit members billing mail groups events discounts experts \
		digests privacy home devtools \
		--severity-level medium --confidence-level medium
	@# Secret-looking strings: anything beyond the reviewed baseline (.secrets.baseline) fails.
	@# (Exit 3 only means line numbers moved; the check runs on a copy so nothing is rewritten.)
	@cp .secrets.baseline $(VENV)/secrets.baseline.copy; \
		$(VENV)/bin/detect-secrets-hook --baseline $(VENV)/secrets.baseline.copy $$(git ls-files); \
		rc=$$?; if [ $$rc -ne 0 ] && [ $$rc -ne 3 ]; then \
		echo "detect-secrets: new secret-looking strings (above); review them, then update .secrets.baseline"; \
		exit 1; fi; echo "detect-secrets: nothing beyond the reviewed baseline"
	@# Types (pyproject.toml's [tool.mypy]): strict by default; the older modules are listed.
	$(PY) -m mypy

format: install-test
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean-db:
	rm -f db.sqlite3
