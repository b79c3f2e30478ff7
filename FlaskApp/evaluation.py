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
  * what the app reads, through the whole reading pipeline (`reading`: segmentation, refusal):
    single digits wrongly refused (MNIST test, canvas set, sketches); the refusal rate on
    held-out negatives of each kind (`negatives`, letters in fonts training never saw), drawn
    on canvases; numbers of 2-8 digits read exactly, composed from MNIST test digits and from
    our sketches (`sketches.number_set`); the calibration error before and after the
    temperature, on MNIST test digits and held-out negatives; worst_refusals.png and
    worst_numbers.png;
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

import calibration
import mnist
import modelfile
import negatives
import numpy as np
import preprocessing
import reading
import sketches
import tf_runtime
import training
import training_data
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from sklearn.metrics import classification_report, confusion_matrix

DEFAULT_OUT = modelfile.ROOT / "docs" / "evaluation"
CANVAS_N = 2000
SKETCHES_PER_VARIANT = 20
WORST = 40  # mistakes shown in the grid
NEGATIVES_PER_KIND = 300
NUMBERS_PER_SOURCE = 210  # numbers of 2-8 digits, 30 of each length


def predict(model, fields: np.ndarray) -> np.ndarray:
    """Probabilities (N, 10) for normalised fields, in batches."""
    return np.concatenate(
        [tf_runtime.probabilities(model, fields[i : i + 1000]) for i in range(0, len(fields), 1000)]
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


Reader = Callable[[bytes], reading.Reading]


def reader(model, model_path: str | os.PathLike) -> Reader:
    """Image bytes -> reading, as the server reads them, with the policy of the model's card."""
    card = modelfile.load_card(model_path) or {}
    policy = reading.Policy.from_card(card)
    return lambda png: reading.read_bytes(png, lambda f: tf_runtime.probabilities(model, f), policy)


def drawings_accuracy(read: Reader, drawings, group_keys: dict[str, Callable]) -> dict:
    """Read drawings as the server does and score them by group.

    `accuracy` counts the answer's `digit` (the whole drawing read as one digit, what older
    clients and the benchmark read); `refused` the share answered "not a digit".
    """
    readings = [read(d.png) for d in drawings]
    labels = np.array([d.label for d in drawings])
    predicted = np.array([r.whole.digit for r in readings])
    refused = np.array([r.reading == "not_a_digit" for r in readings])
    correct = predicted == labels
    result = {
        "n": len(drawings),
        "accuracy": round(float(correct.mean()), 4),
        "refused": round(float(refused.mean()), 4),
        "read_right": round(float((correct & ~refused).mean()), 4),
    }
    for name, key in group_keys.items():
        result[f"per_{name}"] = grouped_accuracy(correct, [key(d) for d in drawings])
    first = next(iter(group_keys.values()))  # misreads are named by the first grouping
    result["refusals"] = [
        (r.not_a_digit, first(d), r)
        for d, r, no in zip(drawings, readings, refused, strict=True)
        if no
    ]
    result["misread"] = [
        f"{first(d)}: read as {p}"
        for d, p, ok in zip(drawings, predicted, correct, strict=True)
        if not ok
    ]
    return result


def refusal_scores(read: Reader, per_kind: int, seed: int = 7) -> tuple[dict, list]:
    """Share of held-out negatives of each stroke kind refused, drawn on canvases and read."""
    rng = np.random.default_rng(seed)
    scores, accepted = {}, []
    for kind, (_, generator) in negatives.KINDS.items():
        if generator is None:
            continue  # pairs: numbers that touch, scored as fields in `calibration_scores`
        drawings = [negatives.drawing(kind, rng, negatives.HELD_OUT_FONTS) for _ in range(per_kind)]
        readings = [read(d.png) for d in drawings]
        refused = [r.reading == "not_a_digit" for r in readings]
        scores[kind] = round(float(np.mean(refused)), 4)
        accepted += [
            (r.not_a_digit, kind, r) for r, no in zip(readings, refused, strict=True) if not no
        ]
    return scores, sorted(accepted, key=lambda a: a[0])


def numbers_scores(read: Reader, drawings: list[sketches.NumberDrawing]) -> tuple[dict, list]:
    """Share of numbers read exactly (reading "number" with every digit right), by source and
    length; and the misread ones, worst first."""
    readings = [read(d.png) for d in drawings]
    right = [
        r.reading == "number" and r.number == d.number
        for r, d in zip(readings, drawings, strict=True)
    ]
    result = {
        "n": len(drawings),
        "exact": round(float(np.mean(right)), 4),
        "per_source": grouped_accuracy(right, [d.source for d in drawings]),
        "per_length": grouped_accuracy(right, [f"{len(d.number)} digits" for d in drawings]),
        "exact_2_to_5": round(
            float(
                np.mean([ok for ok, d in zip(right, drawings, strict=True) if len(d.number) <= 5])
            ),
            4,
        ),
    }
    wrong = [(d, r) for d, r, ok in zip(drawings, readings, right, strict=True) if not ok]
    result["misread"] = [f"{d.source} {d.number}: read {r.reading} {r.number!r}" for d, r in wrong]
    return result, wrong


def calibration_scores(
    model, model_path, x_test: np.ndarray, y_test: np.ndarray, n_negatives: int
) -> dict:
    """Calibration error (11-class, top label) on MNIST test digits plus held-out negatives,
    before and after the card's temperature; refusal of run-together pairs and of test digits."""
    policy = reading.Policy.from_card(modelfile.load_card(model_path) or {})
    fields = preprocessing.scale_mnist(x_test)
    made, kinds = negatives.negatives(
        n_negatives, 11, digits=fields, fonts=negatives.HELD_OUT_FONTS
    )
    raw = predict(model, np.concatenate([fields, made]))
    if raw.shape[1] <= modelfile.DIGITS:
        return {"note": "a model without refusal (ten classes)"}
    labels = np.concatenate([y_test, np.full(len(made), modelfile.DIGITS)])
    probs = calibration.calibrated(raw, policy.temperature)
    refused = probs[:, modelfile.DIGITS] >= policy.refuse_at
    is_pair = np.array([False] * len(y_test) + [k == "pairs" for k in kinds])
    return {
        "temperature": policy.temperature,
        "threshold": policy.refuse_at,
        "n": len(labels),
        "ece_before": round(calibration.expected_calibration_error(raw, labels), 4),
        "ece_after": round(calibration.expected_calibration_error(probs, labels), 4),
        "mnist_test_refused": round(float(refused[: len(y_test)].mean()), 4),
        "negative_fields_refused": round(float(refused[len(y_test) :].mean()), 4),
        "pairs_refused": round(float(refused[is_pair].mean()), 4) if is_pair.any() else None,
    }


def worst_refusals_figure(digit_refusals: list, accepted: list, count: int = 20) -> Figure:
    """Real digits refused with the most conviction, and negatives let through most easily."""
    rows = [("digit refused", digit_refusals[:count]), ("negative accepted", accepted[:count])]
    fig = Figure(figsize=(count * 0.9, 2 * 1.4), dpi=100)
    axes = np.reshape(fig.subplots(2, count), (2, count))
    for row, (what, items) in enumerate(rows):
        for col in range(count):
            ax = axes[row, col]
            ax.axis("off")
            if col < len(items):
                p, name, r = items[col]
                ax.imshow(r.field, cmap="gray_r", vmin=0, vmax=1)
                ax.set_title(f"{name}\n{p:.0%} not", fontsize=6)
        axes[row, 0].text(-8, 14, what, rotation=90, va="center", fontsize=7)
    fig.suptitle(
        "Worst refusals: digits refused (top), negatives read as digits (bottom)", fontsize=9
    )
    fig.subplots_adjust(left=0.03, right=0.99, bottom=0.02, top=0.78, hspace=0.7)
    return fig


def worst_numbers_figure(wrong: list, count: int = 12) -> Figure:
    """Numbers misread: the drawing with what it shows and what was read."""
    columns = 3
    rows = max(1, int(np.ceil(min(count, len(wrong)) / columns)))
    fig = Figure(figsize=(columns * 3.2, rows * 1.5 + 0.5), dpi=100)
    axes = np.ravel(fig.subplots(rows, columns))
    for ax in axes:
        ax.axis("off")
    for ax, (d, r) in zip(axes, wrong[:count], strict=False):
        ink = preprocessing.ink(preprocessing.decode(d.png))
        ax.imshow(ink, cmap="gray_r", vmin=0, vmax=1)
        for x0, y0, x1, y1 in [g.box for g in r.digits] if r.digits else []:
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="tab:red", lw=0.8))
        ax.set_title(f"{d.number} → {r.number or r.reading}", fontsize=8)
    fig.suptitle("Worst numbers: misread numbers (truth → read)", fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=1 - 0.5 / (rows * 1.5 + 0.5))
    return fig


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
    negatives_per_kind: int = NEGATIVES_PER_KIND,
    numbers_per_source: int = NUMBERS_PER_SOURCE,
    report=print,
) -> dict:
    """Run the whole evaluation; return the report (also written to `out`/report.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = tf_runtime.load(model_path)
    x_test, y_test = mnist.load_split(mnist_dir, "test")
    result = {
        "model": str(Path(model_path).name),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        **mnist_scores(model, x_test, y_test, out, report),
    }
    read = reader(model, model_path)
    refusals: list = []
    if bench_dir:
        canvas = load_canvas_module(bench_dir)
        drawings = canvas.mnist_canvas_set(str(mnist_dir), n=canvas_n, seed=0)
        keys = {"style": lambda d: d.meta["style"], "weight": lambda d: d.meta["weight"]}
        scores = drawings_accuracy(read, drawings, keys)
        scores.pop("misread")
        refusals += scores.pop("refusals")
        report(f"\nShared canvas set ({bench_dir}/canvas.py, {canvas_n:,} drawings, in-process):")
        report(f"  overall {scores['accuracy']:.4f}, wrongly refused {scores['refused']:.4f}")
        for group in ("per_style", "per_weight"):
            for name, value in scores[group].items():
                report(f"  {name:<20} {value:.4f}")
        result["canvas"] = scores
    else:
        report("\nShared canvas set: skipped (no --bench-dir and no $BENCH_DIR)")

    keys = {"variant": lambda d: d.variant, "style": lambda d: d.style}
    sketch_scores = drawings_accuracy(read, sketches.sketch_set(sketches_per_variant, seed=1), keys)
    refusals += sketch_scores.pop("refusals")
    report(
        f"\nOwn sketches ({sketch_scores['n']} drawings, {len(sketches.SKETCHES)} ways to write):"
    )
    report(
        f"  overall {sketch_scores['accuracy']:.4f}, wrongly refused {sketch_scores['refused']:.4f}"
    )
    for name, value in sketch_scores["per_variant"].items():
        report(f"  {name:<16} {value:.4f}")
    result["sketches"] = sketch_scores
    result.update(
        reading_scores(
            model,
            model_path,
            read,
            x_test,
            y_test,
            out,
            refusals,
            report,
            negatives_per_kind,
            numbers_per_source,
        )
    )

    (out / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    report(
        f"\nWrote {out}/confusion_matrix.png, worst_mistakes.png, worst_refusals.png, "
        "worst_numbers.png and report.json"
    )
    return result


def mnist_scores(model, x_test: np.ndarray, y_test: np.ndarray, out: Path, report) -> dict:
    """MNIST test accuracy (the likeliest digit), per digit, the confusion matrix and figures."""
    fields = preprocessing.scale_mnist(x_test)
    probs = predict(model, fields)[:, : modelfile.DIGITS]
    predicted = probs.argmax(axis=1)
    acc = float((predicted == y_test).mean())
    drawn_acc = training.accuracy(model, training_data.as_drawn(fields), y_test)
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
    return {
        "mnist_test_accuracy": round(acc, 4),
        "mnist_test_as_drawn_accuracy": round(drawn_acc, 4),
        "per_digit": {
            d: {k: round(per_digit[d][k], 4) for k in ("precision", "recall", "f1-score")}
            for d in digits
        },
        "confusion_matrix": matrix.tolist(),
        "worst_mistakes": mistakes[:10],
    }


def reading_scores(
    model,
    model_path,
    read: Reader,
    x_test,
    y_test,
    out: Path,
    refusals: list,
    report,
    negatives_per_kind: int,
    numbers_per_source: int,
) -> dict:
    """What the app reads: refusal per kind, numbers, calibration; and the two figures."""
    kinds, accepted = refusal_scores(read, negatives_per_kind)
    report(f"\nHeld-out negatives refused ({negatives_per_kind} drawings of each kind):")
    for kind, share in kinds.items():
        report(f"  {kind:<24} {share:.4f}")
    calibration_part = calibration_scores(model, model_path, x_test, y_test, 2000)
    if "ece_after" in calibration_part:
        report(f"  {'pairs (fields)':<24} {calibration_part['pairs_refused']:.4f}")
        report(
            "\nCalibration (MNIST test + held-out negatives, "
            f"T={calibration_part['temperature']}, "
            f"refusing at {calibration_part['threshold']:.3f}): expected calibration error "
            f"{calibration_part['ece_before']:.4f} before, "
            f"{calibration_part['ece_after']:.4f} after"
        )
        report(f"MNIST test digits wrongly refused: {calibration_part['mnist_test_refused']:.4f}")
    per_length = max(1, numbers_per_source // 7)
    numbers, wrong = numbers_scores(
        read, sketches.number_set(x_test, y_test, per_length * 7, seed=5)
    )
    report(
        f"\nNumbers of 2-8 digits read exactly ({numbers['n']} drawings): {numbers['exact']:.4f}"
        f" (2-5 digits: {numbers['exact_2_to_5']:.4f})"
    )
    for group in ("per_source", "per_length"):
        for name, value in numbers[group].items():
            report(f"  {name:<16} {value:.4f}")
    touching = sketches.number_set(
        x_test, y_test, per_length * 7 // 3, seed=6, gaps=sketches.TOUCHING
    )
    numbers["touching"], _ = numbers_scores(read, touching)
    numbers["touching"].pop("misread")
    report(
        f"Numbers whose digits touch ({numbers['touching']['n']} drawings, the stretch goal): "
        f"{numbers['touching']['exact']:.4f} exactly right"
    )
    refusals.sort(key=lambda r: -r[0])
    save(worst_refusals_figure(refusals, accepted), out / "worst_refusals.png")
    save(worst_numbers_figure(wrong), out / "worst_numbers.png")
    return {"refusal": {"per_kind": kinds, **calibration_part}, "numbers": numbers}


def store_in_card(model_path: str | os.PathLike, result: dict) -> bool:
    """Record the evaluation in the model's card, when the card describes this very file."""
    card = modelfile.load_card(model_path)
    if card is None or card.get("file", {}).get("sha256") != modelfile.file_sha256(model_path):
        return False
    summary = {k: v for k, v in result.items() if k not in ("confusion_matrix", "worst_mistakes")}
    for part in ("canvas", "sketches", "numbers"):
        if part in summary:
            summary[part] = {k: v for k, v in summary[part].items() if k != "misread"}
    card["evaluation"] = summary
    modelfile.save_card(card, model_path)
    return True


def main(argv: list[str] | None = None) -> int:
    """Command line: evaluate a model file."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=modelfile.DEFAULT_MODEL_PATH)
    parser.add_argument(
        "--mnist-dir", default=os.environ.get("MNIST_DIR") or modelfile.DEFAULT_MNIST_DIR
    )
    parser.add_argument(
        "--bench-dir",
        default=os.environ.get("BENCH_DIR"),
        help="folder holding canvas.py (default: $BENCH_DIR; without it the canvas set is skipped)",
    )
    parser.add_argument("--canvas-n", type=int, default=CANVAS_N)
    parser.add_argument("--sketches", type=int, default=SKETCHES_PER_VARIANT, help="per variant")
    parser.add_argument("--negatives", type=int, default=NEGATIVES_PER_KIND, help="per kind")
    parser.add_argument("--numbers", type=int, default=NUMBERS_PER_SOURCE, help="per source")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--no-card", action="store_true", help="leave model.json as it is")
    args = parser.parse_args(argv)
    mnist.ensure_files(args.mnist_dir, mnist.mirrors_from_environment(), progress=print)
    result = evaluate(
        args.model,
        args.mnist_dir,
        args.out,
        bench_dir=args.bench_dir,
        canvas_n=args.canvas_n,
        sketches_per_variant=args.sketches,
        negatives_per_kind=args.negatives,
        numbers_per_source=args.numbers,
    )
    if not args.no_card and store_in_card(args.model, result):
        print(f"Stored the evaluation in {modelfile.card_path(args.model)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
