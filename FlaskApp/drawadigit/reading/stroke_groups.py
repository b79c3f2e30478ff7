"""Digits from the pen's strokes: the page knows what the pixels cannot tell.

Two digits that a fat pen makes touch are one piece of ink but two strokes; a 5 whose flag was
drawn apart is two pieces but one digit. So, given the strokes (in the image's pixels), the
strokes are grouped into digits the way `segmentation` groups pieces of ink (strokes that share
columns, one standing within or above another, are one digit), every pixel of ink goes to the
group whose strokes pass nearest, and each group's own ink is normalised on its own. A digit
written in one stroke with its neighbour ("11", "100") is one wide group, which `cuts` may cut;
touching digits that the grouping took for one are split into runs of their strokes (`runs`),
but only runs that stand side by side as digits do, left to right (`side_by_side`): the two
strokes of an X cross, and each alone would read as a sure 1; the bars of a $ go back into it.

Pure NumPy, SciPy and Pillow; nothing here knows about models or Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from drawadigit.reading import preprocessing, segmentation

MAX_STROKES = segmentation.MAX_PIECES  # more strokes than this: read from the pixels alone
MAX_RUN = 4  # a digit is at most this many strokes in a row
RUN_HEIGHT = 0.5  # a run of strokes shorter than this share of its group's height is no digit
# Runs of strokes are digits side by side only when each shares at most this share of its
# columns (never counted narrower than MIN_WIDTH of their height) with the one before it (the
# strokes of an X or a Y cross) ...
RUN_OVERLAP = 0.7
# ... and when its middle stands this share of their height right of the one before's: digits are
# written left to right, and the bar of a $ goes back into its S.
ADVANCE = 0.1
MIN_WIDTH = segmentation.MIN_WIDTH


@dataclass(frozen=True)
class Run:
    """Strokes [i, j) of a group, in drawing order, as a segment of their own."""

    i: int
    j: int
    segment: segmentation.Segment


def _groups(strokes: list[np.ndarray], pen: float) -> list[segmentation._Group]:
    """One group per stroke (its box grown by half the pen), merged into digits."""
    groups = []
    for i, stroke in enumerate(strokes):
        x0, y0 = stroke[:, :2].min(axis=0) - pen / 2
        x1, y1 = stroke[:, :2].max(axis=0) + pen / 2
        length = float(np.hypot(*np.diff(stroke[:, :2], axis=0).T).sum()) + pen
        groups.append(segmentation._Group([i], int(x0), int(y0), int(x1) + 1, int(y1) + 1, length))
    return segmentation._grouped(groups)


def _owners(ink: np.ndarray, strokes: list[np.ndarray], groups, origin) -> np.ndarray:
    """For every pixel, 1 + the index of the group whose strokes pass nearest to it."""
    lines = Image.new("I", (ink.shape[1], ink.shape[0]), 0)
    draw = ImageDraw.Draw(lines)
    for number, group in enumerate(groups, 1):
        for i in group.labels:
            points = [(float(x) - origin[0], float(y) - origin[1]) for x, y in strokes[i][:, :2]]
            if len(points) > 1:
                draw.line(points, fill=number, width=1)
            draw.point(points, fill=number)
    drawn = np.asarray(lines, np.int32)
    if not drawn.any():
        return np.ones(ink.shape, np.int32)
    _, (rows, cols) = ndimage.distance_transform_edt(drawn == 0, return_indices=True)
    return drawn[rows, cols]


def _drawn(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """The strokes with any points (the indices every group's `strokes` refer to)."""
    return [s for s in strokes if len(s)]


def _pen(coverage: np.ndarray, strokes: list[np.ndarray]) -> float:
    """The pen's width, from the ink's area over the strokes' length."""
    length = sum(float(np.hypot(*np.diff(s[:, :2], axis=0).T).sum()) for s in strokes)
    area = float((coverage >= 0.5).sum())
    return max(1.0, area / max(length, 1.0))


def segment(coverage: np.ndarray, strokes: list[np.ndarray]) -> list[segmentation.Segment]:
    """Ink coverage (H, W) and the strokes that drew it -> its digits left to right (and the
    marks between them, `mark` set), as `segmentation.segment(coverage, marks=True)` gives them
    from the pixels alone; which it falls back to for too many strokes, or none on the ink."""
    rows = np.flatnonzero(coverage.max(axis=1) >= preprocessing.BBOX_THRESHOLD)
    cols = np.flatnonzero(coverage.max(axis=0) >= preprocessing.BBOX_THRESHOLD)
    if rows.size == 0:
        raise preprocessing.NothingDrawn("Expected a drawing with visible strokes; received none.")
    strokes = _drawn(strokes)
    if not strokes or len(strokes) > MAX_STROKES:
        return segmentation.segment(coverage, marks=True)
    top, left = int(rows[0]), int(cols[0])
    ink = coverage[top : rows[-1] + 1, left : cols[-1] + 1]
    groups = _groups(strokes, _pen(coverage, strokes))
    owners = _owners(ink, strokes, groups, (left, top))
    found = []
    for number, group in enumerate(groups, 1):
        own = np.where(owners == number, ink, 0.0)
        mask = own >= preprocessing.BBOX_THRESHOLD
        if not mask.any():
            continue
        ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        group.y0, group.y1 = int(ys[0]), int(ys[-1]) + 1
        group.x0, group.x1 = int(xs[0]), int(xs[-1]) + 1
        group.ink = float(own.sum())
        found.append((group, own))
    if not found:
        return segmentation.segment(coverage, marks=True)
    kept, between = segmentation._without_dust([g for g, _ in found])
    segments = []
    for group, own in found:
        mark = any(group is m for m in between)
        if not mark and not any(group is k for k in kept):
            continue  # dust
        box = (left + group.x0, top + group.y0, left + group.x1, top + group.y1)
        inside = own[group.y0 : group.y1, group.x0 : group.x1]
        field = preprocessing.normalise_ink(inside)
        held = tuple(sorted(group.labels))
        segments.append(segmentation.Segment(box, field, inside, mark, held))
    return sorted(segments, key=lambda s: s.box[0] + s.box[2])


def runs(segment: segmentation.Segment, strokes: list[np.ndarray]) -> list[Run]:
    """Every run of a segment's strokes that follow each other in drawing order (at most
    MAX_RUN, short of all of them, as tall as a digit beside the others), with its own ink:
    the pieces that `cuts.best_split` may read a group of several digits as."""
    strokes, held = _drawn(strokes), segment.strokes
    x0, y0, _, y1 = segment.box
    singles = [segmentation._Group([i], 0, 0, 0, 0, 0.0) for i in held]
    owners = _owners(segment.ink, strokes, singles, (x0, y0))  # 1 + the stroke's place in held
    found = []
    for i in range(len(held)):
        for j in range(i + 1, min(len(held), i + MAX_RUN) + 1):
            if j - i == len(held):
                continue
            own = np.where((owners > i) & (owners <= j), segment.ink, 0.0)
            mask = own >= preprocessing.BBOX_THRESHOLD
            ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
            if ys.size == 0 or ys[-1] + 1 - ys[0] < RUN_HEIGHT * (y1 - y0):
                continue
            inside = own[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
            box = (x0 + int(xs[0]), y0 + int(ys[0]), x0 + int(xs[-1]) + 1, y0 + int(ys[-1]) + 1)
            field = preprocessing.normalise_ink(inside)
            found.append(Run(i, j, segmentation.Segment(box, field, inside, False, held[i:j])))
    return found


def side_by_side(boxes: list[tuple[int, int, int, int]]) -> bool:
    """Whether boxes, in drawing order, stand side by side as digits do: each shares at most
    RUN_OVERLAP of the narrower one's columns with the one before it, and its middle stands
    ADVANCE of their height right of that one's."""
    for a, b in pairwise(boxes):
        overlap = min(a[2], b[2]) - max(a[0], b[0])
        height = max(a[3], b[3]) - min(a[1], b[1])
        narrower = max(min(a[2] - a[0], b[2] - b[0]), MIN_WIDTH * height)
        if overlap > RUN_OVERLAP * narrower:
            return False
        if (b[0] + b[2]) / 2 - (a[0] + a[2]) / 2 < ADVANCE * height:
            return False
    return True
