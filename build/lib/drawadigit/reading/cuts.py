"""Touching and joined digits: a piece of ink cut where the classifier reads it best.

Two digits that touch, or that a hand joined in one stroke ("100", "20"), come out of
segmentation as one piece, which the model refuses (it learned touching pairs as "not a digit")
or misreads. Such a piece is cut, the way a reader would try: candidate cuts are the columns
where the ink is thinnest (`candidates`); every span between two cuts that could be a digit is
read, all in one batch; and the best path through the spans (`best_path`) is the reading whose
digits are likeliest, each span scored by the log of its likeliest digit's probability times its
probability of being a digit at all. The piece read whole is one of the paths, so a digit is
only cut when its parts are surer digits than it is: a refused letter stays refused unless every
part of it is a confident digit.

Pure NumPy; nothing here knows about models or Flask.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from drawadigit.reading import preprocessing

MAX_CUTS = 10  # candidate cuts per piece (the thinnest columns): at most 66 spans to read
MIN_SPAN = 0.12  # a span narrower than this share of the piece's height is no digit (a 1: 0.12)
MAX_SPAN = 1.25  # ... nor one wider than this
WIDE = 1.0  # a piece wider than its height may be several digits, however it reads
SURE = 0.9  # every part of a cut piece must be a digit at least this surely ...
MARGIN = 0.05  # ... and the parts together likelier than the piece whole by this much (log)
FLOOR = 1e-6


@dataclass(frozen=True)
class Span:
    """Columns [x0, x1) of a piece, and its ink there."""

    x0: int
    x1: int
    field: np.ndarray  # normalised 28x28
    rows: tuple[int, int]  # y0, y1 of its ink within the piece


def worth_cutting(width: int, height: int, digit_likeness: float) -> bool:
    """Whether a piece may be several digits: wide, or not surely one digit."""
    return width > WIDE * height or digit_likeness < SURE


def candidates(ink: np.ndarray) -> list[int]:
    """Columns where the ink is thinnest (local minima of the column sums), at most MAX_CUTS,
    none nearer the edges or each other than MIN_SPAN of the height."""
    height, width = ink.shape
    least = max(1, int(MIN_SPAN * height))
    profile = ndimage.uniform_filter1d(ink.sum(axis=0), size=max(1, height // 20))
    order = np.argsort(profile, kind="stable")
    chosen: list[int] = []
    for x in order:
        x = int(x)
        if x < least or x > width - least:
            continue
        left, right = profile[max(0, x - least) : x], profile[x + 1 : x + 1 + least]
        if (left.size and profile[x] > left.min()) or (right.size and profile[x] > right.min()):
            continue  # not a valley
        if all(abs(x - c) >= least for c in chosen):
            chosen.append(x)
        if len(chosen) == MAX_CUTS:
            break
    return sorted(chosen)


def spans(ink: np.ndarray, cuts: list[int]) -> list[Span]:
    """Every span between two boundaries (the edges and the cuts) that could hold one digit."""
    height, width = ink.shape
    bounds = [0, *cuts, width]
    out = []
    for i, x0 in enumerate(bounds):
        for x1 in bounds[i + 1 :]:
            if not MIN_SPAN * height <= x1 - x0 <= MAX_SPAN * height:
                continue
            part = ink[:, x0:x1]
            rows = np.flatnonzero(part.max(axis=1) >= preprocessing.BBOX_THRESHOLD)
            if rows.size == 0:
                continue
            try:
                field = preprocessing.normalise_ink(part)
            except preprocessing.NothingDrawn:
                continue
            out.append(Span(x0, x1, field, (int(rows[0]), int(rows[-1]) + 1)))
    return out


def score(likeness: float) -> float:
    """A span's score: the log of how likely it is one digit (its best digit's probability
    times its probability of being a digit)."""
    return math.log(max(likeness, FLOOR))


def best_path(width: int, scored: dict[tuple[int, int], float]) -> list[tuple[int, int]]:
    """The spans from column 0 to `width` whose scores sum highest (dynamic programming)."""
    best: dict[int, tuple[float, list[tuple[int, int]]]] = {0: (0.0, [])}
    for x0, x1 in sorted(scored, key=lambda s: (s[1], s[0])):
        if x0 in best:
            total = best[x0][0] + scored[(x0, x1)]
            if x1 not in best or total > best[x1][0]:
                best[x1] = (total, [*best[x0][1], (x0, x1)])
    return best.get(width, (0.0, [(0, width)]))[1]


Likeness = Callable[[list[np.ndarray]], list[float]]


def cut(ink: np.ndarray, whole: float, likeness: Likeness) -> list[tuple[Span, int]] | None:
    """The spans a piece of ink is best read as, each with its place in the batch handed to
    `likeness`; None when the piece reads best whole.

    `whole` is the piece's own digit likeness; `likeness` gives it for a list of fields, in
    one batch."""
    width = ink.shape[1]
    found = [s for s in spans(ink, candidates(ink)) if (s.x0, s.x1) != (0, width)]
    if not found:
        return None
    values = likeness([s.field for s in found])
    path = best_split(width, {(s.x0, s.x1): v for s, v in zip(found, values, strict=True)}, whole)
    if path is None:
        return None
    place = {(s.x0, s.x1): i for i, s in enumerate(found)}
    return [(found[place[b]], place[b]) for b in path]


def best_split(end: int, likeness: dict[tuple[int, int], float], whole: float):
    """The best path of spans from 0 to `end` (columns, or strokes in drawing order), each
    span's digit likeness given; None unless it has several spans, every one a digit at least
    SURE, and together they are likelier than the whole (`whole`, its likeness) by MARGIN."""
    scored = {span: score(v) for span, v in likeness.items()}
    path = best_path(end, scored)
    total = sum(scored.get(b, score(whole)) for b in path)
    if len(path) < 2 or any(likeness[b] < SURE for b in path):
        return None
    return path if total >= score(whole) + MARGIN else None
