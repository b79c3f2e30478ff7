"""Digits drawn in pieces side by side: two neighbouring parts read again as one.

Segmentation joins the pieces of a digit that share columns (a 5's flag over its body, a 4's
stem through its bar). A hand also writes digits whose pieces stand side by side: a 4 whose bent
stroke ends left of its stem, a 5 whose flag is drawn apart, a 0 closed by a second stroke. Read
apart, such pieces are refused or misread, and one refused piece refuses the drawing. So two
neighbouring parts that could be one digit by their shape (`fits`: together about as wide as
tall, sharing rows, close) are read once more together, all such pairs in one batch, when
either is refused alone (`unsure`); they become one digit only when the pair reads as a sure
digit (`SURE`) and likelier than its two parts apart. Two parts that each read surely ("11",
"10") are never joined, nor is a part shaped like a separator (the caller says which).

Pure NumPy; nothing here knows about models or Flask.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import preprocessing
import segmentation

SURE = 0.9  # two parts are joined only when they read together at least this surely
WIDTH = 1.0  # ... and together at most this many times as wide as tall,
ROWS = 0.5  # ... sharing at least this share of the shorter one's rows,
GAP = 0.25  # ... at most this share of their height apart
FLOOR = 1e-6


def fits(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether two boxes (a left of b) could hold one digit between them."""
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[2], b[2]), max(a[3], b[3])
    height = y1 - y0
    shared = min(a[3], b[3]) - max(a[1], b[1])
    shorter = min(a[3] - a[1], b[3] - b[1])
    return x1 - x0 <= WIDTH * height and shared >= ROWS * shorter and b[0] - a[2] <= GAP * height


def unsure(likeness: float, not_a_digit: float, refuse_at: float) -> bool:
    """Whether a part cannot stand as a digit of its own: it is refused. (A part that merely
    reads unsurely is left alone: joined to a sure neighbour, it would drop a digit.)"""
    return not_a_digit >= refuse_at


def joined(a: segmentation.Segment, b: segmentation.Segment) -> segmentation.Segment:
    """One segment holding the ink of both, normalised as one digit."""
    x0, y0 = min(a.box[0], b.box[0]), min(a.box[1], b.box[1])
    x1, y1 = max(a.box[2], b.box[2]), max(a.box[3], b.box[3])
    ink = np.zeros((y1 - y0, x1 - x0), np.float32)
    for part in (a, b):
        px0, py0 = part.box[0] - x0, part.box[1] - y0
        h, w = part.ink.shape
        window = ink[py0 : py0 + h, px0 : px0 + w]
        np.maximum(window, part.ink[: window.shape[0], : window.shape[1]], out=window)
    return segmentation.Segment((x0, y0, x1, y1), preprocessing.normalise_ink(ink), ink)


def merge(
    segments: Sequence[segmentation.Segment],
    likeness: Sequence[tuple[float, float]],
    read: Callable[[list[np.ndarray]], list[tuple[float, float]]],
    refuse_at: float,
    fixed: Sequence[bool],
) -> list[tuple[int, segmentation.Segment, int]]:
    """The pairs of neighbouring parts (left to right) to join: (i, the joined segment, the
    index of its reading in `read`'s answers). `likeness[i]` is part i's (likeness as a digit,
    "not a digit" probability); `fixed[i]` keeps part i as it is (a separator's shape);
    `read(fields)` reads fields in one batch, returning the same pairs."""
    pairs = [
        i
        for i in range(len(segments) - 1)
        if not (fixed[i] or fixed[i + 1])
        and segments[i].ink is not None
        and segments[i + 1].ink is not None
        and fits(segments[i].box, segments[i + 1].box)
        and (unsure(*likeness[i], refuse_at) or unsure(*likeness[i + 1], refuse_at))
    ]
    if not pairs:
        return []
    candidates = [joined(segments[i], segments[i + 1]) for i in pairs]
    read_together = read([c.field for c in candidates])
    order = sorted(range(len(pairs)), key=lambda k: -read_together[k][0])
    taken: set[int] = set()
    chosen = []
    for k in order:
        i = pairs[k]
        both, refusal = read_together[k]
        apart = math.log(max(likeness[i][0], FLOOR)) + math.log(max(likeness[i + 1][0], FLOOR))
        if (
            i in taken
            or i + 1 in taken
            or both < SURE
            or refusal >= refuse_at
            or math.log(both) <= apart
        ):
            continue
        taken.update((i, i + 1))
        chosen.append((i, candidates[k], k))
    return sorted(chosen)
