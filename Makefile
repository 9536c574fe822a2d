# The README's quick start and CI both use these targets.
# `make site` builds the site (from PubMed when reachable, else the embedded sample);
# `make test` runs lint and the whole test suite. Both install what they need first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install system-deps site demo build serve check-links test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Debian packages for the browser tests (headless Chromium + driver); no-op when present.
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

site: install
	$(PY) -m generator site

demo: install
	$(PY) -m generator demo

build: install
	$(PY) -m generator build

serve: install
	$(PY) -m generator serve

## Every internal link and #anchor of the built site (the test suite checks the demo site).
check-links: build
	$(PY) -m generator check-links

lint: install
	$(PY) -m ruff check generator tests bench
	$(PY) -m ruff format --check generator tests bench

format: install
	$(PY) -m ruff format generator tests bench
	$(PY) -m ruff check --fix generator tests bench

test: install system-deps lint
	$(PY) -m pytest -q

bench: install
	$(PY) bench/bench_parse.py

clean:
	rm -rf site .pytest_cache

## The publish workflow's steps (scripts/publish.sh) on this machine, against a local
## E-utilities stand-in, in a throw-away copy of the repository: harvest → commit → build.
.PHONY: publish-local
publish-local: install
	PY=$(PY) bash scripts/publish_local.sh
