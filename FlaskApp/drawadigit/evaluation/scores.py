"""The evaluation's scores: what a model reads right, computed, never printed or drawn.

MNIST's test digits as fields; drawings read as the server reads them (`reading`), scored by
group; held-out negatives refused; numbers read exactly; the calibration of the refusal.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import classification_report, confusion_matrix

from drawadigit import contract, reading, training
from drawadigit.contract import NOT_A_DIGIT_NAME
from drawadigit.data import negatives, sketches
from drawadigit.model import modelfile, tf_runtime
from drawadigit.reading import calibration, preprocessing
from drawadigit.training import datasets

Reader = Callable[[bytes], reading.Reading]
DIGIT_NAMES = [str(d) for d in range(10)]


predict = tf_runtime.predict_all  # raw probabilities for many fields, in batches


def grouped_accuracy(correct: np.ndarray, groups: Iterable[str]) -> dict[str, float]:
    """Accuracy per group name, groups in sorted order."""
    hits: dict[str, list[bool]] = defaultdict(list)
    for ok, group in zip(correct, groups, strict=True):
        hits[group].append(bool(ok))
    return {g: round(float(np.mean(v)), 4) for g, v in sorted(hits.items())}


@dataclass(frozen=True)
class MnistScores:
    """How a model reads MNIST's test digits, and the arrays the printout and figures show."""

    accuracy: float
    drawn_accuracy: float  # the same digits through the drawing pipeline
    per_digit: dict
    matrix: np.ndarray
    fields: np.ndarray
    probs: np.ndarray

    @property
    def predicted(self) -> np.ndarray:
        """The likeliest digit of each test digit."""
        return self.probs.argmax(axis=1)

    def summary(self, mistakes: list[dict]) -> dict:
        """The report's MNIST part, with the worst of the `mistakes`."""
        return {
            "mnist_test_accuracy": round(self.accuracy, 4),
            "mnist_test_as_drawn_accuracy": round(self.drawn_accuracy, 4),
            "per_digit": {
                d: {k: round(self.per_digit[d][k], 4) for k in ("precision", "recall", "f1-score")}
                for d in DIGIT_NAMES
            },
            "confusion_matrix": self.matrix.tolist(),
            "worst_mistakes": mistakes[:10],
        }


def mnist_scores(model, x_test: np.ndarray, y_test: np.ndarray) -> MnistScores:
    """MNIST test accuracy (the likeliest digit), per digit, and the confusion matrix."""
    fields = preprocessing.scale_mnist(x_test)
    probs = predict(model, fields)[:, : contract.DIGITS]
    predicted = probs.argmax(axis=1)
    return MnistScores(
        accuracy=float((predicted == y_test).mean()),
        drawn_accuracy=training.accuracy(model, datasets.as_drawn(fields), y_test),
        per_digit=classification_report(
            y_test, predicted, target_names=DIGIT_NAMES, output_dict=True, zero_division=0
        ),
        matrix=confusion_matrix(y_test, predicted, labels=range(10)),
        fields=fields,
        probs=probs,
    )


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


def reader(model, model_path: str | os.PathLike) -> Reader:
    """Image bytes (and optionally the strokes) -> reading, as the server reads them, with the
    policy of the model's card."""
    card = modelfile.load_card(model_path) or {}
    policy = reading.Policy.from_card(card)
    classify = lambda f: tf_runtime.probabilities(model, f)  # noqa: E731
    return lambda png, strokes=None: reading.read_bytes(png, classify, policy, strokes)


def drawings_accuracy(read: Reader, drawings, group_keys: dict[str, Callable]) -> dict:
    """Read drawings as the server does and score them by group.

    `accuracy` counts the answer's `digit` (the whole drawing read as one digit, what older
    clients and the benchmark read); `refused` the share answered "not a digit".
    """
    readings = [read(d.png) for d in drawings]
    labels = np.array([d.label for d in drawings])
    predicted = np.array([r.whole.digit for r in readings])
    refused = np.array([r.reading == NOT_A_DIGIT_NAME for r in readings])
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


def canvas_scores(read: Reader, bench_dir, mnist_dir, n: int) -> dict:
    """The shared canvas set (the benchmark's `canvas.py`), scored per style and pen weight."""
    canvas = load_canvas_module(bench_dir)
    drawings = canvas.mnist_canvas_set(str(mnist_dir), n=n, seed=0)
    keys = {"style": lambda d: d.meta["style"], "weight": lambda d: d.meta["weight"]}
    scores = drawings_accuracy(read, drawings, keys)
    scores.pop("misread")
    return scores


def sketch_scores(read: Reader, per_variant: int) -> dict:
    """Our own sketches (`sketches.sketch_set`), scored per way of writing and per style."""
    keys = {"variant": lambda d: d.variant, "style": lambda d: d.style}
    return drawings_accuracy(read, sketches.sketch_set(per_variant, seed=1), keys)


def refusal_scores(read: Reader, per_kind: int, seed: int = 7) -> tuple[dict, list]:
    """Share of held-out negatives of each stroke kind refused, drawn on canvases and read."""
    rng = np.random.default_rng(seed)
    scores, accepted = {}, []
    for kind, (_, generator) in negatives.KINDS.items():
        if generator is None:
            continue  # pairs: numbers that touch, scored as fields in `calibration_scores`
        drawings = [negatives.drawing(kind, rng, negatives.HELD_OUT_FONTS) for _ in range(per_kind)]
        readings = [read(d.png) for d in drawings]
        refused = [r.reading == NOT_A_DIGIT_NAME for r in readings]
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
    short = [ok for ok, d in zip(right, drawings, strict=True) if len(d.number) <= 5]
    result = {
        "n": len(drawings),
        "exact": round(float(np.mean(right)), 4),
        "per_source": grouped_accuracy(right, [d.source for d in drawings]),
        "per_length": grouped_accuracy(right, [f"{len(d.number)} digits" for d in drawings]),
        "exact_2_to_5": round(float(np.mean(short)), 4),
    }
    wrong = [(d, r) for d, r, ok in zip(drawings, readings, right, strict=True) if not ok]
    result["misread"] = [f"{d.source} {d.number}: read {r.reading} {r.number!r}" for d, r in wrong]
    return result, wrong


def all_numbers_scores(read: Reader, x_test, y_test, per_source: int) -> tuple[dict, list]:
    """Numbers of 2-8 digits from our sketches and from MNIST, and (as `touching`) numbers whose
    digits run into each other; the misread ones of the first."""
    per_length = max(1, per_source // 7)
    numbers, wrong = numbers_scores(
        read, sketches.number_set(x_test, y_test, per_length * 7, seed=5)
    )
    touching = sketches.number_set(
        x_test, y_test, per_length * 7 // 3, seed=6, gaps=sketches.TOUCHING
    )
    numbers["touching"], _ = numbers_scores(read, touching)
    numbers["touching"].pop("misread")
    return numbers, wrong


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
    if raw.shape[1] <= contract.DIGITS:
        return {"note": "a model without refusal (ten classes)"}
    labels = np.concatenate([y_test, np.full(len(made), contract.DIGITS)])
    probs = calibration.calibrated(raw, policy.temperature)
    refused = probs[:, contract.DIGITS] >= policy.refuse_at
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
