# The README's two commands. Both create .venv on first use and reinstall when the requirements change.
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PYTHON ?= python3

.PHONY: setup run test lint bench

$(VENV)/.app-installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.app-installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

## setup: install the app's packages into .venv (what run does first)
setup: $(VENV)/.app-installed

## run: install and start SalesLens on the bundled sample data (http://localhost:8501)
run: $(VENV)/.app-installed
	$(PY) -m components.server

## test: install test needs (Python packages, Debian's Chromium) and run the whole suite
test: $(VENV)/.test-installed
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	$(PY) -m pytest

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .

bench: $(VENV)/.test-installed
	$(PY) bench/ingest.py
