# Two commands matter: `make demo` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := var/demo
PORT ?= 8080

.PHONY: demo test test-floors lint bench clean system-packages messages

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
	$(BIN)/hailong demo --data-dir $(DEMO_DIR) --port $(PORT)

# Import layers, ruff, and mypy over every package (pyproject.toml; strict on the pure core and the
# channels): all with zero errors.
lint: $(VENV)/.installed-dev messages
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy

# Every text people read lives in Babel catalogs (msgid = a stable key; Vietnamese and English):
# bot/web (pages), bot/conversation (chats), bot/cli (the command), survey_flows (the flows' own words). `make messages`
# compiles each domain with pybabel, which refuses a broken catalog; tests check both languages.
messages: $(VENV)/.installed
	@for dir in bot/web/locales bot/conversation/locales bot/cli/locales survey_flows/locales; do \
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

# Tests run in parallel workers (pytest-xdist; each test has its own database and ports); the 25 slowest
# are printed at the end. CLI tests run the command in-process (tests/bot/conftest.py `Cli`), a few in a subprocess.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev system-packages lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=25

# The floors in pyproject.toml are honest: a separate venv with every direct dependency at the lowest
# version pyproject.toml allows (uv's lowest-direct resolution), then the suite's fast part (no
# browser, no multi-process servers) and the CLI. Run by .ci/run after `make test`.
FLOORS := .venv-floors
FAST_TESTS := tests/survey_flows tests/channels tests/storage tests/reports tests/bot/common \
	tests/bot/conversation tests/bot/office tests/bot/test_ops.py tests/bot/web/test_web_api.py \
	tests/bot/web/test_web_api_fuzz.py tests/bot/web/test_web_api_integration.py
test-floors: $(VENV)/.installed-dev
	rm -rf $(FLOORS)
	$(BIN)/uv venv --quiet --python $(PYTHON) $(FLOORS)
	$(BIN)/uv pip install --quiet --python $(FLOORS)/bin/python --resolution lowest-direct -e '.[dev]'
	$(BIN)/uv pip list --python $(FLOORS)/bin/python | grep -iE '^(aiohttp|sqlalchemy|pydantic|alembic|python-telegram-bot|twilio|babel|pytest) '
	$(FLOORS)/bin/hailong --help >/dev/null
	$(FLOORS)/bin/python -m pytest -n $(TEST_WORKERS) -p no:cacheprovider -q $(FAST_TESTS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(FLOORS) var .pytest_cache
