"""The evaluation's printout: each part of the scores as lines handed to `report` (print)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report

from drawadigit.evaluation.scores import DIGIT_NAMES, MnistScores

Report = Callable[..., None]


def _table(report: Report, values: dict[str, float], width: int) -> None:
    """One indented line per name: the name padded to `width`, the value to four places."""
    for name, value in values.items():
        report(f"  {name:<{width}} {value:.4f}")


def report_mnist(report: Report, scores: MnistScores, y_test: np.ndarray) -> None:
    """MNIST test accuracy, per digit (scikit-learn's table) and the confusion matrix."""
    report(f"MNIST test accuracy: {scores.accuracy:.4f} ({len(y_test):,} digits)")
    report(
        f"MNIST test digits as drawn (through the drawing pipeline): {scores.drawn_accuracy:.4f}"
    )
    report("\nPer digit (scikit-learn):")
    report(
        classification_report(
            y_test, scores.predicted, target_names=DIGIT_NAMES, digits=4, zero_division=0
        )
    )
    report("Confusion matrix (rows: true digit, columns: predicted):")
    report("      " + "".join(f"{d:>6}" for d in range(10)))
    for d, row in enumerate(scores.matrix):
        report(f"{d:>6}" + "".join(f"{n:>6}" for n in row))


def report_canvas(report: Report, scores: dict | None, bench_dir, n: int) -> None:
    """The shared canvas set's accuracy per style and pen weight, or that it was skipped."""
    if scores is None:
        report("\nShared canvas set: skipped (no --bench-dir and no $BENCH_DIR)")
        return
    report(f"\nShared canvas set ({bench_dir}/canvas.py, {n:,} drawings, in-process):")
    report(f"  overall {scores['accuracy']:.4f}, wrongly refused {scores['refused']:.4f}")
    _table(report, scores["per_style"], 20)
    _table(report, scores["per_weight"], 20)


def report_sketches(report: Report, scores: dict, ways: int) -> None:
    """Our own sketches' accuracy per way of writing (`ways` of them)."""
    report(f"\nOwn sketches ({scores['n']} drawings, {ways} ways to write):")
    report(f"  overall {scores['accuracy']:.4f}, wrongly refused {scores['refused']:.4f}")
    _table(report, scores["per_variant"], 16)


def report_refusal(report: Report, per_kind: dict, n: int, calibration: dict) -> None:
    """Held-out negatives refused per kind; pairs and the calibration, for a model that refuses."""
    report(f"\nHeld-out negatives refused ({n} drawings of each kind):")
    _table(report, per_kind, 24)
    if "ece_after" not in calibration:
        return
    report(f"  {'pairs (fields)':<24} {calibration['pairs_refused']:.4f}")
    report(
        "\nCalibration (MNIST test + held-out negatives, "
        f"T={calibration['temperature']}, "
        f"refusing at {calibration['threshold']:.3f}): expected calibration error "
        f"{calibration['ece_before']:.4f} before, "
        f"{calibration['ece_after']:.4f} after"
    )
    report(f"MNIST test digits wrongly refused: {calibration['mnist_test_refused']:.4f}")


def report_numbers(report: Report, numbers: dict) -> None:
    """Numbers read exactly, per source and length, and numbers whose digits touch."""
    report(
        f"\nNumbers of 2-8 digits read exactly ({numbers['n']} drawings): {numbers['exact']:.4f}"
        f" (2-5 digits: {numbers['exact_2_to_5']:.4f})"
    )
    _table(report, numbers["per_source"], 16)
    _table(report, numbers["per_length"], 16)
    touching = numbers["touching"]
    report(
        f"Numbers whose digits touch ({touching['n']} drawings, the stretch goal): "
        f"{touching['exact']:.4f} exactly right"
    )


def report_written(report: Report, out: Path) -> None:
    """What was written where."""
    report(
        f"\nWrote {out}/confusion_matrix.png, worst_mistakes.png, worst_refusals.png, "
        "worst_numbers.png and report.json"
    )
