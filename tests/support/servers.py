"""Real servers for the tests: where things are, free ports, the app's own entry point and
gunicorn started and polled until healthy, and plain HTTP and socket requests to them."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from .waiting import wait_until

__all__ = [
    "PROGRAMS",
    "ROOT",
    "SHIPPED_MODEL",
    "closed_within",
    "connect",
    "fetch",
    "free_port",
    "healthy",
    "raw",
    "request",
    "run_program",
    "running_server",
    "started_gunicorn",
    "started_server",
]

ROOT = Path(__file__).resolve().parents[2]

SHIPPED_MODEL = ROOT / "model.h5"

PROGRAMS = ROOT / "tests" / "programs"  # programs the tests run in processes of their own


def run_program(program: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `program`, a file in PROGRAMS (the app's package is installed, and nothing else is
    imported: TensorFlow only if the program imports it); its output captured."""
    return subprocess.run(
        [sys.executable, str(PROGRAMS / program), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    try:
        healthy(url, process)
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


def fetch(url: str, body: bytes | None = None, timeout: float = 5) -> tuple[int, dict, bytes]:
    """One request (a POST of JSON when there is a body): status, headers and body, errors
    included."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def healthy(
    url: str,
    process: subprocess.Popen,
    within: float = 60,
    accept: Callable[[dict], bool] = lambda body: True,
    output: Callable[[], str] | None = None,
) -> dict:
    """The first answer of `url`/healthz that is a 200 whose body (JSON; {} for another kind)
    `accept` takes; the test fails when `process` exits first (with `output`, by default its
    stdout) or `within` seconds pass."""

    def accepted() -> tuple[dict] | None:
        """The answer, when it is one `accept` takes; None while there is none yet."""
        if process.poll() is not None:
            shown = output() if output else process.stdout.read()
            pytest.fail(f"the server exited with {process.returncode}: {shown[-3000:]}")
        with contextlib.suppress(OSError):
            status, headers, body = fetch(url + "/healthz", timeout=2)
            answer = json.loads(body) if "json" in headers.get("Content-Type", "") else {}
            if status == 200 and accept(answer):
                return (answer,)  # in a tuple: {} is an answer too
        return None

    if found := wait_until(accepted, within):
        return found[0]
    pytest.fail(f"{url}/healthz gave no such answer within {within:g} s")


@contextlib.contextmanager
def started_gunicorn(
    folder: Path, args: Sequence[str] = ("-c", "gunicorn.conf.py"), env: dict | None = None
):
    """Gunicorn with `args` (by default as `make run` starts it) on a free port, never
    training, storing corrections in `folder`, `env` added to the environment; yields its URL,
    process and log file once /healthz answers 200, and stops it afterwards."""
    port = free_port()
    url, log = f"http://127.0.0.1:{port}", folder / f"gunicorn-{port}.log"
    database = f"sqlite:///{folder / f'corrections-{port}.sqlite3'}"
    environment = {"FLASK_TRAIN_IF_MISSING": "false", "FLASK_DATABASE_URL": database, **(env or {})}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *args],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=out,
            stderr=out,
        )
    try:
        healthy(url, process, 90, output=log.read_text)
        yield url, process, log
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def connect(url: str) -> socket.socket:
    """A TCP connection to the server at `url`."""
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def closed_within(s: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `s` (reading whatever it sends), or None."""
    started = time.monotonic()
    s.settimeout(0.5)
    while time.monotonic() - started < seconds:
        try:
            if s.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    return None


def raw(url: str, data: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes; parse the status, headers and body of the answer."""
    with contextlib.closing(connect(url)) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
        answer = b""
        with contextlib.suppress(ConnectionResetError):  # closed with our excess unread
            while chunk := s.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body
