# Two commands matter: `make demo` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := var/demo

.PHONY: demo test lint bench clean system-packages messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/hailong demo --data-dir $(DEMO_DIR)

# Import layers, ruff, and strict types on the pure core and the channels (zero errors); `.venv/bin/mypy`
# with no argument checks every package (pyproject.toml): bot/, storage/ and reports/ are not clean yet.
lint: $(VENV)/.installed-dev messages
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy survey_flows channels

# Every text people read lives in Babel catalogs (msgid = a stable key; Vietnamese and English):
# bot/web (pages), bot/conversation (chats), survey_flows (the flows' own words). `make messages`
# compiles each domain with pybabel, which refuses a broken catalog; tests check both languages.
messages: $(VENV)/.installed
	@for dir in bot/web/locales bot/conversation/locales survey_flows/locales; do \
	  for domain in $$(ls $$dir/vi/LC_MESSAGES/ | sed -n 's/\.po$$//p'); do \
	    $(BIN)/pybabel compile --statistics -d $$dir -D $$domain || exit 1; \
	  done; \
	done

# Page tests drive Debian's Chromium through Playwright (never a downloaded browser); the printable
# slip needs a font with Vietnamese letters (DejaVu). Installed from Debian when missing.
system-packages:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing chromium and fonts-dejavu-core from Debian"; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi

# Tests run in parallel workers (pytest-xdist; each test has its own database and ports).
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev system-packages lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
