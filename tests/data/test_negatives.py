"""The negatives the model learns to refuse: every kind, shaped like a digit's field."""

from __future__ import annotations

import numpy as np
import pytest

from drawadigit.data import letters, negatives
from drawadigit.reading import preprocessing


@pytest.mark.parametrize("kind", sorted(negatives.KINDS))
def test_every_kind_makes_normalised_fields(kind, mnist_test):
    rng = np.random.default_rng(3)
    digits = preprocessing.scale_mnist(mnist_test[0][:200])
    for _ in range(20):
        field = negatives.negative(kind, rng, digits=digits)
        assert field.shape == (28, 28) and field.dtype == np.float32
        assert field.min() >= 0.0 and field.max() == pytest.approx(1.0)


def test_negatives_come_in_their_shares_and_repeat_with_the_seed(mnist_test):
    digits = preprocessing.scale_mnist(mnist_test[0][:500])
    fields, kinds = negatives.negatives(600, seed=2, digits=digits, workers=1, chunk=200)
    again, _ = negatives.negatives(600, seed=2, digits=digits, workers=2, chunk=200)
    np.testing.assert_array_equal(fields, again)
    assert fields.shape == (600, 28, 28)
    shares = {k: kinds.count(k) / len(kinds) for k in negatives.KINDS}
    for kind, (share, _) in negatives.KINDS.items():
        assert abs(shares[kind] - share) < 0.06, kind


def test_letters_that_look_like_digits_are_never_negatives():
    assert not set(letters.LETTERS) & set("OoQDIlijJTZzSsBbGgqy")
    assert not set(negatives.TRAIN_FONTS) & set(negatives.HELD_OUT_FONTS)


def test_a_drawn_negative_is_a_canvas_png():
    drawing = negatives.drawing("shapes", np.random.default_rng(0), negatives.HELD_OUT_FONTS)
    image = preprocessing.decode(drawing.png)
    assert image.size in negatives.sketches.CANVASES
    assert drawing.label == negatives.NOT_A_DIGIT and drawing.variant == "shapes"
