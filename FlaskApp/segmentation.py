"""Split the ink of a drawing into the digits of a number, left to right.

Ink comes apart into connected pieces, but a digit can be several pieces (the separate flag of a
5, the crossbar of a 7, a 4 drawn in two strokes, the slash or dot of a zero) and a number is
several digits side by side. So pieces are grouped: two groups merge when they overlap
horizontally by a good share of the narrower one (`OVERLAP`; never counted narrower than a
share of their height, so a hairline 1 does not merge with a crossbar reaching over it), unless
both are full-height strokes standing beside each other rather than one inside the other.
Specks far smaller than the digits are dropped. Each group is then normalised on its own, the
MNIST way (`preprocessing`).

Pure NumPy/SciPy; nothing here knows about models or Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import preprocessing
from scipy import ndimage

MAX_PIECES = 64  # more pieces than this are noise: only the largest are grouped
SPECK_SHARE = 0.002  # pieces under this share of all ink are specks
OVERLAP = 0.4  # horizontal overlap, as a share of the narrower group, that makes one digit
MIN_WIDTH = 0.3  # ... where a group is never counted narrower than this share of its height
FULL_HEIGHT = 0.7  # groups at least this share of the taller one's height are whole strokes
INSIDE = 0.3  # ... which still merge when this share of the smaller box lies inside the other
DUST_HEIGHT = 0.25  # groups shorter than this share of the tallest group ...
DUST_INK = 0.05  # ... holding less than this share of the ink are dust, not digits
HALO = 2  # pixels around a group's ink kept with it (the anti-aliased edge)
CUT_ASPECT = 0.8  # only a piece at least this wide for its height may be two digits touching
CUT_RANGE = (0.25, 0.75)  # where across the piece a cut may fall
CUTS = 3  # cuts tried: the columns with least ink, a tenth of the width apart


@dataclass(frozen=True)
class Segment:
    """One digit's worth of ink: its box in the image and its normalised 28x28 field."""

    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels; x1, y1 one past the ink
    field: np.ndarray
    ink: np.ndarray = field(repr=False, compare=False)  # its own ink, inside the box


@dataclass
class _Group:
    labels: list[int]
    x0: int
    y0: int
    x1: int
    y1: int
    ink: float

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def absorb(self, other: _Group) -> None:
        self.labels += other.labels
        self.x0, self.y0 = min(self.x0, other.x0), min(self.y0, other.y0)
        self.x1, self.y1 = max(self.x1, other.x1), max(self.y1, other.y1)
        self.ink += other.ink


def _one_digit(a: _Group, b: _Group) -> bool:
    """Whether two groups of ink are parts of the same digit."""
    scale = max(a.height, b.height)
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    narrower = max(min(a.width, b.width), MIN_WIDTH * scale)
    if overlap < OVERLAP * narrower:
        return False
    if min(a.height, b.height) < FULL_HEIGHT * scale:
        return True  # a flag, a bar, a dot, part of a stroke: it belongs to the digit it sits on
    inside_w = max(0, overlap)
    inside_h = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
    smaller = min(a.width * a.height, b.width * b.height)
    return inside_w * inside_h >= INSIDE * smaller


def _pieces(coverage: np.ndarray) -> tuple[np.ndarray, list[_Group]]:
    """Connected pieces of ink (8-connected, above the bounding-box threshold) as groups."""
    mask = coverage >= preprocessing.BBOX_THRESHOLD
    labels, count = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if count == 0:
        raise preprocessing.NothingDrawn("Expected a drawing with visible strokes; received none.")
    index = np.arange(1, count + 1)
    ink = ndimage.sum_labels(coverage, labels, index)
    keep = np.flatnonzero(ink >= SPECK_SHARE * ink.sum())
    keep = keep[np.argsort(-ink[keep])][:MAX_PIECES]
    slices = ndimage.find_objects(labels)
    groups = []
    for i in keep:
        rows, cols = slices[i]
        groups.append(_Group([int(i) + 1], cols.start, rows.start, cols.stop, rows.stop, ink[i]))
    return labels, groups


def _grouped(groups: list[_Group]) -> list[_Group]:
    """Merge groups that belong to one digit until none do."""
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if _one_digit(groups[i], groups[j]):
                    groups[i].absorb(groups.pop(j))
                    merged = True
                    break
            if merged:
                break
    return groups


def _without_dust(groups: list[_Group]) -> list[_Group]:
    """Drop specks and stray dots far smaller than the digits beside them."""
    tallest = max(g.height for g in groups)
    total = sum(g.ink for g in groups)
    kept = [g for g in groups if g.height >= DUST_HEIGHT * tallest or g.ink >= DUST_INK * total]
    return kept or groups


def segment(coverage: np.ndarray) -> list[Segment]:
    """Ink coverage (H, W) in [0, 1] -> the digits it holds, left to right, each normalised.

    One group holding all the ink is normalised exactly as `preprocessing.normalise_ink` does
    for the whole drawing, so a single digit reads as it always has.
    """
    labels, pieces = _pieces(coverage)
    groups = sorted(_without_dust(_grouped(pieces)), key=lambda g: g.x0 + g.x1)
    if len(groups) == 1 and len(groups[0].labels) == labels.max():
        g = groups[0]
        box = (g.x0, g.y0, g.x1, g.y1)
        ink = coverage[g.y0 : g.y1, g.x0 : g.x1]
        return [Segment(box, preprocessing.normalise_ink(coverage), ink)]
    segments = []
    for g in groups:
        top, left = max(0, g.y0 - HALO), max(0, g.x0 - HALO)
        window = (slice(top, g.y1 + HALO), slice(left, g.x1 + HALO))
        own = ndimage.binary_dilation(np.isin(labels[window], g.labels), iterations=HALO)
        ink = np.where(own, coverage[window], 0.0)
        box = (g.x0, g.y0, g.x1, g.y1)
        inside = ink[g.y0 - top : g.y1 - top, g.x0 - left : g.x1 - left]
        segments.append(Segment(box, preprocessing.normalise_ink(ink), inside))
    return segments


def _part(segment: Segment, start: int, stop: int) -> Segment | None:
    """The columns [start, stop) of a segment's ink as a segment of its own."""
    ink = segment.ink[:, start:stop]
    rows = np.flatnonzero(ink.max(axis=1) >= preprocessing.BBOX_THRESHOLD)
    if rows.size == 0:
        return None
    x0, y0 = segment.box[0] + start, segment.box[1]
    box = (x0, y0 + int(rows[0]), x0 + ink.shape[1], y0 + int(rows[-1]) + 1)
    return Segment(box, preprocessing.normalise_ink(ink), ink[rows[0] : rows[-1] + 1])


def cuts(segment: Segment) -> list[tuple[Segment, Segment]]:
    """Ways to cut a wide piece of ink in two where it has least ink: two digits that touch.

    The columns between `CUT_RANGE` of the width with the least ink are tried, `CUTS` of them;
    the reader keeps the cut, if any, whose two halves both read as digits.
    """
    height, width = segment.ink.shape
    if width < CUT_ASPECT * height or width < 8:
        return []
    low, high = (round(share * width) for share in CUT_RANGE)
    profile = segment.ink[:, low:high].sum(axis=0)
    chosen: list[int] = []
    for column in np.argsort(profile, kind="stable") + low:
        if all(abs(column - c) >= width / 10 for c in chosen):
            chosen.append(int(column))
        if len(chosen) == CUTS:
            break
    pairs = []
    for column in chosen:
        left, right = _part(segment, 0, column), _part(segment, column, width)
        if left is not None and right is not None:
            pairs.append((left, right))
    return pairs
