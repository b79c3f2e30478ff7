"""Same answers: /predict's readings by two versions of the code, drawing by drawing.

    git archive main FlaskApp | tar -x -C /tmp/before      # the code to compare against
    MNIST_DIR=... BENCH_DIR=... python benchmarks/same_answers.py --against /tmp/before/FlaskApp

Each version answers in its own process (`--dump`), through Flask's test client around the
shipped model.h5, the same drawings: `--n` canvas drawings of the shared benchmark
(`canvas.mnist_canvas_set`, MNIST's test digits as a browser sends them; needs BENCH_DIR and
MNIST_DIR), the project's sketches (`sketches.sketch_set`) and numbers of 1, 5 and 10 digits
written in them, apart and touching (`sketches.number_drawing`). It compares every field of
every answer, the 28x28s of `model_input` by their pixels (not by the PNG's bytes), prints
the differences and their count, and exits 1 when there is any. A check, not a test.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import in_process
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = {"number 1": (1, False), "number 5": (5, False), "number 10": (10, False)}
NUMBERS["number 10 touching"] = (10, True)


def drawings(n: int, bench_dir: str | None, mnist_dir: str | None) -> list:
    """(name, PNG bytes) of every drawing compared, drawn once by this tree's code for both
    versions (in this process, which never imports either version's app)."""
    sys.path.insert(0, str(ROOT / "FlaskApp"))
    from drawadigit.data import sketches

    made = []
    if bench_dir and mnist_dir:
        sys.path.insert(0, bench_dir)
        import canvas

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


def pixels(url: str) -> str:
    """A digest of the pixels of a PNG data URL."""
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    grey = np.asarray(image.convert("L"))
    return f"{grey.shape} {hashlib.sha256(grey.tobytes()).hexdigest()[:16]}"


def comparable(answer: dict) -> dict:
    """An answer with each `model_input` replaced by its pixels' digest."""
    out = dict(answer)
    if "model_input" in out:
        out["model_input"] = pixels(out["model_input"])
    out["digits"] = [comparable(d) for d in out.get("digits", [])]
    return out


def dump(code: Path, out: Path, made: dict[str, str]) -> None:
    """Every drawing's answer by the code in `code` (a FlaskApp folder), written to `out`."""
    sys.path.insert(0, str(code))
    from drawadigit import web

    with tempfile.TemporaryDirectory() as tmp:
        app = web.create_app(in_process.config(tmp))
        client = app.test_client()
        answers = {}
        for name, image in made.items():
            response = client.post("/predict", json={"image": image})
            answers[name] = [response.status_code, comparable(response.get_json())]
        app.extensions["corrections_store"].close()
    out.write_text(json.dumps(answers))


def differences(before: dict, after: dict) -> list[str]:
    """One line per drawing whose answer differs."""
    lines = []
    for name, old in before.items():
        new = after.get(name)
        if new != old:
            keys = sorted(k for k in {*old[1], *new[1]} if old[1].get(k) != new[1].get(k))
            lines.append(f"{name}: {', '.join(keys)} differ: {old} -> {new}"[:600])
    return lines


def main(argv: list[str] | None = None) -> int:
    """Answer with both versions, compare, print the differences."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", type=Path, help="the FlaskApp folder to compare against")
    parser.add_argument("--n", type=int, default=500, help="canvas drawings")
    parser.add_argument("--dump", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dump:  # code, drawings, out: one version answering
        code, made, out = args.dump
        dump(code.resolve(), out, json.loads(made.read_text()))
        return 0
    if not args.against:
        parser.error("needs --against, the FlaskApp folder of the code to compare against")
    made = drawings(args.n, os.environ.get("BENCH_DIR"), os.environ.get("MNIST_DIR"))
    with tempfile.TemporaryDirectory() as tmp:
        sent = Path(tmp) / "drawings.json"
        urls = {
            name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in made
        }
        sent.write_text(json.dumps(urls))
        found = []
        for code in (args.against, ROOT / "FlaskApp"):
            out = Path(tmp) / f"{len(found)}.json"
            command = [sys.executable, __file__, "--dump", str(code), str(sent), str(out)]
            subprocess.run(command, check=True, cwd=ROOT)
            found.append(json.loads(out.read_text()))
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
