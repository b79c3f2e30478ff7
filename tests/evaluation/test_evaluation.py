"""The evaluation command: its report, its pictures, the canvas set, and the model card."""

from __future__ import annotations

import json
import shutil
import textwrap

import numpy as np
import pytest
from PIL import Image

from drawadigit import evaluation, training
from drawadigit.data import negatives, sketches
from drawadigit.model import modelfile, tf_runtime
from drawadigit.reading import preprocessing
from drawadigit.training import networks

# A stand-in for the benchmark's canvas.py: the same interface, two fixed drawings.
FAKE_CANVAS = textwrap.dedent(
    """
    from __future__ import annotations

    from dataclasses import dataclass
    from drawadigit.data.sketches import SKETCHES, stroke_drawing

    @dataclass
    class Drawing:
        png: bytes
        label: int
        meta: dict

    def mnist_canvas_set(mnist_dir, n=2000, seed=0):
        one = stroke_drawing(SKETCHES[(1, "stroke")], 1)
        zero = stroke_drawing(SKETCHES[(0, "oval")], 0, style="black-white")
        return [
            Drawing(one.png, 1, {"style": "transparent/black", "weight": "normal"}),
            Drawing(zero.png, 0, {"style": "black/white", "weight": "bold"}),
        ][:n]
    """
)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, tiny_model_path, mnist_dir):
    """The evaluation of the tiny model, with a stand-in canvas set, and its printed lines."""
    folder = tmp_path_factory.mktemp("evaluation")
    model_path = folder / "model.h5"
    shutil.copy(tiny_model_path, model_path)
    bench = folder / "bench"
    bench.mkdir()
    (bench / "canvas.py").write_text(FAKE_CANVAS)
    lines: list[str] = []
    result = evaluation.evaluate(
        model_path,
        mnist_dir,
        folder / "out",
        sources=evaluation.Sources(bench_dir=bench),
        sizes=evaluation.Sizes(
            canvas_n=2, sketches_per_variant=1, negatives_per_kind=4, numbers_per_source=7
        ),
        report=lambda *parts: lines.append(" ".join(map(str, parts))),
    )
    return folder, model_path, result, "\n".join(lines)


def test_evaluation_reports_mnist_accuracy_per_digit_and_the_confusion_matrix(
    evaluated, mnist_test
):
    _, model_path, result, printed = evaluated
    images, labels = mnist_test
    model = tf_runtime.load(model_path)
    expected = training.accuracy(model, preprocessing.scale_mnist(images), labels)
    assert result["mnist_test_accuracy"] == pytest.approx(expected, abs=1e-4)
    assert f"MNIST test accuracy: {expected:.4f}" in printed
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == len(labels)
    assert (matrix.sum(axis=1) == np.bincount(labels, minlength=10)).all()
    assert np.trace(matrix) / matrix.sum() == pytest.approx(expected, abs=1e-4)
    assert set(result["per_digit"]) == {str(d) for d in range(10)}
    recall = matrix[3, 3] / matrix[3].sum()
    assert result["per_digit"]["3"]["recall"] == pytest.approx(recall, abs=1e-4)
    assert "precision" in printed and "recall" in printed and "Confusion matrix" in printed


def test_evaluation_draws_the_confusion_matrix_and_the_worst_mistakes(evaluated):
    folder, _, result, _ = evaluated
    for name in ("confusion_matrix.png", "worst_mistakes.png"):
        with Image.open(folder / "out" / name) as image:
            assert image.format == "PNG" and image.width >= 400 and image.height >= 100
    worst = result["worst_mistakes"]
    assert worst and all(m["label"] != m["predicted"] for m in worst)
    confidences = [m["confidence"] for m in worst]
    assert confidences == sorted(confidences, reverse=True)
    saved = json.loads((folder / "out" / "report.json").read_text())
    assert saved["mnist_test_accuracy"] == result["mnist_test_accuracy"]


def test_evaluation_scores_the_canvas_set_per_style_and_own_sketches_per_variant(evaluated):
    _, _, result, printed = evaluated
    canvas = result["canvas"]
    assert canvas["n"] == 2
    assert set(canvas["per_style"]) == {"transparent/black", "black/white"}
    assert set(canvas["per_weight"]) == {"normal", "bold"}
    own = result["sketches"]
    assert own["n"] == len(sketches.SKETCHES)
    assert {"0 slashed", "1 flag-foot", "7 crossed", "4 open"} <= set(own["per_variant"])
    assert "Shared canvas set" in printed and "Own sketches" in printed


def test_evaluation_is_stored_in_the_card_only_when_the_card_is_for_that_file(evaluated):
    folder, model_path, result, _ = evaluated
    assert not evaluation.store_in_card(model_path, result)  # no card yet
    card = networks.model_card(tf_runtime.load(model_path), {"seed": 0}, {})
    modelfile.save_card(card, model_path)
    assert evaluation.store_in_card(model_path, result)
    stored = modelfile.load_card(model_path)["evaluation"]
    assert stored["mnist_test_accuracy"] == result["mnist_test_accuracy"]
    assert "confusion_matrix" not in stored and "misread" not in stored["sketches"]
    other = folder / "other.h5"
    shutil.copy(model_path, other)
    shutil.copy(modelfile.card_path(model_path), modelfile.card_path(other))
    with open(other, "ab") as f:
        f.write(b"\0")  # another file now: the card no longer describes it
    assert not evaluation.store_in_card(other, result)


def test_evaluation_without_a_bench_folder_says_it_skipped_the_canvas_set(
    tmp_path, tiny_model_path, mnist_dir
):
    lines: list[str] = []
    result = evaluation.evaluate(
        tiny_model_path,
        mnist_dir,
        tmp_path,
        sizes=evaluation.Sizes(sketches_per_variant=1, negatives_per_kind=1, numbers_per_source=7),
        report=lines.append,
    )
    assert "canvas" not in result
    assert any("Shared canvas set: skipped" in line for line in lines)


def test_evaluation_reports_refusal_per_kind_numbers_and_their_pictures(evaluated):
    folder, _, result, printed = evaluated
    kinds = {k for k, (_, make) in negatives.KINDS.items() if make is not None}
    per_kind = result["refusal"]["per_kind"]
    assert set(per_kind) == kinds and all(0.0 <= v <= 1.0 for v in per_kind.values())
    # The tiny model has no refusal class: only a mark too small to read is refused.
    assert "ten classes" in result["refusal"]["note"]
    numbers = result["numbers"]
    assert numbers["n"] == 14 and set(numbers["per_source"]) == {"mnist", "sketches"}
    assert set(numbers["per_length"]) == {f"{n} digits" for n in range(2, 9)}
    assert numbers["touching"]["n"] == 4
    assert len(numbers["misread"]) == round(numbers["n"] * (1 - numbers["exact"]))
    assert {"refused", "read_right"} <= set(result["sketches"])
    for name in ("worst_refusals.png", "worst_numbers.png"):
        with Image.open(folder / "out" / name) as image:
            assert image.format == "PNG" and image.width >= 400
    assert "Held-out negatives refused" in printed and "Numbers of 2-8 digits" in printed
