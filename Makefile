# Two commands on a fresh machine: `make run` serves the app, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run dev test test-fast package system-packages train evaluate notebook lint screenshots clean

$(VENV)/.app: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The app's package (FlaskApp/drawadigit), installed editable from this checkout; again whenever
# the environment holds it from another checkout (a VENV shared between clones).
package: $(VENV)/.app
	@$(PY) -c 'import pathlib, sys, drawadigit; sys.exit(pathlib.Path(drawadigit.__file__).resolve().parents[1] != pathlib.Path("FlaskApp").resolve())' 2>/dev/null \
	  || $(PY) -m pip install --quiet --no-deps --no-build-isolation --editable .

run: package  ## serve at http://127.0.0.1:5000 with gunicorn (gunicorn.conf.py)
	$(PY) -m gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT)

dev: package  ## Flask's own server, one process (no gunicorn)
	$(PY) FlaskApp/flaskapp.py --host $(HOST) --port $(PORT)

# The tests read MNIST from MNIST_DIR; without it, `make test` fetches the four files the way the
# app does (MNIST_MIRRORS, else the built-in mirrors; content SHA-256 checked) into this folder.
TEST_MNIST_DIR := $(CURDIR)/FlaskApp/mnist_data
PYTEST_ARGS ?=

test: $(VENV)/.dev package system-packages  ## every test (PYTEST_ARGS=... for some); MNIST from MNIST_DIR, else fetched
	@if [ -n "$$MNIST_DIR" ]; then echo "MNIST from MNIST_DIR=$$MNIST_DIR"; \
	else echo "MNIST_DIR is not set: fetching MNIST into $(TEST_MNIST_DIR)"; \
	  $(PY) -m drawadigit.data.mnist --dir "$(TEST_MNIST_DIR)" --timeout 15 || exit 1; fi
	MNIST_DIR="$${MNIST_DIR:-$(TEST_MNIST_DIR)}" $(PY) -m pytest $(PYTEST_ARGS)

# The fast lane: the tests that need no browser, no database server and no MNIST (the markers
# of pyproject.toml, set in tests/conftest.py), so nothing is installed or fetched for them.
FAST_TESTS := not browser and not database and not mnist

test-fast: $(VENV)/.dev package  ## the tests that need no Chromium, database server or MNIST: a few minutes
	$(PY) -m pytest -m "$(FAST_TESTS)" $(PYTEST_ARGS)

# Debian packages the tests drive: Chromium for the browser tests (Playwright's own browser
# download needs the internet); PostgreSQL and Redis for the storage and rate-limit tests, and
# nginx for the deployment in front of the app (the tests start their own servers of each).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
MISSING_PACKAGES = $(if $(shell command -v chromium),,chromium) \
	$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),,postgresql) \
	$(if $(wildcard /usr/bin/redis-server),,redis-server) \
	$(if $(wildcard /usr/sbin/nginx),,nginx)
system-packages:  ## install Debian's chromium, postgresql, redis-server and nginx when missing
	@if [ -n "$(strip $(MISSING_PACKAGES))" ]; then \
	  echo "Installing Debian's $(strip $(MISSING_PACKAGES)) for the tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(MISSING_PACKAGES) >/dev/null; \
	fi

train: package  ## retrain model.h5 from MNIST (downloads it when MNIST_DIR is unset)
	$(PY) FlaskApp/kerasModel.py train

evaluate: package  ## evaluate model.h5 (MNIST, canvas set with BENCH_DIR, own sketches)
	$(PY) -m drawadigit.evaluation

notebook: $(VENV)/.dev package  ## re-execute notebook.ipynb and save it (real settings; NOTEBOOK_QUICK=1 for a short run)
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=-1 notebook.ipynb

lint: $(VENV)/.dev package  ## ruff over every Python file (FlaskApp, tests, scripts, benchmarks, gunicorn.conf.py)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

SHOT_PORT ?= 5099
SHOT := $(PY) -m scripts.screenshot --url http://127.0.0.1:$(SHOT_PORT)
screenshots: $(VENV)/.dev package system-packages  ## re-make the README screenshots: desktop, dark, phone, landscape, 200 % zoom
	@$(PY) FlaskApp/flaskapp.py --port $(SHOT_PORT) >/dev/null 2>&1 & server=$$!; \
	trap 'kill $$server' EXIT; \
	$(SHOT) --all

clean:
	rm -rf $(VENV) .pytest_cache
