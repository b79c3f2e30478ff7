"""Split the ink of a drawing into the digits of a number, left to right.

Ink comes apart into connected pieces, but a digit can be several pieces (the separate flag of a
5, the crossbar of a 7, a 4 drawn in two strokes, the slash or dot of a zero, a stroke broken by
a thin pen) and a number is several digits side by side. So pieces only a hair apart (`BRIDGE`)
join, and then two groups merge when they share columns: one stands within the other's columns
(`CONTAINED`, a 4's stem in its bar), or they overlap by a good share of the narrower one
(`OVERLAP`; never counted narrower than a share of their height, so a hairline 1 does not merge
with a crossbar reaching over it). Two full-height strokes merge only when one stands above
the other (an =, the loops of an 8) or inside it (the slash of a zero), not side by side.
Specks far smaller than the digits are dropped. Each group is then normalised on its own, the
MNIST way (`preprocessing`).

Pure NumPy/SciPy; nothing here knows about models or Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as attribute

import numpy as np
from scipy import ndimage

from drawadigit.reading import preprocessing

MAX_PIECES = 64  # more pieces than this are noise: only the largest are grouped
SPECK_SHARE = 0.002  # pieces under this share of all ink are specks
OVERLAP = 0.4  # horizontal overlap, as a share of the narrower group, that makes one digit
MIN_WIDTH = 0.3  # ... where a group is never counted narrower than this share of its height
CONTAINED = 0.9  # a group this much inside another's columns stands within it (a 4's stem)
FULL_HEIGHT = 0.7  # groups at least this share of the taller one's height are whole strokes
SIDE_BY_SIDE = 0.5  # ... and side by side when they share this share of their rows
INSIDE = 0.3  # ... which still merge when this share of the smaller box lies inside the other
DUST_HEIGHT = 0.25  # groups shorter than this share of the tallest group ...
DUST_INK = 0.05  # ... holding less than this share of the ink are dust, not digits
EIGHT = np.ones((3, 3), bool)  # 8-connectivity
TRAILING = 0.6  # a mark this near after the last digit (in digit heights) is still the number's
HALO = 2  # pixels around a group's ink kept with it (the anti-aliased edge)
BRIDGE = 0.015  # pieces closer than twice this share of the ink's height are one stroke, broken


@dataclass(frozen=True)
class Segment:
    """One digit's worth of ink: its box in the image and its normalised 28x28 field."""

    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels; x1, y1 one past the ink
    field: np.ndarray
    ink: np.ndarray = attribute(default=None, repr=False, compare=False)  # its own ink, in its box
    mark: bool = False  # a small mark between digits (a point, a comma, a dash), not a digit
    strokes: tuple[int, ...] = ()  # the pen's strokes it holds, in drawing order (`stroke_groups`)


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
    within = overlap >= CONTAINED * min(a.width, b.width)  # one stands in the other's columns
    if overlap <= 0 or (
        not within and overlap < OVERLAP * max(min(a.width, b.width), MIN_WIDTH * scale)
    ):
        return False
    if min(a.height, b.height) < FULL_HEIGHT * scale:
        return True  # a flag, a bar, a dot, part of a stroke: it belongs to the digit it sits on
    rows = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
    if rows < SIDE_BY_SIDE * min(a.height, b.height):
        return True  # one above the other: the bars of an =, the loops of an 8
    smaller = min(a.width * a.height, b.width * b.height)
    return overlap * rows >= INSIDE * smaller  # full-height strokes: one inside the other


def _pieces(coverage: np.ndarray) -> tuple[np.ndarray, list[_Group]]:
    """Connected pieces of ink (8-connected, above the bounding-box threshold) as groups."""
    mask = coverage >= preprocessing.BBOX_THRESHOLD
    labels, count = ndimage.label(mask, structure=EIGHT)
    # Ink per piece in one pass (ndimage.sum_labels is far slower for thousands of specks).
    ink = np.bincount(labels.ravel(), weights=coverage.ravel(), minlength=count + 1)[1:]
    keep = np.flatnonzero(ink >= SPECK_SHARE * ink.sum())
    if keep.size == 0:  # nothing but specks (a sprinkle of noise): the largest stand for it
        keep = np.arange(count)
    keep = keep[np.argsort(-ink[keep])][:MAX_PIECES]
    slices = ndimage.find_objects(labels)
    groups = []
    for i in keep:
        rows, cols = slices[i]
        groups.append(_Group([int(i) + 1], cols.start, rows.start, cols.stop, rows.stop, ink[i]))
    return labels, groups


def _bridged(labels: np.ndarray, groups: list[_Group]) -> list[_Group]:
    """Join pieces only a hair apart: one stroke broken by a thin pen or a quick hand."""
    radius = max(1, round(BRIDGE * max(g.height for g in groups)))
    top, left = (
        max(0, min(g.y0 for g in groups) - radius),
        max(0, min(g.x0 for g in groups) - radius),
    )
    window = labels[
        top : max(g.y1 for g in groups) + radius, left : max(g.x1 for g in groups) + radius
    ]
    grown, _ = ndimage.label(
        ndimage.binary_dilation(window > 0, iterations=radius), structure=EIGHT
    )
    joined: dict[int, _Group] = {}
    for g in groups:  # every piece is one label so far: find one of its pixels in its box
        rows, cols = np.nonzero(labels[g.y0 : g.y1, g.x0 : g.x1] == g.labels[0])
        key = int(grown[g.y0 - top + rows[0], g.x0 - left + cols[0]])
        if key in joined:
            joined[key].absorb(g)
        else:
            joined[key] = g
    return list(joined.values())


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


def _without_dust(groups: list[_Group]) -> tuple[list[_Group], list[_Group]]:
    """Drop specks and stray dots far smaller than the digits beside them; return the groups
    kept, and the dust that stands between two of them (a point, a comma, a dash)."""
    tallest = max(g.height for g in groups)
    total = sum(g.ink for g in groups)
    kept = [g for g in groups if g.height >= DUST_HEIGHT * tallest or g.ink >= DUST_INK * total]
    if not kept:
        return groups, []
    dust = [g for g in groups if not any(g is k for k in kept)]
    return kept, [g for g in dust if _between(g, kept)]


def _between(mark: _Group, digits: list[_Group]) -> bool:
    """Whether a mark stands between two digits, or just after the last (a full stop), its
    middle in no digit's columns (a dash may reach into its neighbours')."""
    middle = (mark.x0 + mark.x1) / 2
    left = any((d.x0 + d.x1) / 2 < middle for d in digits)
    right = any((d.x0 + d.x1) / 2 > middle for d in digits)
    inside = any(d.x0 < middle < d.x1 for d in digits)  # its middle in a digit's columns
    last = max(d.x1 for d in digits)
    after = mark.x0 >= last and mark.x0 - last <= TRAILING * max(d.height for d in digits)
    return left and (right or after) and not inside


def segment(coverage: np.ndarray, marks: bool = False) -> list[Segment]:
    """Ink coverage (H, W) in [0, 1] -> the digits it holds, left to right, each normalised.

    One group holding all the ink is normalised exactly as `preprocessing.normalise_ink` does
    for the whole drawing, so a single digit reads as it always has. With `marks`, the small
    marks that stand between digits (dust otherwise dropped) come too, in their places, as
    segments with `mark` set (their field is the mark normalised).
    """
    # Work inside the ink's bounding box: a canvas is mostly empty, and nothing below the
    # threshold outside that box counts towards any digit (`preprocessing.crop_to_ink`).
    rows = np.flatnonzero(coverage.max(axis=1) >= preprocessing.BBOX_THRESHOLD)
    cols = np.flatnonzero(coverage.max(axis=0) >= preprocessing.BBOX_THRESHOLD)
    if rows.size == 0:
        raise preprocessing.NothingDrawn("Expected a drawing with visible strokes; received none.")
    top, left = int(rows[0]), int(cols[0])
    ink = coverage[top : rows[-1] + 1, left : cols[-1] + 1]
    labels, pieces = _pieces(ink)
    if len(pieces) > 1:
        pieces = _grouped(_bridged(labels, pieces))
    kept, between = _without_dust(pieces)
    between = between if marks else []
    groups = sorted(kept + between, key=lambda g: g.x0 + g.x1)

    def box(g: _Group) -> tuple[int, int, int, int]:
        return (left + g.x0, top + g.y0, left + g.x1, top + g.y1)

    if len(groups) == 1 and len(groups[0].labels) == labels.max():
        g = groups[0]
        return [Segment(box(g), preprocessing.normalise_ink(ink), ink[g.y0 : g.y1, g.x0 : g.x1])]
    segments = []
    for g in groups:
        y0, x0 = max(0, g.y0 - HALO), max(0, g.x0 - HALO)
        window = (slice(y0, g.y1 + HALO), slice(x0, g.x1 + HALO))
        own = ndimage.binary_dilation(np.isin(labels[window], g.labels), iterations=HALO)
        mine = np.where(own, ink[window], 0.0)
        inside = mine[g.y0 - y0 : g.y1 - y0, g.x0 - x0 : g.x1 - x0]
        field = preprocessing.normalise_ink(mine)
        segments.append(Segment(box(g), field, inside, any(g is m for m in between)))
    return segments
