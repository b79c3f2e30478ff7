"""Shared fixtures: MNIST from MNIST_DIR, a tiny model for fast route tests, the shipped model,
databases (SQLite files, a throwaway PostgreSQL server) for the feedback storage, and a throwaway
Redis server for the rate limits."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import flaskapp
import keras
import kerasModel
import mnist
import numpy as np
import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = ROOT / "model.h5"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of the four gz IDX files; a test that needs them fails loudly without them."""
    candidates = [os.environ.get("MNIST_DIR"), kerasModel.DEFAULT_MNIST_DIR]
    for candidate in filter(None, candidates):
        folder = Path(candidate)
        if all((folder / f"{name}.gz").is_file() for name in mnist.FILES):
            return folder
    pytest.fail(
        "These tests need the four MNIST gz IDX files: set MNIST_DIR to their folder "
        f"(looked in: {', '.join(str(c) for c in candidates if c)}), "
        "or fetch them with `python FlaskApp/mnist.py`."
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
        [keras.Input(shape=(kerasModel.PIXELS,)), keras.layers.Dense(10, activation="softmax")]
    )
    return kerasModel.save_atomic(model, tmp_path_factory.mktemp("tiny") / "tiny.h5")


@pytest.fixture(scope="session")
def shipped_model():
    """The committed model.h5, loaded once for the whole session."""
    if not SHIPPED_MODEL.exists():
        pytest.fail(f"The shipped model {SHIPPED_MODEL} is missing; train it (see README).")
    return kerasModel.load(SHIPPED_MODEL)


@pytest.fixture
def app(tiny_model_path):
    """The app around the tiny model, never training."""
    return flaskapp.create_app({"MODEL_PATH": str(tiny_model_path), "TRAIN_IF_MISSING": False})


@pytest.fixture
def client(app):
    """Flask's test client for `app`."""
    return app.test_client()


@pytest.fixture(scope="session")
def shipped_client():
    """A test client of the app around the shipped model.h5."""
    app = flaskapp.create_app({"MODEL_PATH": str(SHIPPED_MODEL), "TRAIN_IF_MISSING": False})
    return app.test_client()


def _postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL server's bin folder, if one is installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the session: its URL (to the `postgres` database).

    TEST_DATABASE_URL names an existing server instead. Without either, the tests that need
    PostgreSQL fail, saying how to get it: they are never skipped.
    """
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    bindir = _postgres_bin()
    if bindir is None:
        pytest.fail(
            "These tests need a PostgreSQL server: install Debian's postgresql package "
            "(`make test` does), or set TEST_DATABASE_URL to a server they may create databases on."
        )
    # As root, the server must run as the postgres user (PostgreSQL refuses root).
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="digits-postgres-"))
    if as_user:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    run = functools.partial(subprocess.run, check=True, capture_output=True, text=True)
    try:
        run([*as_user, bindir / "initdb", "-D", data, "-U", "digits", "--auth=trust", "-E", "UTF8"])
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
        run(
            [
                *as_user,
                bindir / "pg_ctl",
                "-D",
                data,
                "-o",
                options,
                "-l",
                folder / "log",
                "-w",
                "start",
            ]
        )
    except subprocess.CalledProcessError as exc:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        pytest.fail(f"Could not start PostgreSQL from {bindir}: {exc.stderr}{exc.stdout}{log}")
    try:
        yield f"postgresql://digits@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


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
        _wait_for_redis(port, server)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.communicate(timeout=10)


def _wait_for_redis(port: int, server: subprocess.Popen, within: float = 10.0) -> None:
    """Return once Redis answers PING on `port`; fail with its output if it does not."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"redis-server exited with {server.returncode}: {server.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail(f"redis-server did not answer on port {port} within {within:g} s")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
