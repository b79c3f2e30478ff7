"""Same answers: /predict's readings by two versions of the code, drawing by drawing.

    git archive main FlaskApp | tar -x -C /tmp/before      # the code to compare against
    MNIST_DIR=... BENCH_DIR=... python -m benchmarks.same_answers --against /tmp/before/FlaskApp

Each version answers in its own process, from its own FlaskApp folder (`benchmarks.versions`:
the package layout or the flat one before it), through Flask's test client around the shipped
model.h5, the same drawings: `--n` canvas drawings of the shared benchmark
(`canvas.mnist_canvas_set`, MNIST's test digits as a browser sends them; needs BENCH_DIR and
MNIST_DIR), the project's sketches (`sketches.sketch_set`) and numbers of 1, 5 and 10 digits
written in them, apart and touching (`sketches.number_drawing`). It compares every field of
every answer, the 28x28s of `model_input` by their pixels (not by the PNG's bytes), prints
the differences and their count, and exits 1 when there is any. A check, not a test.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks import in_process, versions
from drawadigit.data import sketches

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = {"number 1": (1, False), "number 5": (5, False), "number 10": (10, False)}
NUMBERS["number 10 touching"] = (10, True)


def canvas_module(bench_dir: str):
    """The shared benchmark's canvas.py, loaded from its file (it is not part of the project)."""
    spec = importlib.util.spec_from_file_location("bench_canvas", Path(bench_dir) / "canvas.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def drawings(n: int, bench_dir: str | None, mnist_dir: str | None) -> list:
    """(name, PNG bytes) of every drawing compared, drawn once by this tree's code for both
    versions (in this process, which never builds either version's app)."""
    made = []
    if bench_dir and mnist_dir:
        canvas = canvas_module(bench_dir)
        for i, d in enumerate(canvas.mnist_canvas_set(mnist_dir, n, seed=26)):
            made.append((f"canvas {i} ({d.label})", d.png))
    made += [(f"sketch {i} ({d.label})", d.png) for i, d in enumerate(sketches.sketch_set(3))]
    rng = np.random.default_rng(26)
    for name, (count, touching) in NUMBERS.items():
        gaps = sketches.TOUCHING if touching else sketches.GAPS
        for i in range(max(1, n // 10)):
            number = "".join(str(d) for d in rng.integers(10, size=count))
            made.append(
                (f"{name} {i} ({number})", sketches.number_drawing(number, rng, gaps=gaps).png)
            )
    return made


def differences(before: dict, after: dict) -> list[str]:
    """One line per drawing whose answer differs."""
    lines = []
    for name, old in before.items():
        new = after.get(name)
        if new != old:
            keys = sorted(k for k in {*old[1], *new[1]} if old[1].get(k) != new[1].get(k))
            lines.append(f"{name}: {', '.join(keys)} differ: {old} -> {new}"[:600])
    return lines


def answers_of(code: Path, urls: dict[str, str], tmp: Path) -> dict:
    """Every drawing's [status, answer] by the version in the FlaskApp folder `code`."""
    with tempfile.TemporaryDirectory(dir=tmp) as own:  # its own model cache and store
        job = {"config": in_process.config(own), "drawings": urls}
        return versions.run(code.resolve(), "answering", job, Path(own))


def main(argv: list[str] | None = None) -> int:
    """Answer with both versions, compare, print the differences."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", type=Path, help="the FlaskApp folder to compare against")
    parser.add_argument("--n", type=int, default=500, help="canvas drawings")
    args = parser.parse_args(argv)
    if not args.against:
        parser.error("needs --against, the FlaskApp folder of the code to compare against")
    made = drawings(args.n, os.environ.get("BENCH_DIR"), os.environ.get("MNIST_DIR"))
    urls = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in made}
    with tempfile.TemporaryDirectory() as tmp:
        found = [answers_of(code, urls, Path(tmp)) for code in (args.against, ROOT / "FlaskApp")]
    lines = differences(*found)
    print("\n".join(lines))
    ok = sum(status == 200 for status, _ in found[1].values())
    print(
        f"{len(found[0])} drawings ({ok} answered 200): {len(lines)} answers differ between "
        f"{args.against} and {ROOT / 'FlaskApp'}"
    )
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
