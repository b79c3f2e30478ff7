"""Training with corrections learns them: shapes people drew and named, judged on held-out ones,
the MNIST digits not forgotten."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drawadigit import training
from drawadigit.contract import NOT_A_DIGIT
from drawadigit.corrections.store import CorrectionStore, is_held_out
from drawadigit.data.sketches import stroke_drawing
from drawadigit.model import modelfile
from drawadigit.training import cli as training_cli
from drawadigit.training import datasets
from tests.support import corrections_config, cross, data_url, sqlite_url


def dollar(rng: np.random.Generator) -> bytes:
    """A dollar sign: an S with a bar through it, which our negatives never include."""
    s = [(0.8, 0.2), (0.5, 0.05), (0.2, 0.25), (0.5, 0.5), (0.8, 0.75), (0.5, 0.95), (0.2, 0.8)]
    shift = rng.uniform(-0.05, 0.05)
    strokes = [[(x + shift, y) for x, y in s], [(0.5, -0.1), (0.5 + shift, 1.1)]]
    left, top = rng.uniform(0.1, 0.3, 2)
    box = (left, top, left + rng.uniform(0.3, 0.45), top + rng.uniform(0.5, 0.6))
    return stroke_drawing(strokes, 5, box=box, pen_width=float(rng.uniform(10, 18))).png


def post_drawings(app, draw, label, n: int = 40) -> None:
    """People draw a shape `n` times and say what it is; the app stores each and closes."""
    client, rng = app.test_client(), np.random.default_rng(0)
    for _ in range(n):
        body = {"image": data_url(draw(rng)), "label": label, "predicted": 8}
        answer = client.post("/api/feedback", json=body)
        assert answer.status_code == 201 and answer.get_json()["label"] == label
    app.extensions["corrections_store"].close()


@pytest.mark.parametrize(
    ("draw", "label", "most_before"),
    # A model with refusal already refuses some dollar signs: it learns to refuse them all.
    [(cross, 5, 0.2), (dollar, "not_a_digit", 0.6)],
    ids=["an X said to be a 5", "a $ said to be no digit"],
)
def test_training_with_corrections_learns_the_corrections_and_evaluates_on_held_out_ones(
    tmp_path, make_app, mnist_dir, draw, label, most_before
):
    # A writer's private shorthand for a 5, or "that is no digit": 40 times.
    url = sqlite_url(tmp_path)
    post_drawings(make_app(**corrections_config(url)), draw, label)

    model_path = tmp_path / "model.h5"
    dense = training.Settings(arch="dense", epochs=2)
    training.train_and_save(model_path, training.Data(mnist_dir, limit=3000), dense)
    with_corrections = training.Data(mnist_dir, limit=3000, corrections_url=url)
    metrics = training.train_and_save(model_path, with_corrections, dense).summary
    held_out = [i for i in range(1, 41) if is_held_out(i)]
    card = json.loads(modelfile.card_path(model_path).read_text())
    used = card["training"]["feedback"]
    assert used["held_out"] == len(held_out) > 0 and used["train"] == 40 - len(held_out)
    assert used["repeat"] == datasets.CORRECTION_REPEAT
    assert card["training"]["digits"] == 3000 + used["train"] * datasets.CORRECTION_REPEAT
    stored = set(CorrectionStore(url).dataset()[2].tolist())
    assert stored == {label if label != "not_a_digit" else NOT_A_DIGIT}
    before = metrics["feedback_held_out_accuracy_before"]
    after = metrics["feedback_held_out_accuracy"]
    assert before == used["held_out_accuracy_before"]
    assert before <= most_before and after >= 0.8 and after > before, (before, after)
    assert card["metrics"]["feedback_held_out_accuracy"] == after
    assert metrics["mnist_test_accuracy"] >= 0.8  # the digits were not forgotten


@pytest.mark.parametrize("flag", ["--with-corrections", "--with-feedback"])
def test_the_training_command_takes_corrections_by_the_new_flag_and_the_old(flag, tmp_path):
    defaults = training_cli.Defaults(tmp_path / "model.h5", tmp_path, (), "sqlite:///x", None)
    args = training_cli.parser(defaults).parse_args(["train", flag])
    assert args.with_corrections and training_cli.corrections_url(args, defaults) == "sqlite:///x"
    assert not training_cli.parser(defaults).parse_args(["train"]).with_corrections
