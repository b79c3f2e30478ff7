"""What a number costs against a single digit, through the production server, in one run.

    python -m benchmarks.lengths [--n 200] [--workers 2] [--threads 2] [--against DIR]

Starts `gunicorn -c gunicorn.conf.py` (LiteRT, as shipped), then posts drawings of numbers of
1, 5 and 10 digits written in the project's sketches (apart, and 10 touching), one client, one
keep-alive connection, the lengths taking turns request by request (1, 5, 10, 10 touching, 1,
...) so that the machine's noise falls on all alike. Prints p50 and p90 per length and each
p50 as a ratio to the single digit's (issue 24: a 10-digit number at most 3 times a digit).
With `--against DIR` (another checkout of the project, with its own model.h5: for instance a
`git worktree` of an older commit), its production server runs too, every drawing is posted
to both in turn, and each p50 is also given as a ratio to that version's (issue 23: a single
digit at most 1.2 times the version before). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.load import free_port, wait_healthy
from drawadigit.data import sketches

KINDS = {  # name: (digits, gaps between them as a share of a digit's width)
    "1 digit": (1, sketches.GAPS),
    "5 digits": (5, sketches.GAPS),
    "10 digits": (10, sketches.GAPS),
    "10 digits touching": (10, sketches.TOUCHING),
}


def bodies(n: int, seed: int = 24) -> dict[str, list[bytes]]:
    """n request bodies of each kind, random digits in random styles."""
    rng = np.random.default_rng(seed)
    made: dict[str, list[bytes]] = {}
    for name, (count, gaps) in KINDS.items():
        made[name] = []
        for _ in range(n):
            number = "".join(str(d) for d in rng.integers(10, size=count))
            png = sketches.number_drawing(number, rng, gaps=gaps).png
            image = "data:image/png;base64," + base64.b64encode(png).decode()
            made[name].append(json.dumps({"image": image}).encode())
    return made


def timed(connection: http.client.HTTPConnection, body: bytes) -> float:
    """Milliseconds for one /predict."""
    started = time.perf_counter()
    connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise SystemExit(f"/predict answered {response.status}")
    return (time.perf_counter() - started) * 1000


def started(root: Path, args) -> tuple[subprocess.Popen, http.client.HTTPConnection]:
    """The production server of the checkout at `root`, healthy, and a connection to it."""
    port = free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
    }
    # From its FlaskApp folder, which `python -m` puts first on the import path: that
    # checkout's code, flat or packaged, served as its own gunicorn.conf.py says.
    command = [sys.executable, "-m", "gunicorn", "-c", str(root / "gunicorn.conf.py")]
    command += ["--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        command,
        cwd=root / "FlaskApp",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
    except BaseException:
        process.kill()
        raise
    return process, http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def measure(
    servers: dict[str, http.client.HTTPConnection], made: dict[str, list[bytes]]
) -> dict[tuple[str, str], list[float]]:
    """Every body posted once to every server, kinds and servers in turn; milliseconds per
    (server, kind)."""
    times: dict[tuple[str, str], list[float]] = {}
    for connection in servers.values():  # every worker warm on every kind before the clock
        for kind in made.values():
            for body in kind[:8]:
                timed(connection, body)
    for i in range(len(next(iter(made.values())))):
        for name, kind in made.items():
            for server, connection in servers.items():
                times.setdefault((server, name), []).append(timed(connection, kind[i]))
    return times


def report(times: dict[tuple[str, str], list[float]], args) -> None:
    """The table: p50 and p90 per server and kind, ratios to a digit and to the other version."""
    print(f"{args.n} drawings of each, 1 client, {args.workers} workers x {args.threads} threads")
    print("| server | drawing | p50 ms | p90 ms | p50 / 1 digit | p50 / other version |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (server, name), ms in times.items():
        p50, p90 = np.percentile(ms, [50, 90])
        single = np.percentile(times[(server, "1 digit")], 50)
        other = [np.percentile(v, 50) for (s, n), v in times.items() if n == name and s != server]
        versus = f"{p50 / other[0]:.2f}x" if other else "-"
        print(f"| {server} | {name} | {p50:.1f} | {p90:.1f} | {p50 / single:.2f}x | {versus} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="drawings of each length")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--against", type=Path, help="another checkout's folder, to compare")
    args = parser.parse_args(argv)
    made = bodies(args.n)
    roots = {"this": Path(__file__).resolve().parent.parent}
    if args.against:
        roots["other"] = args.against.resolve()
    processes, servers = [], {}
    try:
        for name, root in roots.items():
            process, servers[name] = started(root, args)
            processes.append(process)
        report(measure(servers, made), args)
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
