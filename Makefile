# The two commands of the README: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
SIO := assets/vendor/socket.io.min.js
APT_GET := $(shell command -v apt-get 2>/dev/null)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test assets system-packages test-system-packages init-db bench screenshots clean

run: install assets ## serve http://127.0.0.1:8050 with the simulator (SQLite, in-process bus)
	DASHBOARD_DEMO=$${DASHBOARD_DEMO:-1} $(PY) -m dashboard run

test: install-test assets test-system-packages ## the whole suite, on a real Redis and a real Chromium
	$(PY) -m pytest -p no:dash -q

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(TEST_STAMP): requirements-test.txt requirements.txt $(STAMP)
	$(PIP) install -q -r requirements-test.txt
	touch $@

install: $(STAMP)
install-test: $(TEST_STAMP)

# Browser libraries come from npm (lockfile) and are served from a git-ignored folder.
assets: $(SIO)
$(SIO): package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) system-packages PKGS="npm"
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p assets/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js $@

# Debian packages the tests need, installed only when missing.
test-system-packages:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	[ -x /usr/lib/postgresql/15/bin/initdb ] || [ -x /usr/local/bin/initdb ] || missing="$$missing postgresql-15"; \
	if [ -n "$$missing" ]; then $(MAKE) system-packages PKGS="$$missing"; fi

system-packages:
	@[ -n "$(APT_GET)" ] || { echo "apt-get not found: install $(PKGS) by hand"; exit 1; }
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(PKGS)

init-db: install
	$(PY) -m dashboard init-db

bench: install-test assets test-system-packages ## latency and ingest (see bench/README.md for the others)
	$(PY) bench/latency.py
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) node_modules assets/vendor var test-output
