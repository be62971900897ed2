# Mallette — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 5000

.PHONY: install system-deps run test lint typecheck validate bench translations clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 ou plus récent est requis")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The compiled catalogues are generated from the .po files (not committed).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard app/web/translations/*/LC_MESSAGES/messages.po))

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@ --statistics

install: $(STAMP) $(MO_FILES)

# Debian packages for the browser and print tests (installed when run as root).
system-deps:
	@bash .ci/system-deps

validate: install
	$(BIN)/mallette validate --strict

# `make run SERVE_ARGS=--lan` serves the local network (QR codes then carry this computer's address).
SERVE_ARGS ?=

# prebuild-kit makes the default kit for http://127.0.0.1:5000; with --lan, the job worker that
# `mallette serve` starts builds the one for the local-network address.
run: install
	$(BIN)/mallette validate
	$(BIN)/mallette index
	$(BIN)/mallette prebuild-kit
	$(BIN)/mallette demo
	$(BIN)/mallette serve --port $(PORT) $(SERVE_ARGS)

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

# The tests run in parallel, one worker per CPU (each with its own databases, see tests/worker_env.py);
# `make test TEST_WORKERS=0` runs them in this one process.
TEST_WORKERS ?= auto

test: install system-deps lint typecheck validate
	$(BIN)/pytest -n $(TEST_WORKERS)

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Re-extract the interface strings, merge them into the catalogues, regenerate the French one (the
# strings with French typography, app/web/french_catalogue.py) and compile them.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o app/web/translations/messages.pot .
	$(BIN)/pybabel update -i app/web/translations/messages.pot -d app/web/translations --ignore-obsolete
	$(BIN)/python -m app.web.french_catalogue app/web/translations/messages.pot app/web/translations/fr/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile -d app/web/translations

clean:
	rm -rf $(VENV) instance dist .pytest_cache .mypy_cache .ruff_cache
