"""Digits as the reader's cuts see them: two touching MNIST digits cut apart where their ink
is thinnest, each side read as its own digit.

A number whose digits touch is one piece of ink that the reader cuts at its thinnest columns
(`reading.cuts`); each side then holds its digit and a sliver of its neighbour's ink. Trained on
MNIST's clean digits alone, the model is unsure of such sides, and a cut is kept only when every
side is surely a digit. These are such sides, labelled with their digits.

    fields, labels = cut_pieces(digits, labels, count, seed)

Pure NumPy; nothing here knows about models or Flask.
"""

from __future__ import annotations

import numpy as np

from drawadigit.data import negatives
from drawadigit.reading import preprocessing

KEPT = 0.9  # each side keeps at least this share of its own digit's ink ...
SLIVER = 0.25  # ... and holds at most this much of its neighbour's, for its own


def cut_apart(first: np.ndarray, second: np.ndarray) -> list[np.ndarray] | None:
    """Both sides of two touching digits (`negatives.touching`'s layers), cut at the column of
    least ink between the ends of the two digits' ink, each normalised; None unless each side
    holds its own digit and little of the other (`KEPT`, `SLIVER`)."""
    both = np.maximum(first, second)
    ink_a, ink_b = np.flatnonzero(first.max(axis=0) > 0), np.flatnonzero(second.max(axis=0) > 0)
    start, end = int(ink_b[0]), int(ink_a[-1]) + 1  # where the two may share columns
    start, end = min(start, end - 1), max(start + 1, end)
    cut = start + int(np.argmin(both[:, start:end].sum(axis=0)))
    own = (first[:, :cut].sum() / first.sum(), second[:, cut:].sum() / second.sum())
    slivers = (second[:, :cut].sum() / first.sum(), first[:, cut:].sum() / second.sum())
    if min(own) < KEPT or max(slivers) > SLIVER or not 0 < cut < both.shape[1]:
        return None
    try:
        return [
            preprocessing.normalise_ink(both[:, :cut]),
            preprocessing.normalise_ink(both[:, cut:]),
        ]
    except preprocessing.NothingDrawn:
        return None


def cut_pieces(
    digits: np.ndarray, labels: np.ndarray, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """About `count` sides of touching pairs of `digits` (MNIST fields in [0, 1]), with their
    labels."""
    rng = np.random.default_rng(seed)
    fields, found = [], []
    for _ in range(4 * count):  # about half the pairs cut cleanly
        if len(fields) >= count:
            break
        i, j = rng.integers(len(digits), size=2)
        made = negatives.touching(digits[i], digits[j], rng)
        sides = None if made is None else cut_apart(*made)
        if sides is not None:
            fields += sides
            found += [int(labels[i]), int(labels[j])]
    if not fields:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)
    return np.stack(fields).astype(np.float32), np.asarray(found, np.int64)
