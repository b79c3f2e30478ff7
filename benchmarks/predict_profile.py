"""Where /predict spends its time, stage by stage, in process (Flask's test client).

    python -m benchmarks.predict_profile [--n 60] [--cprofile 15] [--code OTHER/FlaskApp]

Builds the app around the shipped model.h5 (LiteRT), then posts drawings of a single digit, a
5-digit and a 10-digit number written in the project's sketches (`sketches.number_drawing`,
image only, as the shared benchmark sends them), the three lengths taking turns so that the
machine's noise falls on all alike. Each stage's function is wrapped in a timer that counts
its own time only (a stage called inside another, the model inside the cuts, is taken out of
the outer one), so the stages and "other" (Flask, Werkzeug, the view) add up to the request.
The app runs in a process of its own, from this tree's FlaskApp folder or `--code`'s (another
version's, to compare: `benchmarks.versions`, `benchmarks.stages`); the drawings are this
tree's. Prints, per length, the median milliseconds per request of each stage and its share;
with `--cprofile N`, cProfile's N functions of most own time over the same requests too.
A benchmark, not a test: the figures depend on the machine, the shares much less.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks import in_process, versions
from benchmarks.stages import KEYS
from drawadigit.data import sketches

ROOT = Path(__file__).resolve().parent.parent
LENGTHS = {"1 digit": 1, "5 digits": 5, "10 digits": 10}


def bodies(n: int, seed: int = 26) -> dict[str, list[str]]:
    """n /predict bodies of each length, random digits in random styles."""
    rng = np.random.default_rng(seed)
    made: dict[str, list[str]] = {}
    for name, count in LENGTHS.items():
        made[name] = []
        for _ in range(n):
            number = "".join(str(d) for d in rng.integers(10, size=count))
            png = sketches.number_drawing(number, rng).png
            image = "data:image/png;base64," + base64.b64encode(png).decode()
            made[name].append(json.dumps({"image": image}))
    return made


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
    parser.add_argument("--code", type=Path, help="the FlaskApp folder to profile; this tree's")
    args = parser.parse_args(argv)
    code = (args.code or ROOT / "FlaskApp").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        job = {"config": in_process.config(tmp), "bodies": bodies(args.n)}
        found = versions.run(code, "stages", {**job, "cprofile": args.cprofile}, Path(tmp))
    print(
        f"/predict in process ({args.code or 'this tree'}), median of {args.n} requests per length"
    )
    print("\n".join(table(found["rows"])))
    print(found["cprofile"], end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
