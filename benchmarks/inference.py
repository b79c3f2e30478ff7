"""Single-digit inference cost on this machine: the model call alone, and the whole request path.

    python -m benchmarks.inference [--model model.h5] [--n 2000]

Prints median, 90th and 99th percentile milliseconds for one digit at a time (batch of one):
  * eager:    `model(x, training=False)`, Keras layer by layer in Python;
  * compiled: `tf_runtime.compiled(model)`, the traced graph of the TensorFlow runtime;
  * LiteRT:   the model converted to TensorFlow Lite (`lite.LiteForward`), what the server runs;
  * pipeline: decode a canvas PNG, normalise it, LiteRT model call;
  * reading: what /predict does besides JSON (`reading`: decode, segment, normalise, one batch
    through LiteRT, calibrate, refuse), for one digit and for an eight-digit number.
A benchmark, not a test: the figures depend on the machine; the README quotes them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import numpy as np

from drawadigit import reading, settings
from drawadigit.data import sketches
from drawadigit.model import lite, modelfile, tf_runtime
from drawadigit.reading import preprocessing


def timed(call, n: int) -> dict[str, float]:
    """Percentiles in milliseconds of `n` calls, after a warm-up."""
    for _ in range(min(50, n)):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    return {"p50": p50, "p90": p90, "p99": p99}


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=settings.load().model_path)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args(argv)
    model = tf_runtime.load(args.model)
    forward = tf_runtime.compiled(model)
    with tempfile.TemporaryDirectory() as cache:
        litert = lite.LiteForward(lite.converted(args.model, cache)[0])
    png = sketches.stroke_drawing(sketches.SKETCHES[(7, "crossed")], 7).png
    field = preprocessing.normalise_bytes(png)[None]
    x = tf_runtime.as_model_input(model, field)
    policy = reading.Policy.from_card(modelfile.load_card(args.model) or {})
    number = sketches.number_drawing("20261987", np.random.default_rng(0)).png
    rows = {
        "eager model(x)": timed(lambda: model(x, training=False).numpy(), args.n),
        "compiled": timed(lambda: forward(field), args.n),
        "LiteRT": timed(lambda: litert(field), args.n),
        "pipeline (decode+normalise+LiteRT)": timed(
            lambda: litert(preprocessing.normalise_bytes(png)[None]), args.n // 4
        ),
        "reading, one digit": timed(lambda: reading.read_bytes(png, litert, policy), args.n // 4),
        "reading, an 8-digit number": timed(
            lambda: reading.read_bytes(number, litert, policy), args.n // 10
        ),
    }
    print(f"{model.name} ({model.count_params():,} parameters), one digit per call, milliseconds")
    print(f"{'':<38}{'p50':>8}{'p90':>8}{'p99':>8}")
    for name, row in rows.items():
        print(f"{name:<38}" + "".join(f"{row[k]:>8.2f}" for k in ("p50", "p90", "p99")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
