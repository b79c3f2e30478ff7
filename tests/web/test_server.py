"""The real server process: `python FlaskApp/flaskapp.py`, talked to over HTTP."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.support import (
    ROOT,
    SEVEN_URL,
    free_port,
    healthy,
    request,
    running_server,
    started_gunicorn,
    wait_until,
)


@pytest.fixture
def server():
    """A real server for one test."""
    with running_server() as url:
        yield url


@pytest.mark.usefixtures("shipped_model")
def test_real_server_predicts_over_http_and_survives_bad_input(server):
    status, body = request(server + "/predict", {"image": SEVEN_URL})
    assert status == 200 and body["digit"] == 7
    status, body = request(server + "/predict", {"image": "not base64!"})
    assert status == 400 and "base64" in body["error"]
    status, body = request(server + "/predict", {"image": SEVEN_URL})
    assert status == 200 and body["digit"] == 7
    with urllib.request.urlopen(server + "/", timeout=10) as page:
        assert 'id="canvas"' in page.read().decode()


def chunked_post(url: str, pieces: list[bytes]) -> tuple[int, dict]:
    """POST JSON in chunks (Transfer-Encoding: chunked, no Content-Length)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
        connection.request(
            "POST", "/predict", body=iter(pieces), headers=headers, encode_chunked=True
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.usefixtures("shipped_model")
def test_real_server_reads_chunked_bodies_and_refuses_them_past_the_limit_with_413(server):
    body = json.dumps({"image": SEVEN_URL}).encode()
    status, answer = chunked_post(server, [body[:100], body[100:]])
    assert status == 200 and answer["digit"] == 7
    status, answer = chunked_post(server, [b'{"image": "'] + [b"A" * 65536] * 80 + [b'"}'])
    assert status == 413 and "at most 4,194,304 bytes" in answer["error"]


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


def worker_pids(master: int) -> set[int]:
    """The processes a gunicorn master has forked."""
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True)
    return {int(pid) for pid in found.stdout.split()}


def test_gunicorn_keeps_serving_when_the_model_file_breaks_and_a_worker_dies(
    tmp_path, tiny_model_path
):
    model_path = tmp_path / "model.h5"
    shutil.copy(tiny_model_path, model_path)
    env = {
        "MODEL_PATH": str(model_path),
        "FLASK_MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'feedback.sqlite3'}",
    }
    args = ["--chdir", "FlaskApp", "--workers", "2", "flaskapp:create_app()"]  # as from FlaskApp/
    with started_gunicorn(tmp_path, args, env) as (url, process, log):
        validated = request(url + "/healthz")[1]["sha256"]
        assert wait_until(lambda: len(worker_pids(process.pid)) >= 2, 90), log.read_text()
        with open(model_path, "r+b") as f:  # the file breaks under the running server ...
            f.truncate(1000)
        os.kill(min(worker_pids(process.pid)), signal.SIGKILL)  # ... and then a worker dies
        # The new worker comes up on the last validated model and says why.
        body = healthy(url, process, 90, lambda body: "model_file_error" in body, log.read_text)
        assert body["sha256"] == validated and "did not pass" in body["model_file_error"]
        for _ in range(6):  # both workers answer
            status, answer = request(url + "/predict", {"image": SEVEN_URL})
            assert status == 200 and 0 <= answer["digit"] <= 9
        assert process.poll() is None
    assert "did not pass the start-up checks" in log.read_text()
