# Two commands matter: `make run` (install and run the bot) and `make test` (install and pass
# every check). Both create .venv and install on first use; nothing is installed by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint typecheck pytest sim bench clean install install-dev chromium postgres

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(PIP) install -e '.[dev]'
	touch $@

EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
# The browser tests drive Debian's Chromium through Playwright (`playwright install` needs the
# internet), with an emoji font so screenshots show 🔄 as people see it. Installed with apt as
# root, or through sudo. A failed install only warns: the tests then skip, or fail under CI;
# the stamp marks success only, so the next run tries again.
$(VENV)/.chromium:
	@{ command -v chromium >/dev/null && [ -e $(EMOJI_FONT) ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else SUDO=false; fi; \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	      fonts-noto-color-emoji; } || \
	  echo "warning: could not apt-get install chromium: the browser test will skip (fail in CI)"; }
	@if command -v chromium >/dev/null; then mkdir -p $(VENV) && touch $@; fi

# The storage tests run on SQLite and on a real PostgreSQL: Debian's server binaries, for the
# test fixtures to start a throwaway cluster from (tests/pg.py); no server runs as a service.
$(VENV)/.postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else SUDO=false; fi; \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } || \
	  echo "warning: could not apt-get install postgresql: its tests will skip (fail in CI)"; }
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then mkdir -p $(VENV) && touch $@; fi

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev
chromium: $(VENV)/.chromium
postgres: $(VENV)/.postgres

run: $(VENV)/.runtime
	$(VENV)/bin/mjbot run

sim: $(VENV)/.runtime
	$(VENV)/bin/mjbot sim --port 8081

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

pytest: $(VENV)/.dev $(VENV)/.chromium $(VENV)/.postgres
	$(VENV)/bin/pytest

test: lint typecheck pytest

bench: $(VENV)/.dev $(VENV)/.postgres
	$(PY) bench/tracker.py
	$(PY) bench/region.py
	$(PY) bench/soak.py
	$(PY) bench/load.py
	$(PY) bench/scale.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
