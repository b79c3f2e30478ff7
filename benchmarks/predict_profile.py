"""Where /predict spends its time, stage by stage, in process (Flask's test client).

    python benchmarks/predict_profile.py [--n 60] [--cprofile 15] [--code OTHER/FlaskApp]

Builds the app around the shipped model.h5 (LiteRT), then posts drawings of a single digit, a
5-digit and a 10-digit number written in the project's sketches (`sketches.number_drawing`,
image only, as the shared benchmark sends them), the three lengths taking turns so that the
machine's noise falls on all alike. Each stage's function is wrapped in a timer that counts
its own time only (a stage called inside another, the model inside the cuts, is taken out of
the outer one), so the stages and "other" (Flask, Werkzeug, the view) add up to the request.
Prints, per length, the median milliseconds per request of each stage and its share; with
`--cprofile N`, cProfile's N functions of most own time over the same requests too.
A benchmark, not a test: the figures depend on the machine, the shares much less.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import importlib
import json
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

# --code: the FlaskApp folder to profile (another version's, to compare); this tree's otherwise.
sys.path.insert(
    0,
    sys.argv[sys.argv.index("--code") + 1]
    if "--code" in sys.argv
    else str(Path(__file__).resolve().parent.parent / "FlaskApp"),
)

import in_process
import numpy as np

from drawadigit import web
from drawadigit.data import sketches

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = {"1 digit": 1, "5 digits": 5, "10 digits": 10}
# Stage: the functions whose time it is ("module.function" or "module.Class.method"); each is
# wrapped where it is looked up, so every name that reaches it must be listed.
STAGES = {
    "parse (JSON, base64)": ["views.sent_drawing"],
    "decode": ["preprocessing.decode"],
    "ink": ["preprocessing.ink"],
    "segmentation": ["segmentation.segment", "stroke_groups.segment"],
    "normalisation": ["preprocessing.normalise_ink", "preprocessing.fit_and_centre"],
    "normalisation: stroke width": ["preprocessing._depth", "preprocessing._width"],
    "separators": ["separators.glyph", "separators.mark"],
    "cuts (columns, runs of strokes)": ["cuts.cut", "stroke_groups.runs"],
    "model call": ["serving.ModelService.classify"],
    "calibration": ["calibration.calibrated"],
    "answer as a dict": ["answers.Answer.as_dict"],
    "model_input PNGs": ["answers.model_input"],
    "JSON answer": ["views.jsonify"],
    "rate limiting": ["flask_limiter.Limiter._check_request_limit"],
}


OTHER = "other (Flask, the view, reading's own steps)"
KEYS = [*STAGES, OTHER, "total"]


class Clock:
    """Own time per stage: a stage entered inside another pauses the outer one."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._stack: list[list] = []  # [stage, started, inner time]

    def wrap(self, stage: str, fn):
        """`fn`, its time counted to `stage`."""

        def timed(*args, **kwargs):
            self._stack.append([stage, time.perf_counter(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                name, started, inner = self._stack.pop()
                took = time.perf_counter() - started
                self.spent[name] += took - inner
                if self._stack:
                    self._stack[-1][2] += took

        timed.__wrapped__ = fn
        return timed


def install(clock: Clock) -> None:
    """Wrap every stage's functions in their modules (or classes)."""
    for stage, names in STAGES.items():
        for name in names:
            module_name, *owner, attr = name.split(".")
            try:
                target = importlib.import_module(module_name)
            except ModuleNotFoundError:  # another version may not have it
                continue
            for part in owner:
                target = getattr(target, part)
            if hasattr(target, attr):  # another version may not have it
                setattr(target, attr, clock.wrap(stage, getattr(target, attr)))


def bodies(n: int, seed: int = 26) -> dict[str, list[bytes]]:
    """n /predict bodies of each length, random digits in random styles."""
    rng = np.random.default_rng(seed)
    made: dict[str, list[bytes]] = {}
    for name, count in LENGTHS.items():
        made[name] = []
        for _ in range(n):
            number = "".join(str(d) for d in rng.integers(10, size=count))
            png = sketches.number_drawing(number, rng).png
            image = "data:image/png;base64," + base64.b64encode(png).decode()
            made[name].append(json.dumps({"image": image}).encode())
    return made


def post(client, body: bytes) -> None:
    """One /predict; stop on anything but 200."""
    response = client.post("/predict", data=body, content_type="application/json")
    if response.status_code != 200:
        raise SystemExit(f"/predict answered {response.status_code}: {response.get_data()[:200]}")


def measure(client, clock: Clock, made: dict[str, list[bytes]]) -> dict[str, list[dict]]:
    """Per length, one {stage: seconds, "total": seconds} per request, the lengths in turn."""
    rows: dict[str, list[dict]] = defaultdict(list)
    for i in range(len(next(iter(made.values())))):
        for name, sent in made.items():
            clock.spent.clear()
            started = time.perf_counter()
            post(client, sent[i])
            total = time.perf_counter() - started
            other = total - sum(clock.spent.values())
            rows[name].append({**clock.spent, OTHER: other, "total": total})
    return rows


def table(rows: dict[str, list[dict]]) -> list[str]:
    """A Markdown table: per stage and length, the median ms and the share of the request."""
    names = list(rows)
    lines = ["| stage | " + " | ".join(names) + " |", "| --- |" + " --- |" * len(names)]
    medians = {
        n: {k: float(np.median([r.get(k, 0.0) for r in rows[n]])) for k in KEYS} for n in names
    }
    for stage in KEYS:
        cells = []
        for n in names:
            ms, share = medians[n][stage] * 1000, medians[n][stage] / medians[n]["total"]
            cells.append(f"{ms:.2f} ms ({share:.0%})" if stage != "total" else f"{ms:.2f} ms")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    single = medians[names[0]]["total"]
    lines.append(
        "| ratio to 1 digit | "
        + " | ".join(f"{medians[n]['total'] / single:.2f}x" for n in names)
        + " |"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Profile /predict and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=60, help="requests of each length")
    parser.add_argument(
        "--cprofile",
        type=int,
        default=0,
        metavar="N",
        help="also print cProfile's N functions of most own time",
    )
    parser.add_argument("--code", help="the FlaskApp folder to profile; this tree's by default")
    args = parser.parse_args(argv)
    made = bodies(args.n)
    clock = Clock()
    install(clock)  # before the app: flask-limiter keeps its bound hook
    with tempfile.TemporaryDirectory() as tmp:
        app = web.create_app(in_process.config(tmp))
        client = app.test_client()
        for sent in made.values():  # warm up: imports, caches, the first call of each path
            post(client, sent[0])
        rows = measure(client, clock, made)
        code = args.code or "this tree"
        print(f"/predict in process ({code}), median of {args.n} requests per length")
        print("\n".join(table(rows)))
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.runcall(measure, client, Clock(), made)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.cprofile)
        app.extensions["corrections_store"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
