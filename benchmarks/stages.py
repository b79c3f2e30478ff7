"""One version's /predict, stage by stage, for `benchmarks.predict_profile`: run by
`versions.run` from that version's FlaskApp folder, never imported.

    python -c ... stages.py JOB OUT    # JOB: {"config", "bodies": {length: [body]}, "cprofile"}

Wraps each stage's functions in a timer, builds the app with `flaskapp.create_app(config)`,
posts the bodies through Flask's test client (each length's first once to warm up, then the
lengths taking turns) and writes to OUT, per length, one {stage: seconds, "total": seconds}
per request, and with `cprofile` N, cProfile's N functions of most own time as text.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import json
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

# Stage: the functions whose time it is ("module.function" or "module.Class.method"); each is
# wrapped where it is looked up, so every name that reaches it must be listed.
STAGES = {
    "parse (JSON, base64)": ["views.sent_drawing", "api.sent_drawing"],
    "decode": ["preprocessing.decode"],
    "ink": ["preprocessing.ink"],
    "segmentation": ["segmentation.segment", "stroke_groups.segment"],
    "normalisation": ["preprocessing.normalise_ink", "preprocessing.fit_and_centre"],
    "normalisation: stroke width": ["preprocessing._depth", "preprocessing._width"],
    "separators": ["separators.glyph", "separators.mark"],
    "cuts (columns, runs of strokes)": ["cuts.cut", "stroke_groups.runs"],
    "model call": ["serving.ModelService.classify"],
    "calibration": ["calibration.calibrated"],
    "answer as a dict": ["answers.Answer.as_dict", "result.Reading.as_dict"],
    "model_input PNGs": ["answers.model_input", "result.model_input"],
    "JSON answer": ["views.jsonify"],
    "rate limiting": ["flask_limiter.Limiter._check_request_limit"],
}
# Where the flat layout's modules live in the package (`drawadigit/`).
PACKAGED = {
    "views": "drawadigit.web.views",
    "api": "drawadigit.web.api",
    "preprocessing": "drawadigit.reading.preprocessing",
    "segmentation": "drawadigit.reading.segmentation",
    "stroke_groups": "drawadigit.reading.stroke_groups",
    "separators": "drawadigit.reading.separators",
    "cuts": "drawadigit.reading.cuts",
    "serving": "drawadigit.model.serving",
    "calibration": "drawadigit.reading.calibration",
    "answers": "drawadigit.reading.answers",  # before the one result type
    "result": "drawadigit.reading.result",
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


def install(clock: Clock, packaged: bool) -> None:
    """Wrap every stage's functions in their modules (or classes), the package's modules or the
    flat layout's."""
    for stage, names in STAGES.items():
        for name in names:
            module_name, *owner, attr = name.split(".")
            if packaged:
                module_name = PACKAGED.get(module_name, module_name)
            try:
                target = importlib.import_module(module_name)
            except ModuleNotFoundError:  # another version may not have it
                continue
            for part in owner:
                target = getattr(target, part)
            if hasattr(target, attr):  # another version may not have it
                setattr(target, attr, clock.wrap(stage, getattr(target, attr)))


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


def cprofiled(client, made: dict[str, list[bytes]], n: int) -> str:
    """cProfile's `n` functions of most own time over the same requests, as text."""
    profiler = cProfile.Profile()
    profiler.runcall(measure, client, Clock(), made)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(n)
    return text.getvalue()


def profile(job: dict) -> dict:
    """The job's rows (and cProfile's text), by the version that runs this."""
    made = {name: [b.encode() for b in sent] for name, sent in job["bodies"].items()}
    clock = Clock()
    install(clock, packaged=Path("drawadigit").is_dir())  # before the app: flask-limiter
    import flaskapp  # this version's: its folder is first on the path

    app = flaskapp.create_app(job["config"])
    client = app.test_client()
    for sent in made.values():  # warm up: imports, caches, the first call of each path
        post(client, sent[0])
    rows = measure(client, clock, made)
    text = cprofiled(client, made, job["cprofile"]) if job["cprofile"] else ""
    store = (
        app.extensions.get("corrections_store") or app.extensions["feedback_store"]
    )  # older versions: "feedback_store"
    store.close()
    return {"rows": rows, "cprofile": text}


if __name__ == "__main__":
    job, out = (Path(a) for a in sys.argv[1:3])
    out.write_text(json.dumps(profile(json.loads(job.read_text()))))
