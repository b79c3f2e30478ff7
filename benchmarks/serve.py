"""Serving benchmark: the production server (gunicorn) between a naive baseline and the floor,
in one run, so that its figures are ratios to servers measured minutes apart, not days.

    BENCH_DIR=../shared/bench python -m benchmarks.serve [--n 2000] [--workers 2] [--threads 2]
        [--servers litert,tensorflow,baseline,floor,litert-gthread]

The servers, all `gunicorn -c gunicorn.conf.py` with the same workers and threads:
production with LiteRT as shipped (its waitress worker) and with the TensorFlow runtime; the
baseline, the same app with `model.predict` per request (`benchmarks.baseline`); the floor,
a bare WSGI app that decodes the PNG, shrinks it to 28x28 and calls the same LiteRT model once,
on gunicorn's gthread worker (`benchmarks.floor`); and, when asked (`litert-gthread`),
production on the gthread worker, to see what the waitress worker costs. For each it measures
the time from start to a healthy /healthz (LiteRT: first with an empty conversion cache, then
again with model.h5 converted), runs `predict_bench.py` from BENCH_DIR at concurrency 1 and
16 (the load generator runs beside the server on the same machine), and reads each worker's
resident memory. Prints a table and the ratios the README quotes. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.load import ROOT, free_port, rss_mb, wait_healthy, workers_of
from drawadigit import settings

PRODUCTION = "drawadigit.web:create_app()"
TENSORFLOW = {"FLASK_RUNTIME": "tensorflow"}
# name: (how the table names it, the WSGI app, environment, gunicorn worker class or None)
SERVERS = {
    "tensorflow": ("production (TensorFlow)", PRODUCTION, TENSORFLOW, None),
    "baseline": ("baseline", "benchmarks.baseline:create_app()", TENSORFLOW, None),
    "floor": ("floor (bare WSGI, gthread)", "benchmarks.floor:create_app()", {}, "gthread"),
    "litert-gthread": ("production (LiteRT, gthread)", PRODUCTION, {}, "gthread"),
}
LITERT = "production (LiteRT)"


def start_server(
    app: str, args, env: dict, worker: str | None = None
) -> tuple[subprocess.Popen, str, float]:
    """Start gunicorn with the repo's settings (and another worker class, when given); the
    process, its URL and seconds to healthy."""
    port = free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        **env,
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}"]  # from the root: `benchmarks` imports
    command += ["--worker-class", worker, app] if worker else [app]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        return process, url, wait_healthy(url, process)
    except BaseException:
        process.kill()
        raise


def predict_bench(bench: Path, url: str, *options: str) -> str:
    """Run the workplace's predict_bench.py against `url`; its standard output."""
    command = [sys.executable, str(bench / "predict_bench.py"), "--url", url, *options]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def serve_and_measure(
    name: str, app: str, args, bench: Path, env: dict, worker: str | None = None
) -> list[dict]:
    """Start one server, measure it, stop it; one row per concurrency."""
    process, url, startup = start_server(app, args, env, worker)
    try:
        # Every worker answers once before the clock starts (each loads its own model).
        predict_bench(bench, url, "--n", "64", "--concurrency", str(args.workers * 4))
        report = json.loads(
            predict_bench(bench, url, "--n", str(args.n), "--concurrency", "1,16", "--json")
        )
        memory = [rss_mb(pid) for pid in workers_of(process.pid)]
    finally:
        process.terminate()
        process.wait(30)
    return [row(name, run, max(memory), startup) for run in report["runs"]]


def row(name: str, run: dict, rss: float, startup: float) -> dict:
    """One line of the table, from one run of predict_bench.py."""
    return {
        "server": name,
        "concurrency": run["concurrency"],
        "accuracy": run["accuracy"],
        "errors": sum(run["errors"].values()),
        "p50": run["p50_ms"],
        "p90": run["p90_ms"],
        "p99": run["p99_ms"],
        "req_s": run["req_per_s"],
        "rss_mb": rss,
        "startup_s": startup,
    }


def measure_all(args, bench: Path) -> tuple[list[dict], float]:
    """Every server's rows, and how long the production server takes to start once converted."""
    with tempfile.TemporaryDirectory() as cache:
        # An empty cache: the first start includes converting model.h5 for LiteRT.
        env = {"FLASK_MODEL_CACHE_DIR": cache}
        rows = serve_and_measure(LITERT, PRODUCTION, args, bench, env)
        process, _, warm_start = start_server(PRODUCTION, args, env)  # converted already
        process.terminate()
        process.wait(30)
        for key in args.servers:
            name, app, extra, worker = SERVERS[key]
            rows += serve_and_measure(name, app, args, bench, {**env, **extra}, worker)
    return rows, warm_start


def print_table(rows: list[dict], args, warm_start: float) -> None:
    """The rows as a Markdown table, and LiteRT against the baseline."""
    print(
        f"{args.n:,} drawings, {args.workers} workers x {args.threads} threads, "
        f"load generator on the same {os.cpu_count()}-core machine"
    )
    print(
        "| server | clients | accuracy | errors | p50 ms | p90 ms | p99 ms | req/s "
        "| RSS/worker MB | start to healthy s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['server']} | {r['concurrency']} | {r['accuracy']:.4f} | {r['errors']} | "
            f"{r['p50']:.1f} | {r['p90']:.1f} | {r['p99']:.1f} | {r['req_s']:.0f} | "
            f"{r['rss_mb']:.0f} | {r['startup_s']:.1f} |"
        )
    print(f"start to healthy with model.h5 already converted: {warm_start:.1f} s")
    print("\n".join(ratios(rows)))


def ratios(rows: list[dict]) -> list[str]:
    """Production (LiteRT) against the baseline and against the floor, clients by clients."""
    by = {(r["server"], r["concurrency"]): r for r in rows}
    lines = []
    for (server, clients), r in by.items():
        if server != LITERT:
            continue
        if b := by.get(("baseline", clients)):
            lines.append(
                f"clients {clients}: {r['req_s'] / b['req_s']:.1f}x the baseline's req/s, "
                f"p50 {b['p50'] / r['p50']:.1f}x lower"
            )
        for other in (SERVERS["floor"][0], SERVERS["litert-gthread"][0]):
            if f := by.get((other, clients)):
                lines.append(
                    f"clients {clients}: against {other}: p50 {r['p50'] / f['p50']:.2f}x, "
                    f"req/s {r['req_s'] / f['req_s']:.2f}x, p99 {r['p99'] / f['p99']:.2f}x, "
                    f"RSS {r['rss_mb'] / f['rss_mb']:.2f}x"
                )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Measure both servers and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench-dir", default=settings.load().bench_dir)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--servers",
        default="tensorflow,baseline,floor",
        help=f"beside production (LiteRT), comma-separated: {', '.join(SERVERS)}",
    )
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    wanted = [s for s in args.servers.split(",") if s]
    args.servers = [s for s in wanted if not (args.no_baseline and s == "baseline")]
    if unknown := set(args.servers) - set(SERVERS):
        parser.error(f"unknown servers {sorted(unknown)}: choose from {', '.join(SERVERS)}")
    if not args.bench_dir:
        parser.error("needs the folder of predict_bench.py: --bench-dir or BENCH_DIR")
    rows, warm_start = measure_all(args, Path(args.bench_dir))
    print_table(rows, args, warm_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
