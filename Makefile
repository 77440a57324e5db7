# make run    the whole stack on embedded defaults (SQLite, a local Redis, a local mail sink)
# make test   the whole suite (lint, then pytest)
# make bench  the performance figures recorded in README.md

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CATALOGUES := $(wildcard shared/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

.PHONY: run test test-suite lint format bench messages clean system-redis system-postgres system-chromium system-pdf

$(INSTALLED): pyproject.toml
	tools/system-deps.sh venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

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
	$(BIN)/python -m bench

# Extract new messages into the catalogues; translate them, then `make test` checks none is missing.
messages: $(INSTALLED)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		-o shared/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete \
		-i shared/translations/messages.pot -d shared/translations

clean:
	rm -rf $(VENV) run test-output
