# Two commands: `make demo` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench install clean browsers axe translations

# `make demo` installs what the demo needs (runtime dependencies); `make test` adds the dev
# tools (pytest, playwright, ...). pip shows its own progress: these steps take a while.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/mmsis demo

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(DEV_STAMP)
	$(BIN)/python -m pip install -e '.[dev,bench]'
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Catalogs (mmsis/locale): extract the marked strings of the code, templates and knowledge base
# (babel.cfg), merge them into the fr and pt .po files, compile the .mo files (not committed:
# mmsis.i18n compiles a .po in memory when its .mo is missing or older).
LOCALES := src/mmsis/locale
translations: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output \
		--project mmsis --copyright-holder "mmsis contributors" -o $(LOCALES)/mmsis.pot .
	$(BIN)/python -m mmsis.i18n_extract $(LOCALES)/mmsis.pot
	$(BIN)/pybabel update -i $(LOCALES)/mmsis.pot -d $(LOCALES) -D mmsis --no-fuzzy-matching \
		--ignore-obsolete --width 100
	$(BIN)/python -m mmsis.i18n_extract $(LOCALES)/*/LC_MESSAGES/mmsis.po
	$(BIN)/python -m mmsis.i18n_extract --compile $(LOCALES)/*/LC_MESSAGES/mmsis.po

clean:
	rm -rf $(VENV) mmsis-demo .pytest_cache .mypy_cache .ruff_cache

# axe-core for the accessibility browser tests (tests/browser/test_narrow_and_accessible.py
# fetches the same pinned file itself when it is missing; checked against its SHA-256 there).
AXE_VERSION := 4.10.3
axe: tests/browser/axe.min.js
tests/browser/axe.min.js:
	cd $$(mktemp -d) && npm pack axe-core@$(AXE_VERSION) --silent >/dev/null && \
	  tar xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js && \
	  cp package/axe.min.js $(CURDIR)/tests/browser/axe.min.js
