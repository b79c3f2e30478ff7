"""Load: thousands of requests at high concurrency against the production server (gunicorn).

    python -m benchmarks.load [--requests 5000] [--concurrency 32] [--workers 2]

Starts `gunicorn -c gunicorn.conf.py` on a free port, sends canvas drawings (the project's own
sketches, a pool of PNG data URLs) to /predict from `--concurrency` threads with keep-alive
connections, and prints errors, requests per second, and each worker's resident memory after the
first 1,000 requests and at the end. A benchmark, not a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from drawadigit.data import sketches
from drawadigit.reading import preprocessing

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def workers_of(master: int) -> list[int]:
    """The gunicorn worker processes of a master."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until /healthz answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not become healthy in {timeout:.0f} s")


class Load:
    """Requests from many threads, each on a keep-alive connection of its own, and what came
    back: statuses, errors, and the workers' memory after `checkpoint` requests."""

    def __init__(self, port: int, bodies: list[bytes], checkpoint: int, master: int) -> None:
        self.port, self.bodies, self.checkpoint, self.master = port, bodies, checkpoint, master
        self.local, self.lock = threading.local(), threading.Lock()
        self.done = self.errors = 0
        self.statuses: dict[int, int] = {}
        self.memory: dict[str, dict[int, float]] = {}

    def connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        """This thread's connection (a new one after an error)."""
        if fresh or not hasattr(self.local, "conn"):
            self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.conn

    def one(self, i: int) -> None:
        """Send the i-th request and count its answer."""
        conn = self.connection()
        try:
            conn.request("POST", "/predict", self.bodies[i % len(self.bodies)], JSON)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            self.connection(fresh=True)
            status = 0
        with self.lock:
            self.count(status)

    def count(self, status: int) -> None:
        self.done += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.errors += status != 200
        if self.done == self.checkpoint:
            self.memory["after_checkpoint"] = self.workers_memory()

    def workers_memory(self) -> dict[int, float]:
        return {pid: rss_mb(pid) for pid in workers_of(self.master)}


JSON = {"Content-Type": "application/json"}


def run(args: argparse.Namespace) -> tuple[Load, float, float]:
    """Start gunicorn, send the requests; the load, seconds to healthy, seconds of sending."""
    bodies = [
        json.dumps({"image": preprocessing.to_data_url(d.png)}).encode()
        for d in sketches.sketch_set(10, seed=2)
    ]
    port = free_port()
    env = {**os.environ, "WEB_CONCURRENCY": str(args.workers)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        startup = wait_healthy(f"http://127.0.0.1:{port}", process)
        load = Load(port, bodies, args.checkpoint, process.pid)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(load.one, range(args.requests)))
        seconds = time.perf_counter() - started
        load.memory["at_end"] = load.workers_memory()
    finally:
        process.terminate()
        process.wait(30)
    return load, startup, seconds


def report(args: argparse.Namespace, load: Load, startup: float, seconds: float) -> None:
    """Print the figures."""
    print(f"{args.requests:,} requests at concurrency {args.concurrency}, {args.workers} workers")
    print(f"  start to healthy: {startup:.1f} s")
    print(f"  errors: {load.errors} (statuses {load.statuses})")
    print(f"  {args.requests / seconds:.0f} requests/s over {seconds:.1f} s")
    for pid, end in load.memory["at_end"].items():
        first = load.memory.get("after_checkpoint", {}).get(pid, float("nan"))
        growth = (end - first) / first * 100
        print(
            f"  worker {pid}: {first:.0f} MB after {args.checkpoint:,}, "
            f"{end:.0f} MB after {args.requests:,} ({growth:+.1f} %)"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the load and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checkpoint", type=int, default=1000)
    args = parser.parse_args(argv)
    load, startup, seconds = run(args)
    report(args, load, startup, seconds)
    return 1 if load.errors else 0


if __name__ == "__main__":
    sys.exit(main())
