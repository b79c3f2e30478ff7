"""Training augmentation: normalised output, styles MNIST barely has, reproducible by seed."""

from __future__ import annotations

import numpy as np
import pytest

from drawadigit.data import augment
from drawadigit.reading import preprocessing


@pytest.fixture(scope="module")
def train_digits(mnist_dir):
    """The first 300 MNIST training digits as fields, with their labels."""
    from drawadigit.data import mnist

    images, labels = mnist.load_split(mnist_dir, "train")
    return preprocessing.scale_mnist(images[:300]), labels[:300]


def first(train_digits, digit: int) -> np.ndarray:
    fields, labels = train_digits
    return np.pad(fields[np.flatnonzero(labels == digit)[0]], augment.MARGIN)


def centre_of_mass(field: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(field.shape)
    return float((ys * field).sum() / field.sum()), float((xs * field).sum() / field.sum())


def test_augmented_digits_keep_the_preprocessing_contract(train_digits):
    fields, labels = train_digits
    out = augment.augment_many(fields[:100], labels[:100], seed=3, workers=1)
    assert out.shape == (100, 28, 28) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    for field in out:
        rows = np.flatnonzero(field.max(axis=1) >= preprocessing.BBOX_THRESHOLD)
        cols = np.flatnonzero(field.max(axis=0) >= preprocessing.BBOX_THRESHOLD)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in range(19, 24)
        cy, cx = centre_of_mass(field)
        assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    # Augmentation changes the digits: they are not just the pipeline's rendering of MNIST.
    plain = np.stack([preprocessing.normalise_ink(f) for f in fields[:100]])
    assert np.abs(out - plain).mean() > 0.02


def test_augmentation_is_reproducible_by_seed_whatever_the_workers(train_digits):
    fields, labels = train_digits
    one = augment.augment_many(fields, labels, seed=5, workers=1, chunk=100)
    two = augment.augment_many(fields, labels, seed=5, workers=2, chunk=100)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, augment.augment_many(fields, labels, seed=6, chunk=100))


def test_slashed_zero_crosses_the_ring(train_digits):
    zero = first(train_digits, 0)
    rng = np.random.default_rng(0)
    hole = zero.shape[0] // 2 - 1, zero.shape[0] // 2 + 2
    assert zero[hole[0] : hole[1], hole[0] : hole[1]].max() < 0.5  # MNIST's zero is open
    crossed = 0
    for _ in range(20):
        variant = augment.slashed_zero(zero, rng)
        assert (variant >= zero - 1e-6).all()  # strokes are added, never removed
        crossed += variant[hole[0] : hole[1], hole[0] : hole[1]].max() >= 0.5
    assert crossed >= 16  # a slash or a dot through the middle, nearly every time


def test_flagged_one_gets_ink_left_of_its_top(train_digits):
    one = first(train_digits, 1)
    top, bottom, _, _ = augment._ink_box(one)
    tip = int(np.flatnonzero(one[top] >= 0.5).min())
    rng = np.random.default_rng(0)
    for _ in range(10):
        added = augment.flagged_one(one, rng) - one
        # A flag, however short and steep, adds ink left of the top of the stem.
        assert (added[top : top + (bottom - top) // 2, :tip] >= 0.3).sum() >= 2


def test_crossed_seven_gets_a_bar_across_its_stem(train_digits):
    seven = first(train_digits, 7)
    rng = np.random.default_rng(0)
    top, bottom, _, _ = augment._ink_box(seven)
    lower = slice(top + (bottom - top) * 2 // 5, top + (bottom - top) * 7 // 10)
    widest_before = (seven[lower] >= 0.5).sum(axis=1).max()
    for _ in range(10):
        variant = augment.crossed_seven(seven, rng)
        assert (variant[lower] >= 0.5).sum(axis=1).max() >= widest_before + 3


@pytest.mark.parametrize("width", [1.6, 3.4])
def test_round_pen_redraws_strokes_at_the_given_width(train_digits, width):
    eight = first(train_digits, 8)
    redrawn = augment.round_pen(eight, width)
    fine = np.asarray(
        preprocessing._resize(redrawn, (redrawn.shape[1] * 4, redrawn.shape[0] * 4), 2)
    )
    assert preprocessing.stroke_width(fine) == pytest.approx(width, abs=0.6)
