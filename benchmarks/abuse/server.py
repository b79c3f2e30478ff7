"""The server under attack: a production server started for the attacks (or one at a URL), a
normal client drawing beside the attackers, and what the attacks report."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load import ROOT, free_port, rss_mb, wait_healthy
from drawadigit.data import sketches
from drawadigit.reading import preprocessing

PREDICT_BUDGET_MS = 100  # a normal /predict must answer within this, 99 % of the time


@dataclass
class Row:
    """One attack's outcome."""

    attack: str
    done: str
    normal: str
    held: bool


class Target:
    """The server under attack: its URL, and a normal client's drawings."""

    def __init__(self, url: str, token: str = "", workdir: Path | None = None, process=None):
        self.url = url
        self.parts = urllib.parse.urlsplit(url)
        self.token = token
        self.process = process  # the gunicorn master, when this script started the server
        self.database = workdir / "feedback.sqlite3" if workdir else None
        self.model = workdir / "model.h5" if workdir else None
        self.bodies = [
            json.dumps({"image": preprocessing.to_data_url(d.png)}).encode()
            for d in sketches.sketch_set(4, seed=5)
        ]

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        """One request on a new connection: (status, headers, body); status 0 when it failed."""
        connection = self.connection()
        try:
            connection.request(
                method, path, body, {"Content-Type": "application/json", **(headers or {})}
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except OSError as exc:
            return 0, {}, str(exc).encode()
        finally:
            connection.close()

    def normal_client(self, stop: threading.Event) -> list[float]:
        """Predict one drawing after another until `stop`; each request's milliseconds."""
        times = []
        while not stop.is_set():
            body = self.bodies[len(times) % len(self.bodies)]
            started = time.perf_counter()
            status, _, _ = self.request("POST", "/predict", body)
            elapsed = (time.perf_counter() - started) * 1000
            times.append(elapsed if status == 200 else float("inf"))
            time.sleep(0.02)
        return times


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@contextlib.contextmanager
def normal_traffic(target: Target) -> Iterator[Callable[[], tuple[str, bool]]]:
    """A normal client predicting throughout; yields a function summarising what it saw."""
    stop = threading.Event()
    result: list[float] = []
    thread = threading.Thread(target=lambda: result.extend(target.normal_client(stop)))
    thread.start()

    def summary() -> tuple[str, bool]:
        stop.set()
        thread.join()
        within = sum(t <= PREDICT_BUDGET_MS for t in result) / max(1, len(result))
        text = (
            f"{len(result)} predictions, p50 {percentile(result, 0.5):.0f} ms, "
            f"p99 {percentile(result, 0.99):.0f} ms, {within:.1%} within {PREDICT_BUDGET_MS} ms"
        )
        return text, within >= 0.99

    try:
        yield summary
    finally:
        stop.set()
        thread.join()


SECURED = "X-Content-Type-Options"


HSTS = "Strict-Transport-Security"


def raw(target: Target, data: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes on a new connection; the answer's status, headers and body."""
    with socket.create_connection((target.parts.hostname, target.parts.port), timeout=10) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0]:
        return 0, {}, b""
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def workers(target: Target) -> list[int]:
    """The server's worker processes."""
    master = target.process.pid
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def status_mb(pid: int, field: str) -> float:
    """A memory figure of a process from /proc (VmRSS, VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def workers_memory(target: Target) -> float:
    """The largest resident memory of the server's workers, in MB."""
    if target.process is None:
        return float("nan")
    master = target.process.pid
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return max(rss_mb(int(pid)) for pid in workers)


@contextlib.contextmanager
def production_server(workdir: Path, env: dict | None = None) -> Iterator[Target]:
    """`make run`'s server on a free port, with its own database, model copy and review token."""
    port = free_port()
    shutil.copy(ROOT / "model.h5", workdir / "model.h5")
    token = "abuse-review-token"
    env = {
        **os.environ,
        "FLASK_DATABASE_URL": f"sqlite:///{workdir / 'feedback.sqlite3'}",
        "FLASK_MODEL_PATH": str(workdir / "model.h5"),
        "FLASK_MODEL_CACHE_DIR": str(workdir / "models"),
        "FLASK_REVIEW_TOKEN": token,
        "FLASK_TRAIN_IF_MISSING": "false",
        "FLASK_TRUSTED_PROXIES": "1",
        "FLASK_FEEDBACK_RATE_LIMIT": "10000 per minute",  # the storage attacks, not the limit
        **(env or {}),
    }
    env = {name: value for name, value in env.items() if value != ""}
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}"]
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield Target(url, token, workdir, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
