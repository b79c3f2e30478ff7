"""Sides of touching digits cut apart: each side its own digit, with its label."""

from __future__ import annotations

import numpy as np
import pytest

from drawadigit.data import negatives, pieces
from drawadigit.reading import preprocessing


def bar() -> np.ndarray:
    """A 28x28 field holding a 1: a vertical bar."""
    field = np.zeros((28, 28), np.float32)
    field[4:24, 12:16] = 1.0
    return field


def ring() -> np.ndarray:
    """A 28x28 field holding a 0: a ring."""
    yy, xx = np.mgrid[:28, :28]
    radius = np.hypot(yy - 14, (xx - 14) * 1.4)
    return ((radius > 6) & (radius < 9)).astype(np.float32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_two_digits_are_set_touching_each_on_its_own_layer():
    first, second = negatives.touching(bar(), ring(), np.random.default_rng(0))
    width = [(layer > 0).any(axis=0).sum() for layer in (first, second)]
    together = (np.maximum(first, second) > 0).any(axis=0).sum()
    assert sum(width) - 5 <= together <= sum(width)  # side by side, overlapping a little


def test_two_touching_digits_are_cut_into_their_own_sides():
    first = np.zeros((36, 64), np.float32)
    second = np.zeros_like(first)
    first[4:32, :28] = bar()  # its ink in columns 12-15
    second[4:32, 8:36] = ring()  # its ink from column 16: the two touch
    left, right = pieces.cut_apart(first, second)
    assert similarity(left, preprocessing.normalise_ink(bar())) > 0.9
    assert similarity(right, preprocessing.normalise_ink(ring())) > 0.9


def test_a_cut_that_would_take_much_of_a_neighbour_is_no_piece():
    first = np.zeros((36, 64), np.float32)
    second = np.zeros_like(first)
    first[10:14, 2:60] = 1.0  # a stroke reaching across where the second digit stands
    second[4:30, 30:34] = 1.0
    assert pieces.cut_apart(first, second) is None


def test_cut_pieces_are_labelled_with_the_digits_they_were_cut_from(mnist_test):
    images, labels = mnist_test
    keep = np.isin(labels, [0, 1])
    digits = preprocessing.scale_mnist(images[keep][:300])
    fields, found = pieces.cut_pieces(digits, labels[keep][:300], 200, seed=4)
    assert len(found) >= 200 and fields.shape == (len(found), 28, 28)
    assert set(found.tolist()) == {0, 1}
    assert fields.max() == pytest.approx(1.0) and fields.min() >= 0.0
    again, _ = pieces.cut_pieces(digits, labels[keep][:300], 200, seed=4)
    np.testing.assert_array_equal(fields, again)
