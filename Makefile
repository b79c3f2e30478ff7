# Two commands on a fresh machine: `make run` serves the app, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run dev test chromium train evaluate notebook lint screenshots clean

$(VENV)/.app: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.app  ## serve at http://127.0.0.1:5000 with gunicorn (gunicorn.conf.py)
	$(PY) -m gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT)

dev: $(VENV)/.app  ## Flask's own server, one process (no gunicorn)
	$(PY) FlaskApp/flaskapp.py --host $(HOST) --port $(PORT)

test: $(VENV)/.dev chromium  ## every test; MNIST_DIR must name the folder of the MNIST gz files
	$(PY) -m pytest

# The browser tests drive Debian's Chromium (Playwright's own download needs the internet).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:  ## install Debian's chromium when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

train: $(VENV)/.app  ## retrain model.h5 from MNIST (downloads it when MNIST_DIR is unset)
	$(PY) FlaskApp/kerasModel.py train

evaluate: $(VENV)/.app  ## evaluate model.h5 (MNIST, canvas set with BENCH_DIR, own sketches)
	$(PY) FlaskApp/evaluation.py

notebook: $(VENV)/.dev  ## re-execute notebook.ipynb and save it (real settings; NOTEBOOK_QUICK=1 for a short run)
	$(PY) -m jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=-1 notebook.ipynb

lint: $(VENV)/.dev
	$(PY) -m ruff check FlaskApp tests scripts benchmarks
	$(PY) -m ruff format --check FlaskApp tests scripts benchmarks

SHOT_PORT ?= 5099
SHOT := $(PY) scripts/screenshot.py --url http://127.0.0.1:$(SHOT_PORT)
screenshots: $(VENV)/.dev chromium  ## re-make the README screenshots: light, dark and phone
	@$(PY) FlaskApp/flaskapp.py --port $(SHOT_PORT) >/dev/null 2>&1 & server=$$!; \
	trap 'kill $$server' EXIT; \
	$(SHOT) --out docs/screenshot.png && \
	$(SHOT) --out docs/screenshot-dark.png --dark && \
	$(SHOT) --out docs/screenshot-phone.png --width 390 --height 844 --scale 2 --digit 7

clean:
	rm -rf $(VENV) .pytest_cache
