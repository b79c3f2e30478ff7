"""Abuse: the attacks a public server meets in its first week, against the production server.

    python benchmarks/abuse.py [--url http://127.0.0.1:5000] [--seconds 20] [--only slow-clients]

Without `--url` it starts `make run`'s server (`gunicorn -c gunicorn.conf.py`) on a free port
with a fresh SQLite database and a review token, runs each attack for a bounded time while a
normal client draws, and prints one row per attack: what was done, what the normal client saw,
and whether it held. A benchmark, not a test: the figures depend on the machine (the attackers
run beside the server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from load import ROOT, free_port, wait_healthy

sys.path.insert(0, str(ROOT / "FlaskApp"))

import preprocessing  # noqa: E402
import sketches  # noqa: E402

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

    def __init__(self, url: str, token: str = "", database: Path | None = None) -> None:
        self.url = url
        self.parts = urllib.parse.urlsplit(url)
        self.token = token
        self.database = database
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


async def slow_connection(target: Target, kind: str, cut: list[float], stop: asyncio.Event):
    """One attacking connection; appends the seconds after which the server cut it."""
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection(target.parts.hostname, target.parts.port)
    except OSError:
        return
    if kind == "never-reading":  # ask for the page again and again, never read the answers
        writer.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_RCVBUF, 4096
        )
    try:
        if kind == "slow-body":
            head = (
                f"POST /predict HTTP/1.1\r\nHost: {target.parts.netloc}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            )
            writer.write(head.encode())
        elif kind == "slow-header":
            writer.write(f"GET /healthz HTTP/1.1\r\nHost: {target.parts.netloc}\r\n".encode())
        while not stop.is_set():
            if kind == "never-reading":
                writer.write(
                    f"GET /static/app.js HTTP/1.1\r\nHost: {target.parts.netloc}\r\n\r\n".encode()
                    * 16
                )
            elif kind == "slow-header":
                writer.write(b"X")
            else:
                writer.write(b" ")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(writer.drain(), 1)
            if kind != "never-reading" and reader.at_eof():
                break
            with contextlib.suppress(TimeoutError):
                if kind != "never-reading" and await asyncio.wait_for(reader.read(1), 1) == b"":
                    break
            if writer.is_closing():
                break
            if kind == "never-reading":
                await asyncio.sleep(1)
        else:
            return
        cut.append(time.monotonic() - started)
    except OSError:
        cut.append(time.monotonic() - started)
    finally:
        writer.close()


async def hold_slow_connections(target: Target, counts: dict[str, int], seconds: float):
    """Open the attacking connections for `seconds`; per kind, when the server cut them."""
    stop = asyncio.Event()
    cuts = {kind: [] for kind in counts}
    tasks = [
        asyncio.create_task(slow_connection(target, kind, cuts[kind], stop))
        for kind, n in counts.items()
        for _ in range(n)
    ]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait(tasks, timeout=5)
    return cuts


def slow_clients(target: Target, args) -> list[Row]:
    """64 slow-header, 16 slow-body and 16 never-reading connections, a normal client beside."""
    counts = {"slow-header": 64, "slow-body": 16, "never-reading": 16}
    with normal_traffic(target) as summary:
        time.sleep(0.5)
        cuts = asyncio.run(hold_slow_connections(target, counts, args.seconds))
        normal, held = summary()
    done = ", ".join(
        f"{n} {kind} ({len(cuts[kind])} cut, after {percentile(cuts[kind], 0.5):.0f} s)"
        if cuts[kind]
        else f"{n} {kind} (none cut)"
        for kind, n in counts.items()
    )
    return [Row("slow and idle clients", f"{done}; {args.seconds:.0f} s", normal, held)]


ATTACKS = {"slow-clients": slow_clients}


@contextlib.contextmanager
def production_server(workdir: Path) -> Iterator[Target]:
    """`make run`'s server on a free port, with its own database and review token."""
    port = free_port()
    database = workdir / "feedback.sqlite3"
    token = "abuse-review-token"
    env = {
        **os.environ,
        "FLASK_DATABASE_URL": f"sqlite:///{database}",
        "FLASK_REVIEW_TOKEN": token,
        "FLASK_TRAIN_IF_MISSING": "false",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}"]
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield Target(url, token, database)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def main(argv: list[str] | None = None) -> int:
    """Run the attacks and print what held."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="attack this server instead of starting one")
    parser.add_argument("--seconds", type=float, default=20, help="how long each attack lasts")
    parser.add_argument("--only", choices=sorted(ATTACKS), action="append")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if args.url:
            target = Target(args.url)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            target = stack.enter_context(production_server(workdir))
        rows = []
        for name in args.only or ATTACKS:
            rows += ATTACKS[name](target, args)
            print(f"{name}: done", file=sys.stderr)
    print("| attack | what was done | normal client | held |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row.attack} | {row.done} | {row.normal} | {'yes' if row.held else 'NO'} |")
    return 0 if all(row.held for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
