# The README's two commands. Both create .venv on first use and reinstall when the lock changes.
# Installs go through the locks (every transitive package pinned with hashes), so a clone next month installs
# exactly what was tested; requirements*.txt list the direct dependencies and `make lock` refreshes the locks.
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PYTHON ?= python3
PIP_VERSION := 26.3
UV_VERSION := 0.13.9
LOCK_FLAGS := --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes --no-header

.PHONY: setup run test lint bench lock

$(VENV)/.app-installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q pip==$(PIP_VERSION)
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements.lock
	$(PY) -m pip check
	touch $@

$(VENV)/.test-installed: $(VENV)/.app-installed requirements-test.lock
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements-test.lock
	$(PY) -m pip check
	touch $@

## setup: install the app's packages into .venv (what run does first)
setup: $(VENV)/.app-installed

## run: install and start SalesLens on the bundled sample data (http://localhost:8501)
run: $(VENV)/.app-installed
	$(PY) -m server

## test: install test needs (Python packages, Debian's Chromium) and run the whole suite
test: $(VENV)/.test-installed
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	$(PY) -m pytest

## lock: re-resolve requirements*.txt into the hashed locks (after editing a requirements file)
lock:
	$(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install -q uv==$(UV_VERSION)
	.lockenv/bin/uv pip compile requirements.txt $(LOCK_FLAGS) -o requirements.lock
	.lockenv/bin/uv pip compile requirements-test.txt -c requirements.lock $(LOCK_FLAGS) -o requirements-test.lock

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .

bench: $(VENV)/.test-installed
	$(PY) bench/ingest.py
