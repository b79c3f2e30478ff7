"""What stands between the digits of a number, by its shape: a point, a comma, a dash, a slash,
a colon, or a bracket.

`mark` judges the small marks that segmentation sets apart (dust beside digits); `glyph` the
digit-sized parts of a number that are shaped like a slash, a colon or a bracket, which the
model would read as a 1. Both look only at geometry against the digits beside them (`digits`,
their boxes): where the mark sits in the digits' band (0 at their top, 1 at their foot), how
wide and tall it is, how its ink leans (against the writing's own slant, `slant`: in slanted
writing a 1 leans as steeply as a slash in upright writing) and bows. `READ` says which are
read into the number; a bracket, or a mark that is none of these, is not (the drawing is
refused).

Pure NumPy and SciPy; nothing here knows about models or Flask.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

READ = {
    ".": ".",
    ",": ",",
    "-": "-",
    "/": "/",
    ":": ":",
    "(": None,
    ")": None,
}  # what each shape adds to the number
FLAT = 1.8  # a dash is this many times wider than tall ...
SMALL = 0.35  # a point or a comma at most this share of the digits' height ...
TALL = 1.4  # ... a comma this many times taller than wide
LOW = 0.4  # a thin part whose top is this far down the digits' band is a comma
LEAN = 0.75  # a slash leans this much more than the writing (horizontal over vertical run) ...
TALLER = 1.25  # ... or at all, when this many times as tall as the digits' band
LONG = 4.0  # ... and is this many times longer than thick
BOW = 0.12  # a bracket's middle stands this share of its height off its ends' line ...
NARROW = 0.5  # ... and it is at most this share of its height wide
DOT = 0.25  # each dot of a colon is at most this share of the digits' height, and round


def band(digits: list[tuple[int, ...]]) -> tuple[int, int]:
    """The digits' usual top and foot (medians)."""
    tops, feet = sorted(b[1] for b in digits), sorted(b[3] for b in digits)
    return tops[len(tops) // 2], feet[len(feet) // 2]


def mark(box: tuple[int, ...], digits: list[tuple[int, ...]]) -> str | None:
    """What a small mark beside digits is: ".", ",", "-", or None for any other."""
    top, foot = band(digits)
    height = max(1, foot - top)
    x0, y0, x1, y1 = box
    width, tall = max(1, x1 - x0), max(1, y1 - y0)
    middle = ((y0 + y1) / 2 - top) / height
    if width >= FLAT * tall and 0.2 <= middle <= 0.8:
        return "-"
    if max(width, tall) <= SMALL * height and middle >= 0.6:
        return "," if tall >= TALL * width else "."
    return None


def _colon(mask: np.ndarray, height: int) -> bool:
    """Two small dots, one above the other."""
    labels, count = ndimage.label(mask)
    if count != 2:
        return False
    (a_rows, a_cols), (b_rows, b_cols) = sorted(ndimage.find_objects(labels))
    sizes = [(r.stop - r.start, c.stop - c.start) for r, c in ((a_rows, a_cols), (b_rows, b_cols))]
    dots = all(max(h, w) <= DOT * height and max(h, w) <= 2 * min(h, w) for h, w in sizes)
    stacked = min(a_cols.stop, b_cols.stop) > max(a_cols.start, b_cols.start)
    gap = b_rows.start - a_rows.stop
    return dots and stacked and gap >= max(max(s) for s in sizes) and mask.shape[0] <= 0.8 * height


def lean(ink: np.ndarray) -> float:
    """How far ink's long axis leans to the right: horizontal over vertical run (0 upright,
    negative leaning left); 0 for ink too small to tell."""
    ys, xs = np.nonzero(ink >= 0.5)
    if ys.size < 3:
        return 0.0
    _, vectors = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(np.float64)))
    dx, dy = vectors[:, 1]
    return float(-dx / dy) if abs(dy) > 1e-9 else 0.0


def slant(inks: list[np.ndarray]) -> float:
    """The writing's slant: the median lean of its digits (`lean`), none leaning left."""
    return max(0.0, float(np.median([lean(ink) for ink in inks]))) if inks else 0.0


def _slash(ys: np.ndarray, xs: np.ndarray, tall: bool, writing: float) -> bool:
    """Whether ink is one long, thin line leaning up to the right: steeply, more steeply than
    the writing around it leans (`writing`), or at all when it is taller than the digits
    (`tall`: a 1 is as tall as they are)."""
    cov = np.cov(np.stack([xs, ys]).astype(np.float64))
    values, vectors = np.linalg.eigh(cov)
    if values[0] > 0 and values[1] / values[0] < LONG**2:
        return False
    dx, dy = vectors[:, 1]
    if dx * dy >= 0:  # y points down: a line rising to the right has dx * dy < 0
        return False
    leaning = abs(dx / dy)
    return bool(leaning - writing >= LEAN or tall)


def _bracket(mask: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> str | None:
    """ "(" or ")" for narrow ink whose middle bows off the line of its ends, else None."""
    tall = mask.shape[0]
    if mask.shape[1] > NARROW * tall:
        return None
    sixth = max(1, tall // 6)
    rows = [(0, sixth), (tall - sixth, tall), (tall // 3, tall - tall // 3)]
    picked = [xs[(ys >= a) & (ys < b)] for a, b in rows]
    if any(p.size == 0 for p in picked):
        return None
    *ends, middle = (float(p.mean()) for p in picked)
    offsets = [middle - end for end in ends]
    if all(o <= -BOW * tall for o in offsets):
        return "("
    if all(o >= BOW * tall for o in offsets):
        return ")"
    return None


def glyph(
    ink: np.ndarray, box: tuple[int, ...], digits: list[tuple[int, ...]], writing: float = 0.0
) -> str | None:
    """What a part of a number (its ink, its box in the drawing) is shaped like: a separator
    ".", ",", "-", "/", ":", a bracket "(", ")", or None (a digit, as far as its shape tells)."""
    top, foot = band(digits)
    height = max(1, foot - top)
    x0, y0, x1, y1 = box
    if max(y1 - y0, min(x1 - x0, y1 - y0)) <= SMALL * height:  # flat or small: a mark
        return mark(box, digits)
    if y0 >= top + LOW * height and y1 - y0 >= TALL * (x1 - x0):  # low and thin: a comma
        return ","
    mask = ink >= 0.5
    if mask.sum() < 3:
        return None
    if _colon(mask, height):
        return ":"
    if mask.shape[0] < 0.6 * height:
        return None
    ys, xs = np.nonzero(mask)
    bracket = _bracket(mask, ys, xs)  # bowed: a bracket, however it leans
    if bracket:
        return bracket
    return "/" if _slash(ys, xs, y1 - y0 >= TALLER * height, writing) else None
