"""Load: thousands of requests at high concurrency against the production server (gunicorn).

    python benchmarks/load.py [--requests 5000] [--concurrency 32] [--workers 2]

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "FlaskApp"))

import preprocessing
import sketches

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


def main(argv: list[str] | None = None) -> int:
    """Run the load and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checkpoint", type=int, default=1000)
    args = parser.parse_args(argv)

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
        local = threading.local()
        lock = threading.Lock()
        counts = {"done": 0, "errors": 0}
        statuses: dict[int, int] = {}
        memory: dict[str, dict[int, float]] = {}

        def one(i: int) -> None:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                local.conn.request(
                    "POST",
                    "/predict",
                    bodies[i % len(bodies)],
                    {"Content-Type": "application/json"},
                )
                response = local.conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                local.conn.close()
                local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            with lock:
                counts["done"] += 1
                statuses[status] = statuses.get(status, 0) + 1
                if status != 200:
                    counts["errors"] += 1
                if counts["done"] == args.checkpoint:
                    memory["after_checkpoint"] = {p: rss_mb(p) for p in workers_of(process.pid)}

        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(one, range(args.requests)))
        seconds = time.perf_counter() - started
        memory["at_end"] = {p: rss_mb(p) for p in workers_of(process.pid)}
    finally:
        process.terminate()
        process.wait(30)

    print(f"{args.requests:,} requests at concurrency {args.concurrency}, {args.workers} workers")
    print(f"  start to healthy: {startup:.1f} s")
    print(f"  errors: {counts['errors']} (statuses {statuses})")
    print(f"  {args.requests / seconds:.0f} requests/s over {seconds:.1f} s")
    for pid, end in memory["at_end"].items():
        first = memory.get("after_checkpoint", {}).get(pid, float("nan"))
        growth = (end - first) / first * 100
        print(
            f"  worker {pid}: {first:.0f} MB after {args.checkpoint:,}, "
            f"{end:.0f} MB after {args.requests:,} ({growth:+.1f} %)"
        )
    return 1 if counts["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
