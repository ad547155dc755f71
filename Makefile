# Two commands on a fresh machine: `make run` (demo on SQLite) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
ORG_LANG ?= zh-hans
# Two workers: this machine (and CI's) has two cores.
PYTEST_ARGS ?= -n 2
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in the demo's mails (printed on the console) point at the server `make run` starts.
SITE_URL ?= http://$(HOST):$(PORT)
DEMO_ENV := DEBUG=1

.PHONY: run test install install-dev demo lint format bench clean messages check backup restore

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## The demo: SQLite under var/, the seed organisation, demo accounts, a local server.
demo: install
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	$(DEMO_ENV) $(PY) manage.py load_org_template ecommerce --lang $(ORG_LANG)
	$(DEMO_ENV) $(PY) manage.py create_demo_accounts
	@if $(DEMO_ENV) $(PY) manage.py help load_review_demo >/dev/null 2>&1; then $(DEMO_ENV) $(PY) manage.py load_review_demo; fi

run: demo
	@echo ""
	@echo "orgstructure is starting on http://$(HOST):$(PORT)/"
	@echo "  Organisation:   http://$(HOST):$(PORT)/"
	@echo "  HR admin:       http://$(HOST):$(PORT)/admin/   (user hr)"
	@echo "  API:            http://$(HOST):$(PORT)/api/v1/   docs: http://$(HOST):$(PORT)/api/docs/"
	@echo "  Language:       switch at the top right (English / 简体中文)"
	@echo ""
	$(DEMO_ENV) SITE_URL=$(SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

## The whole suite (SQLite unless DATABASE_URL says otherwise).
test: install-dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install-dev
	$(DEMO_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(DEMO_ENV) $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

## Re-extract and compile translations (needs GNU gettext; the compiled .mo is committed).
messages: install-dev
	$(DEMO_ENV) $(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(DEMO_ENV) $(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

bench: install-dev
	$(PIP) install --quiet --disable-pip-version-check -r bench/requirements.txt
	@command -v wrk >/dev/null || echo "wrk is not installed (apt-get install -y wrk): the throughput rows are skipped"
	$(PY) -m bench $(BENCH_ARGS)

## Backups of the PostgreSQL database named by DATABASE_URL (pg_dump's custom format).
## make backup BACKUP=/path/file.dump; make restore BACKUP=/path/file.dump (replaces the data).
BACKUP ?= var/orgstructure-$(shell date +%Y%m%d-%H%M%S).dump

backup:
	@case "$(DATABASE_URL)" in postgres://*|postgresql://*) ;; *) echo "Set DATABASE_URL=postgres://... (backups are for PostgreSQL)" >&2; exit 2;; esac
	pg_dump --format=custom --no-owner --no-privileges --dbname="$(DATABASE_URL)" --file="$(BACKUP)"
	@echo "Backed up to $(BACKUP)"

restore:
	@case "$(DATABASE_URL)" in postgres://*|postgresql://*) ;; *) echo "Set DATABASE_URL=postgres://... (backups are for PostgreSQL)" >&2; exit 2;; esac
	@test -f "$(BACKUP)" || { echo "No backup at BACKUP=$(BACKUP)" >&2; exit 2; }
	pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --dbname="$(DATABASE_URL)" "$(BACKUP)"
	@echo "Restored from $(BACKUP)"

clean:
	rm -rf $(VENV) var/*.sqlite3 staticfiles .pytest_cache
