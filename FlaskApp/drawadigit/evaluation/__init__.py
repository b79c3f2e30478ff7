"""Evaluate a model file: how well it reads MNIST, canvas drawings and the project's own sketches.

    python -m drawadigit.evaluation [--model model.h5] [--mnist-dir DIR] [--bench-dir DIR]
                                  [--canvas-n 2000] [--out docs/evaluation] [--no-card]

Prints, and writes to `--out`:
  * MNIST test accuracy, as MNIST has the digits and passed through the drawing pipeline;
  * per-digit precision and recall (scikit-learn), and the confusion matrix (printed, and drawn
    to confusion_matrix.png with matplotlib);
  * accuracy on the shared canvas drawings (`canvas.py` in `--bench-dir`, default $BENCH_DIR),
    decoded and normalised in-process exactly as the server does, overall and per style and pen;
  * accuracy on `sketches.sketch_set`, digits drawn from strokes of the project's own making in
    styles MNIST barely has (slashed zero, flagged one, crossed seven, open four, ...);
  * worst_mistakes.png: the test digits the model got wrong most confidently;
  * what the app reads, through the whole reading pipeline (`reading`: segmentation, refusal):
    single digits wrongly refused (MNIST test, canvas set, sketches); the refusal rate on
    held-out negatives of each kind (`negatives`, letters in fonts training never saw), drawn
    on canvases; numbers of 2-8 digits read exactly, composed from MNIST test digits and from
    our sketches (`sketches.number_set`); the calibration error before and after the
    temperature, on MNIST test digits and held-out negatives; worst_refusals.png and
    worst_numbers.png;
  * real pen writing (`--unipen-dir`, default $UNIPEN_DIR; skipped without it): the UNIPEN
    share's held-out writers' digits read right and wrongly refused, their letters, symbols
    (at real size beside a digit) and words refused, writers weighing evenly
    (`real_pen`, `real_numbers`), and worst_pen_writing.png; `--pen-only` evaluates that part alone;
  * report.json with all of it, also stored as the "evaluation" of the model card (model.json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from drawadigit import settings as app_settings
from drawadigit.data import mnist, sketches
from drawadigit.evaluation import figures, real_numbers, real_pen, scores
from drawadigit.evaluation import printout as text
from drawadigit.evaluation.figures import confusion_figure, worst_figure
from drawadigit.evaluation.scores import predict
from drawadigit.model import modelfile, tf_runtime
from drawadigit.settings import Settings

# The figures and `predict` are the notebook's too.
__all__ = [
    "Sizes",
    "Sources",
    "confusion_figure",
    "evaluate",
    "evaluate_pen",
    "main",
    "predict",
    "store_in_card",
    "worst_figure",
]

DEFAULT_OUT = app_settings.ROOT / "docs" / "evaluation"
CANVAS_N = 2000
SKETCHES_PER_VARIANT = 20
NEGATIVES_PER_KIND = 300
NUMBERS_PER_SOURCE = 210  # numbers of 2-8 digits, 30 of each length
CALIBRATION_NEGATIVES = 2000
PEN_N = 1000  # drawings of each kind of real pen writing, at most


@dataclass(frozen=True)
class Sources:
    """The folders beside MNIST that the evaluation reads, when given: the shared benchmark's
    (`canvas.py`) and the UNIPEN share of real pen writing."""

    bench_dir: str | os.PathLike | None = None
    unipen_dir: str | os.PathLike | None = None


@dataclass(frozen=True)
class Sizes:
    """How many drawings each part of the evaluation reads."""

    canvas_n: int = CANVAS_N
    sketches_per_variant: int = SKETCHES_PER_VARIANT
    negatives_per_kind: int = NEGATIVES_PER_KIND
    numbers_per_source: int = NUMBERS_PER_SOURCE
    pen_n: int = PEN_N


def evaluate(
    model_path: str | os.PathLike,
    mnist_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    sources: Sources = Sources(),
    sizes: Sizes = Sizes(),
    report: text.Report = print,
) -> dict:
    """Run the whole evaluation; return the report (also written to `out`/report.json)."""
    out, model = _opened(model_path, out)
    x_test, y_test = mnist.load_split(mnist_dir, "test")
    mnist_part = scores.mnist_scores(model, x_test, y_test)
    text.report_mnist(report, mnist_part, y_test)
    result = {
        "model": str(Path(model_path).name),
        "date": _now(),
        **mnist_part.summary(figures.draw_mnist(out, mnist_part, y_test)),
    }
    read = scores.reader(model, model_path)
    drawn, refusals = _drawings(read, mnist_dir, sources.bench_dir, sizes, report)
    result.update(drawn)
    kinds, accepted = scores.refusal_scores(read, sizes.negatives_per_kind)
    calibration = scores.calibration_scores(
        model, model_path, x_test, y_test, CALIBRATION_NEGATIVES
    )
    text.report_refusal(report, kinds, sizes.negatives_per_kind, calibration)
    numbers, wrong = scores.all_numbers_scores(read, x_test, y_test, sizes.numbers_per_source)
    text.report_numbers(report, numbers)
    figures.draw_reading(out, refusals, accepted, wrong)
    result["refusal"] = {"per_kind": kinds, **calibration}
    result["numbers"] = numbers
    result["pen_writing"] = _pen(read, sources.unipen_dir, sizes, out, report)
    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    text.report_written(report, out)
    return result


def evaluate_pen(
    model_path: str | os.PathLike,
    unipen_dir: str | os.PathLike,
    out: str | os.PathLike,
    sizes: Sizes = Sizes(),
    report: text.Report = print,
    writers: str = "test",
) -> dict:
    """Real pen writing alone (`--pen-only`) by the writers of split `writers`: the report,
    also written to `out`/report.json."""
    out, model = _opened(model_path, out)
    result = {"model": str(Path(model_path).name), "date": _now()}
    read = scores.reader(model, model_path)
    result["pen_writing"] = _pen(read, unipen_dir, sizes, out, report, writers)
    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    report(f"Wrote {out}/worst_pen_writing.png, worst_pen_numbers.png and report.json")
    return result


def _opened(model_path: str | os.PathLike, out: str | os.PathLike) -> tuple[Path, object]:
    """The output folder, made, and the model, loaded."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out, tf_runtime.load(model_path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _pen(
    read: scores.Reader, unipen_dir, sizes: Sizes, out: Path, report, writers: str = "test"
) -> dict | None:
    """Real pen writing (`real_pen`, `real_numbers`) by the writers of split `writers`, when a
    share is given; its figures."""
    if not unipen_dir:
        real_pen.report_pen(report, None, unipen_dir)
        return None
    pen = real_pen.pen_scores(read, unipen_dir, sizes.pen_n, writers=writers)
    real_pen.report_pen(report, pen, unipen_dir)
    real_pen.pen_figure(pen.pop("worst")).savefig(out / "worst_pen_writing.png")
    numbers = real_numbers.number_scores(read, unipen_dir, sizes.pen_n, writers=writers)
    real_numbers.report_numbers(report, numbers)
    real_numbers.numbers_figure(numbers.pop("worst")).savefig(out / "worst_pen_numbers.png")
    return {**pen, "numbers": numbers}


def _drawings(
    read: scores.Reader, mnist_dir, bench_dir, sizes: Sizes, report: text.Report
) -> tuple[dict, list]:
    """The canvas set (given a bench folder) and our sketches, read as the server reads them;
    and the digits among them that were refused."""
    parts, refusals = {}, []
    canvas = None
    if bench_dir:
        canvas = scores.canvas_scores(read, bench_dir, mnist_dir, sizes.canvas_n)
        refusals += canvas.pop("refusals")
        parts["canvas"] = canvas
    text.report_canvas(report, canvas, bench_dir, sizes.canvas_n)
    own = scores.sketch_scores(read, sizes.sketches_per_variant)
    refusals += own.pop("refusals")
    text.report_sketches(report, own, len(sketches.SKETCHES))
    parts["sketches"] = own
    return parts, refusals


def store_in_card(model_path: str | os.PathLike, result: dict) -> bool:
    """Record the evaluation in the model's card, when the card describes this very file."""
    card = modelfile.load_card(model_path)
    if card is None or card.get("file", {}).get("sha256") != modelfile.file_sha256(model_path):
        return False
    summary = {k: v for k, v in result.items() if k not in ("confusion_matrix", "worst_mistakes")}
    for part in ("canvas", "sketches", "numbers"):
        if part in summary:
            summary[part] = {k: v for k, v in summary[part].items() if k != "misread"}
    card["evaluation"] = {**card.get("evaluation", {}), **summary}  # --pen-only: that part
    modelfile.save_card(card, model_path)
    return True


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict:
    """What the command line takes from the app's settings (`settings`): the defaults of --model,
    --mnist-dir and --bench-dir (MODEL_PATH, MNIST_DIR, BENCH_DIR), and MNIST_MIRRORS."""
    given = Settings.from_environ(os.environ if environ is None else environ)
    return {
        "model_path": given.model_path,
        "mnist_dir": given.mnist_dir,
        "bench_dir": given.bench_dir,
        "unipen_dir": given.unipen_dir,
        "mirrors": given.mnist_mirrors,
    }


def _parser(settings: dict) -> argparse.ArgumentParser:
    """The command line's options, with defaults from `settings`."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=settings["model_path"])
    parser.add_argument("--mnist-dir", default=settings["mnist_dir"])
    parser.add_argument(
        "--bench-dir",
        default=settings["bench_dir"],
        help="folder holding canvas.py (default: $BENCH_DIR; without it the canvas set is skipped)",
    )
    parser.add_argument(
        "--unipen-dir",
        default=settings["unipen_dir"],
        help="the UNIPEN share (default: $UNIPEN_DIR; without it real pen writing is skipped)",
    )
    parser.add_argument("--pen-n", type=int, default=PEN_N, help="real pen drawings per kind")
    parser.add_argument("--pen-only", action="store_true", help="evaluate real pen writing alone")
    parser.add_argument(
        "--writers",
        choices=("test", "validation"),
        default="test",
        help="with --pen-only: the held-out writers to read (validation: to develop on; "
        "never stored in the card)",
    )
    parser.add_argument("--canvas-n", type=int, default=CANVAS_N)
    parser.add_argument("--sketches", type=int, default=SKETCHES_PER_VARIANT, help="per variant")
    parser.add_argument("--negatives", type=int, default=NEGATIVES_PER_KIND, help="per kind")
    parser.add_argument("--numbers", type=int, default=NUMBERS_PER_SOURCE, help="per source")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--no-card", action="store_true", help="leave model.json as it is")
    return parser


def _problem(args: argparse.Namespace) -> str:
    """What is wrong with the options, or ""."""
    if args.pen_only and not args.unipen_dir:
        return "--pen-only needs the UNIPEN share: set UNIPEN_DIR or --unipen-dir"
    if args.writers != "test" and not args.pen_only:
        return "--writers validation goes with --pen-only"
    return ""


def main(argv: list[str] | None = None) -> int:
    """Command line: evaluate a model file."""
    settings = settings_from_environment()
    args = _parser(settings).parse_args(argv)
    problem = _problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    mnist.ensure_files(args.mnist_dir, settings["mirrors"], progress=print)
    sizes = Sizes(args.canvas_n, args.sketches, args.negatives, args.numbers, args.pen_n)
    if args.pen_only:
        result = evaluate_pen(args.model, args.unipen_dir, args.out, sizes, writers=args.writers)
    else:
        result = evaluate(
            args.model,
            args.mnist_dir,
            args.out,
            sources=Sources(args.bench_dir, args.unipen_dir),
            sizes=sizes,
        )
    if args.writers == "test" and not args.no_card and store_in_card(args.model, result):
        print(f"Stored the evaluation in {modelfile.card_path(args.model)}")
    return 0
