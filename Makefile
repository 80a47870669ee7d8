# Two commands: `make serve` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CLIENTS := build/clients

.PHONY: serve test test-fast lint bench load-test load settings clean update-yasgui

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

serve: $(VENV)/.installed
	$(BIN)/ccn-graph serve

test: $(VENV)/.installed-test $(CLIENTS)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The RDF clients from npm the client suite runs (tests/test_clients.py), at the versions the
# lock file pins. Without npm their tests skip, saying so (and fail under CI=true).
$(CLIENTS)/.installed: tests/clients/package.json tests/clients/package-lock.json
	@if command -v npm >/dev/null; then \
	  mkdir -p $(CLIENTS) && cp tests/clients/package.json tests/clients/package-lock.json $(CLIENTS)/ && \
	  cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error && touch .installed; \
	else echo "npm is not installed: the tests of the npm clients will skip"; fi

# The fast tier: the tests marked `fast`, in the test process alone (pure code, and the app
# through Flask's test client over the embedded store); no servers, browser or ../shared.
test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m fast $(PYTEST_ARGS)

# ruff's findings and formatting, with the settings in pyproject.toml (the version pinned there).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The benchmark at 10,000 members, with its peers: rdflib-endpoint from PyPI, Virtuoso from Debian
# (installed when this runs as root and it is missing; the report says when a peer is absent).
BENCH_MEMBERS ?= 10000
bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet rdflib-endpoint uvicorn
	command -v virtuoso-t >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q virtuoso-opensource >/dev/null; } || true
	$(BIN)/python bench/run.py --members $(BENCH_MEMBERS)

# Mixed reads at 200 requests/s for 60 s over 10,000 members while merging one submission a second
# (bench/load.py → bench/reports/load-10k.md; exits 1 when a target is missed).
# LOAD_RUNS: runs, each on fresh data (every run must meet every target).
LOAD_RUNS ?= 3
load-test: $(VENV)/.installed-test
	$(BIN)/python bench/load.py $(LOAD_RUNS)

load: $(VENV)/.installed
	$(BIN)/ccn-graph load

settings: $(VENV)/.installed
	$(BIN)/ccn-graph settings

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

# The query page's SPARQL editor, vendored from the npm registry (never loaded from a CDN).
YASGUI_VERSION ?= 4.6.2
update-yasgui:
	rm -rf build/yasgui && mkdir -p build/yasgui
	cd build/yasgui && npm pack @zazuko/yasgui@$(YASGUI_VERSION) && tar xzf zazuko-yasgui-$(YASGUI_VERSION).tgz
	cp build/yasgui/package/build/yasgui.min.js build/yasgui/package/build/yasgui.min.css server/static/vendor/yasgui/
