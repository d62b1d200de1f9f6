# Two commands matter: `make run` (install and run the bot) and `make test` (install and pass
# every check). Both create .venv and install on first use; nothing is installed by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint typecheck pytest sim bench clean install install-dev

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.runtime
	$(PIP) install -e '.[dev]'
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: $(VENV)/.runtime
	$(VENV)/bin/mjbot run

sim: $(VENV)/.runtime
	$(VENV)/bin/mjbot sim --port 8081

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

pytest: $(VENV)/.dev
	$(VENV)/bin/pytest

test: lint typecheck pytest

bench: $(VENV)/.dev
	$(PY) bench/region.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
