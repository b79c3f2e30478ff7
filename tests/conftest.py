"""Shared fixtures: MNIST from MNIST_DIR, a tiny model for fast route tests, the shipped model,
databases (SQLite files, a throwaway PostgreSQL server) for the corrections store, and a throwaway
Redis server for the rate limits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import flask
import keras
import numpy as np
import psycopg
import pytest
from playwright.sync_api import sync_playwright

from drawadigit import contract, web
from drawadigit.corrections.store import CorrectionStore
from drawadigit.data import mnist, sketches
from drawadigit.model import tf_runtime
from drawadigit.reading import preprocessing
from drawadigit.settings import Settings
from scripts import throwaway_postgres
from tests import support
from tests.support import SHIPPED_MODEL, DiskWrites, corrections_config, free_port, sqlite_url

# What each marker (pyproject.toml) stands for: the fixtures that bring it. `database_url` asks
# for `postgres_server` only in its PostgreSQL case; `nginx` is test_nginx.py's own fixture.
MARKED_BY = {
    "browser": {"browser"},
    "database": {"postgres_server", "redis_server", "nginx"},
    "mnist": {"mnist_dir"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by what it needs (`-m "not browser"` and so on): by the fixtures it uses,
    its own fixtures' fixtures included."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            used.add("postgres_server")
        for marker, fixtures in MARKED_BY.items():
            if used & fixtures:
                item.add_marker(marker)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of the four real MNIST gz IDX files: $MNIST_DIR, else the default data folder.

    A test that needs them fails loudly without them, saying where it looked and what it lacked.
    """
    looked = []
    for candidate in filter(None, [os.environ.get("MNIST_DIR"), Settings().mnist_dir]):
        folder = Path(candidate)
        missing = [f"{name}.gz" for name in mnist.FILES if not (folder / f"{name}.gz").is_file()]
        if not missing:
            return folder
        looked.append(f"{folder} (lacks {', '.join(missing)})")
    pytest.fail(
        "These tests need the four MNIST gz IDX files: set the MNIST_DIR environment variable "
        f"to their folder (looked in: {'; '.join(looked)}), "
        "or fetch them with `python -m drawadigit.data.mnist`."
    )


@pytest.fixture(scope="session")
def mnist_test(mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test digits (uint8) and labels."""
    return mnist.load_split(mnist_dir, "test")


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """An untrained, tiny model that keeps the model contract: enough to drive the routes."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input(shape=(contract.PIXELS,)), keras.layers.Dense(10, activation="softmax")]
    )
    return tf_runtime.save_atomic(model, tmp_path_factory.mktemp("tiny") / "tiny.h5")


@pytest.fixture(scope="session")
def shipped_model():
    """The committed model.h5, loaded once for the whole session.

    A test that serves it, not needing it loaded here, asks for it with
    `@pytest.mark.usefixtures("shipped_model")`: it fails first, and loudly, when it is missing.
    """
    if not SHIPPED_MODEL.exists():
        pytest.fail(f"The shipped model {SHIPPED_MODEL} is missing; train it (see README).")
    return tf_runtime.load(SHIPPED_MODEL)


@pytest.fixture
def make_app(tiny_model_path):
    """Build apps that never train: around `model_path` (the tiny model unless given), with
    `config` on top; their corrections stores are closed after the test."""
    made = []

    def make(model_path: str | os.PathLike | None = None, **config) -> flask.Flask:
        model = str(model_path or tiny_model_path)
        app = web.create_app({"MODEL_PATH": model, "TRAIN_IF_MISSING": False, **config})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["corrections_store"].close()


@pytest.fixture
def app(make_app):
    """The app around the tiny model, never training."""
    return make_app()


@pytest.fixture
def client(app):
    """Flask's test client for `app`."""
    return app.test_client()


@pytest.fixture(scope="session")
def shipped_client():
    """A test client of the app around the shipped model.h5."""
    app = web.create_app({"MODEL_PATH": str(SHIPPED_MODEL), "TRAIN_IF_MISSING": False})
    return app.test_client()


@pytest.fixture
def disk_writes() -> list[str]:
    """The files opened for writing during the test (by this process)."""
    if not DiskWrites.installed:  # audit hooks cannot be removed: one for the session
        sys.addaudithook(DiskWrites.hook)
        DiskWrites.installed = True
    DiskWrites.seen.clear()
    DiskWrites.recording.set()
    yield DiskWrites.seen
    DiskWrites.recording.clear()


@pytest.fixture(scope="session")
def sketch_body() -> bytes:
    """A /predict body: a digit sketched on a canvas."""
    drawing = sketches.sketch_set(1, seed=7)[0]
    return json.dumps({"image": preprocessing.to_data_url(drawing.png)}).encode()


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session: its URL (to the `postgres` database).

    TEST_DATABASE_URL names an existing server instead. Without either, the tests that need
    PostgreSQL fail, saying how to get it: they are never skipped.
    """
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    try:
        with throwaway_postgres.started() as server:
            yield server.url
    except throwaway_postgres.Unavailable as exc:
        pytest.fail(f"These tests need a PostgreSQL server, or TEST_DATABASE_URL: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database for one test: an SQLite file, or a new database on the server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    name = f"digits_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name


REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture
def redis_server(tmp_path):
    """A throwaway Redis server for one test (no persistence): its URL.

    The tests that need one fail, saying how to get it, when Debian's redis-server is missing:
    they are never skipped.
    """
    binary = shutil.which("redis-server") or REDIS_SERVER
    if not os.path.exists(binary):
        pytest.fail(
            f"These tests need a Redis server at {REDIS_SERVER}: install Debian's redis-server "
            "package (`apt-get install redis-server`)."
        )
    port = free_port()
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(
        [binary, *options, "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_redis(server)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.communicate(timeout=10)


def _wait_for_redis(server: subprocess.Popen) -> None:
    """Return once Redis says it accepts connections; fail with its output if it exits first."""
    seen = []
    for line in server.stdout:  # its log, line by line, until the readiness line
        seen.append(line)
        if "Ready to accept connections" in line:
            return
    server.wait(timeout=10)
    pytest.fail(f"redis-server exited with {server.returncode}: {''.join(seen)[-3000:]}")


# --- Chromium, for the browser tests -----------------------------------------------------------

# Debian's Chromium, kept from calling out (Playwright's own browser download needs the internet).
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium, or $CHROMIUM; the tests fail loudly, never skip, without one."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail(
            f"The browser tests need Chromium at {path}: install Debian's package "
            "(`apt-get install chromium`, which `make test` does) or set CHROMIUM."
        )
    return path


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_database(tmp_path_factory) -> str:
    """Where the browser tests' server keeps people's corrections: an SQLite file of its own."""
    return f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'feedback.sqlite3'}"


@pytest.fixture(scope="session")
def live_url(live_database):
    """The app served by its own entry point with the shipped model, for every browser test
    (never training one: without model.h5 the server exits, and the tests fail saying why)."""
    with support.live_server(live_database) as url:
        yield url


@pytest.fixture
def desktop(browser, live_url):
    """The page at desktop size; afterwards it must have asked no other host, logged no error."""
    with support.checked_page(browser, live_url, support.DESKTOP) as watched:
        yield watched


@pytest.fixture
def phone(browser, live_url):
    """The page at phone size with a touch screen, checked like `desktop`."""
    with support.checked_page(browser, live_url, support.PHONE) as watched:
        yield watched


@pytest.fixture(scope="session")
def page_drawings(mnist_test) -> list[str]:
    """The drawings of `support.page_drawing_set`, made once."""
    return support.page_drawing_set(*mnist_test)


# --- corrections: stores and apps that take them ------------------------------------------------


@pytest.fixture
def store(database_url):
    """An empty store on each kind of database."""
    store = CorrectionStore(database_url)
    yield store
    store.close()


@pytest.fixture
def corrections_app(make_app, database_url):
    """The app around the tiny model, its corrections going to `database_url`, REVIEW_TOKEN set."""
    return make_app(**corrections_config(database_url))


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    """The app around the tiny model with an SQLite file of its own."""
    return make_app(**corrections_config(sqlite_url(tmp_path)))


@pytest.fixture
def open_app(make_app, tmp_path):
    """The app with an SQLite file of its own and no REVIEW_TOKEN."""
    config = corrections_config(sqlite_url(tmp_path))
    del config["REVIEW_TOKEN"]
    return make_app(**config)
