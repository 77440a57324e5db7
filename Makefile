# make run    the whole stack on embedded defaults (SQLite, a local Redis, a local mail sink)
# make test   the whole suite (lint, then pytest)
# make bench  the performance figures recorded in docs/figures.md
# make lock   re-pin requirements/*.lock to pyproject.toml (UPGRADE=1: the newest releases too)
# make language CODE=nl   start the catalogue of a new language (docs/languages.md)
# make scale-test  the stack on a network of namespaces, with faults (root; not in make test)
# make compose-test  docker-compose.yml and docs/production.md, run in podman (root; not in make test)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGUES := $(wildcard shared/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

# Every package, pinned with its hashes: the image installs RUNTIME_LOCK, the venv DEV_LOCK.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
PIP_TOOLS ?= pip-tools==7.6.2
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

.PHONY: run test test-suite lint format bench scale-test compose-test messages language lock clean system-redis system-postgres system-chromium system-pdf

# The venv's own pip (the one the interpreter bundles) installs the lock without resolving
# anything (tools/install_lock.py); setuptools comes from the lock, so the project's editable
# install builds without fetching anything unpinned.
$(INSTALLED): pyproject.toml $(DEV_LOCK) tools/install_lock.py
	tools/system-deps.sh venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python tools/install_lock.py $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(BIN)/pip-compile:
	tools/system-deps.sh venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet '$(PIP_TOOLS)'

# Existing pins stay unless pyproject.toml excludes them (or UPGRADE=1). The dev lock comes
# first; the runtime lock is held to its versions, so the image runs what the tests ran.
lock: $(BIN)/pip-compile
	$(PIP_COMPILE) $(if $(UPGRADE),--upgrade) --extra dev --build-deps-for editable \
		--output-file $(DEV_LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(DEV_LOCK) --output-file $(RUNTIME_LOCK) pyproject.toml

%.mo: %.po $(INSTALLED)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

system-redis:
	tools/system-deps.sh redis

system-chromium:
	tools/system-deps.sh chromium

system-postgres:
	tools/system-deps.sh postgres

system-pdf:
	tools/system-deps.sh pdf

run: $(INSTALLED) $(COMPILED) system-redis system-pdf
	$(BIN)/python -m tools.run_stack

test: $(INSTALLED) $(COMPILED) system-redis system-postgres system-chromium system-pdf lint test-suite

test-suite: $(INSTALLED) $(COMPILED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(INSTALLED) $(COMPILED) system-redis system-postgres system-pdf
	tools/system-deps.sh wrk
	tools/system-deps.sh valgrind
	$(BIN)/python -m bench

scale-test: $(INSTALLED) $(COMPILED) system-postgres system-pdf
	tools/system-deps.sh scale
	$(BIN)/python -m tools.scale_test

compose-test: $(INSTALLED) $(COMPILED)
	tools/system-deps.sh compose
	$(BIN)/python -m tools.compose_test

# Extract new messages into the catalogues; translate them, then `make test` checks none is missing.
messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o shared/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
		-i shared/translations/messages.pot -d shared/translations

# A new language's catalogue, with every message to translate; then add its code to
# LANGUAGES in shared/i18n.py, and `make test` lists what is still untranslated.
language: messages
	@test -n "$(CODE)" || { echo "usage: make language CODE=<language code, e.g. nl>" >&2; exit 2; }
	$(BIN)/pybabel init -i shared/translations/messages.pot -d shared/translations -l $(CODE)

clean:
	rm -rf $(VENV) run test-output
