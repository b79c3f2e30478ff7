# Two commands on a fresh machine: `make run` serves the app, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test train evaluate lint screenshot clean

$(VENV)/.app: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.app  ## serve at http://127.0.0.1:5000
	$(PY) FlaskApp/flaskapp.py --host $(HOST) --port $(PORT)

test: $(VENV)/.dev  ## every test; MNIST_DIR must name the folder of the MNIST gz files
	$(PY) -m pytest

train: $(VENV)/.app  ## retrain model.h5 from MNIST (downloads it when MNIST_DIR is unset)
	$(PY) FlaskApp/kerasModel.py train

evaluate: $(VENV)/.app  ## evaluate model.h5 (MNIST, canvas set with BENCH_DIR, own sketches)
	$(PY) FlaskApp/evaluation.py

lint: $(VENV)/.dev
	$(PY) -m ruff check FlaskApp tests scripts benchmarks
	$(PY) -m ruff format --check FlaskApp tests scripts benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
