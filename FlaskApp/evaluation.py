"""Evaluate a model file: how well it reads MNIST, canvas drawings and the project's own sketches.

    python FlaskApp/evaluation.py [--model model.h5] [--mnist-dir DIR] [--bench-dir DIR]
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
  * report.json with all of it, also stored as the "evaluation" of the model card (model.json).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import kerasModel
import mnist
import numpy as np
import preprocessing
import sketches
from matplotlib.figure import Figure
from sklearn.metrics import classification_report, confusion_matrix

DEFAULT_OUT = kerasModel.ROOT / "docs" / "evaluation"
CANVAS_N = 2000
SKETCHES_PER_VARIANT = 20
WORST = 40  # mistakes shown in the grid


def predict(model, fields: np.ndarray) -> np.ndarray:
    """Probabilities (N, 10) for normalised fields, in batches."""
    return np.concatenate(
        [kerasModel.probabilities(model, fields[i : i + 1000]) for i in range(0, len(fields), 1000)]
    )


def grouped_accuracy(correct: np.ndarray, groups: Iterable[str]) -> dict[str, float]:
    """Accuracy per group name, groups in sorted order."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for ok, group in zip(correct, groups, strict=True):
        hits[group].append(bool(ok))
    return {g: round(float(np.mean(v)), 4) for g, v in sorted(hits.items())}


def load_canvas_module(bench_dir: str | os.PathLike):
    """Import `canvas.py` from the benchmark folder (it is not part of this project)."""
    path = Path(bench_dir) / "canvas.py"
    spec = importlib.util.spec_from_file_location("bench_canvas", path)
    if spec is None or not path.exists():
        raise FileNotFoundError(f"No canvas.py in {bench_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def drawings_accuracy(model, drawings, group_keys: dict[str, Callable]) -> dict:
    """Decode and normalise drawings as the server does, predict, and score them by group."""
    fields = np.stack([preprocessing.normalise_bytes(d.png) for d in drawings])
    labels = np.array([d.label for d in drawings])
    predicted = predict(model, fields).argmax(axis=1)
    correct = predicted == labels
    result = {"n": len(drawings), "accuracy": round(float(correct.mean()), 4)}
    for name, key in group_keys.items():
        result[f"per_{name}"] = grouped_accuracy(correct, [key(d) for d in drawings])
    first = next(iter(group_keys.values()))  # misreads are named by the first grouping
    result["misread"] = [
        f"{first(d)}: read as {p}"
        for d, p, ok in zip(drawings, predicted, correct, strict=True)
        if not ok
    ]
    return result


def confusion_figure(matrix: np.ndarray, accuracy: float) -> Figure:
    """The confusion matrix drawn with counts in every cell."""
    # Figures without pyplot: no global state, no window, any backend (a notebook shows them).
    fig = Figure(figsize=(6.4, 5.6), dpi=100)
    ax = fig.subplots()
    shown = np.where(matrix > 0, np.log10(matrix + 1), 0)  # log scale: errors stay visible
    ax.imshow(shown, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if shown[row, col] > shown.max() * 0.6 else "black"
            ax.text(col, row, str(count), ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"MNIST test set: {accuracy:.2%} correct")
    fig.tight_layout()
    return fig


def worst_figure(fields, labels, probs, count: int = WORST) -> tuple[Figure, list[dict]]:
    """A grid of the most confident mistakes (the image the model saw, truth and answer)."""
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]])][:count]
    columns = 10
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig = Figure(figsize=(columns * 1.1, rows * 1.35), dpi=100)
    axes = fig.subplots(rows, columns)
    for ax in np.ravel(axes):
        ax.axis("off")
    mistakes = []
    for ax, i in zip(np.ravel(axes), wrong, strict=False):
        ax.imshow(fields[i], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{labels[i]}→{predicted[i]} {probs[i, predicted[i]]:.0%}", fontsize=8)
        mistakes.append(
            {
                "index": int(i),
                "label": int(labels[i]),
                "predicted": int(predicted[i]),
                "confidence": round(float(probs[i, predicted[i]]), 4),
            }
        )
    fig.suptitle("Most confident mistakes on the MNIST test set (true→read)", fontsize=10)
    fig.tight_layout()
    return fig, mistakes


def save(fig: Figure, path: Path) -> None:
    """Write a figure to a PNG."""
    fig.savefig(path)


def evaluate(
    model_path: str | os.PathLike,
    mnist_dir: str | os.PathLike,
    out: str | os.PathLike,
    *,
    bench_dir: str | os.PathLike | None = None,
    canvas_n: int = CANVAS_N,
    sketches_per_variant: int = SKETCHES_PER_VARIANT,
    report=print,
) -> dict:
    """Run the whole evaluation; return the report (also written to `out`/report.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = kerasModel.load(model_path)
    x_test, y_test = mnist.load_split(mnist_dir, "test")
    fields = preprocessing.scale_mnist(x_test)
    probs = predict(model, fields)
    predicted = probs.argmax(axis=1)
    acc = float((predicted == y_test).mean())
    drawn_acc = kerasModel.accuracy(model, kerasModel.as_drawn(fields), y_test)
    report(f"MNIST test accuracy: {acc:.4f} ({len(y_test):,} digits)")
    report(f"MNIST test digits as drawn (through the drawing pipeline): {drawn_acc:.4f}")

    digits = [str(d) for d in range(10)]
    report("\nPer digit (scikit-learn):")
    report(classification_report(y_test, predicted, target_names=digits, digits=4, zero_division=0))
    per_digit = classification_report(
        y_test, predicted, target_names=digits, output_dict=True, zero_division=0
    )
    matrix = confusion_matrix(y_test, predicted, labels=range(10))
    report("Confusion matrix (rows: true digit, columns: predicted):")
    report("      " + "".join(f"{d:>6}" for d in range(10)))
    for d, row in enumerate(matrix):
        report(f"{d:>6}" + "".join(f"{n:>6}" for n in row))
    save(confusion_figure(matrix, acc), out / "confusion_matrix.png")
    worst, mistakes = worst_figure(fields, y_test, probs)
    save(worst, out / "worst_mistakes.png")
    result = {
        "model": str(Path(model_path).name),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mnist_test_accuracy": round(acc, 4),
        "mnist_test_as_drawn_accuracy": round(drawn_acc, 4),
        "per_digit": {
            d: {k: round(per_digit[d][k], 4) for k in ("precision", "recall", "f1-score")}
            for d in digits
        },
        "confusion_matrix": matrix.tolist(),
        "worst_mistakes": mistakes[:10],
    }

    if bench_dir:
        canvas = load_canvas_module(bench_dir)
        drawings = canvas.mnist_canvas_set(str(mnist_dir), n=canvas_n, seed=0)
        scores = drawings_accuracy(
            model,
            drawings,
            {"style": lambda d: d.meta["style"], "weight": lambda d: d.meta["weight"]},
        )
        scores.pop("misread")
        report(f"\nShared canvas set ({bench_dir}/canvas.py, {canvas_n:,} drawings, in-process):")
        report(f"  overall {scores['accuracy']:.4f}")
        for group in ("per_style", "per_weight"):
            for name, value in scores[group].items():
                report(f"  {name:<20} {value:.4f}")
        result["canvas"] = scores
    else:
        report("\nShared canvas set: skipped (no --bench-dir and no $BENCH_DIR)")

    sketch_scores = drawings_accuracy(
        model,
        sketches.sketch_set(sketches_per_variant, seed=1),
        {"variant": lambda d: d.variant, "style": lambda d: d.style},
    )
    report(
        f"\nOwn sketches ({sketch_scores['n']} drawings, {len(sketches.SKETCHES)} ways to write):"
    )
    report(f"  overall {sketch_scores['accuracy']:.4f}")
    for name, value in sketch_scores["per_variant"].items():
        report(f"  {name:<16} {value:.4f}")
    result["sketches"] = sketch_scores

    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    report(f"\nWrote {out}/confusion_matrix.png, worst_mistakes.png and report.json")
    return result


def store_in_card(model_path: str | os.PathLike, result: dict) -> bool:
    """Record the evaluation in the model's card, when the card describes this very file."""
    card = kerasModel.load_card(model_path)
    if card is None or card.get("file", {}).get("sha256") != kerasModel.file_sha256(model_path):
        return False
    summary = {k: v for k, v in result.items() if k not in ("confusion_matrix", "worst_mistakes")}
    for part in ("canvas", "sketches"):
        if part in summary:
            summary[part] = {k: v for k, v in summary[part].items() if k != "misread"}
    card["evaluation"] = summary
    kerasModel.save_card(card, model_path)
    return True


def main(argv: list[str] | None = None) -> int:
    """Command line: evaluate a model file."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=kerasModel.DEFAULT_MODEL_PATH)
    parser.add_argument(
        "--mnist-dir", default=os.environ.get("MNIST_DIR") or kerasModel.DEFAULT_MNIST_DIR
    )
    parser.add_argument(
        "--bench-dir",
        default=os.environ.get("BENCH_DIR"),
        help="folder holding canvas.py (default: $BENCH_DIR; without it the canvas set is skipped)",
    )
    parser.add_argument("--canvas-n", type=int, default=CANVAS_N)
    parser.add_argument("--sketches", type=int, default=SKETCHES_PER_VARIANT, help="per variant")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--no-card", action="store_true", help="leave model.json as it is")
    args = parser.parse_args(argv)
    mnist.ensure_files(args.mnist_dir, progress=print)
    result = evaluate(
        args.model,
        args.mnist_dir,
        args.out,
        bench_dir=args.bench_dir,
        canvas_n=args.canvas_n,
        sketches_per_variant=args.sketches,
    )
    if not args.no_card and store_in_card(args.model, result):
        print(f"Stored the evaluation in {kerasModel.card_path(args.model)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
