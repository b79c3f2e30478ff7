"""The real server process: `python FlaskApp/flaskapp.py`, talked to over HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port
from test_api import SEVEN_URL

ROOT = Path(__file__).resolve().parent.parent


def request(url: str, body: dict | None = None) -> tuple[int, dict]:
    """GET or POST JSON; return status and decoded JSON body, errors included."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


@contextlib.contextmanager
def started_server(env: dict | None = None):
    """The app served by its own entry point, with the shipped model, on a free port.

    Yields the URL and the server process; `env` adds environment variables (DATABASE_URL).
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "FlaskApp/flaskapp.py", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}: {process.stdout.read()}")
        try:
            if request(url + "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("server did not become healthy within 60 s")
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=10)


@contextlib.contextmanager
def running_server(env: dict | None = None):
    """The URL of `started_server`."""
    with started_server(env) as (url, _):
        yield url


@pytest.fixture
def server(shipped_model):
    """A real server for one test."""
    with running_server() as url:
        yield url


def test_real_server_predicts_over_http_and_survives_bad_input(server):
    status, body = request(server + "/predict", {"image": SEVEN_URL})
    assert status == 200 and body["digit"] == 7
    status, body = request(server + "/predict", {"image": "not base64!"})
    assert status == 400 and "base64" in body["error"]
    status, body = request(server + "/predict", {"image": SEVEN_URL})
    assert status == 200 and body["digit"] == 7
    with urllib.request.urlopen(server + "/", timeout=10) as page:
        assert 'id="canvas"' in page.read().decode()


def test_server_refuses_to_start_on_an_unreadable_model(tmp_path):
    broken = tmp_path / "model.h5"
    broken.write_text("garbage")
    result = subprocess.run(
        [sys.executable, "FlaskApp/flaskapp.py", "--port", str(free_port())],
        cwd=ROOT,
        env={"MODEL_PATH": str(broken), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert f"Cannot read the model file {broken}" in result.stderr
    assert broken.read_text() == "garbage"
