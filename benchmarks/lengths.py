"""What a number costs against a single digit, through the production server, in one run.

    python benchmarks/lengths.py [--n 200] [--workers 2] [--threads 2]

Starts `gunicorn -c gunicorn.conf.py` (LiteRT, as shipped), then posts drawings of numbers of
1, 5 and 10 digits written in the project's sketches (apart, and 10 touching), one client, one
keep-alive connection, the lengths taking turns request by request (1, 5, 10, 10 touching, 1,
...) so that the machine's noise falls on all alike. Prints p50 and p90 per length and each
p50 as a ratio to the single digit's (issue 24: a 10-digit number at most 3 times a digit).
A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "FlaskApp"))

import numpy as np
import sketches
from serve import start_server

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


def measure(url: str, made: dict[str, list[bytes]]) -> dict[str, list[float]]:
    """Every body posted once, the kinds in turn; milliseconds per kind."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    times: dict[str, list[float]] = {name: [] for name in made}
    for kind in made.values():  # every worker warm on every kind before the clock
        for body in kind[:8]:
            timed(connection, body)
    for i in range(len(next(iter(made.values())))):
        for name, kind in made.items():
            times[name].append(timed(connection, kind[i]))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="drawings of each length")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    made = bodies(args.n)
    process, url, _ = start_server("flaskapp:create_app()", args, {})
    try:
        times = measure(url, made)
    finally:
        process.terminate()
        process.wait(30)
    single = float(np.percentile(times["1 digit"], 50))
    print(f"{args.n} drawings of each, 1 client, {args.workers} workers x {args.threads} threads")
    print("| drawing | p50 ms | p90 ms | p50 / 1 digit |\n| --- | ---: | ---: | ---: |")
    for name, ms in times.items():
        p50, p90 = np.percentile(ms, [50, 90])
        print(f"| {name} | {p50:.1f} | {p90:.1f} | {p50 / single:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
