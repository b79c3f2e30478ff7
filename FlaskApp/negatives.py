"""What is not a digit: letters, shapes, scribbles, hatching, stray marks and run-together pairs.

The model learns to refuse from these (its eleventh class, `NOT_A_DIGIT`). Each negative is a
handful of pen strokes in a unit square (x right, y down), varied as another writer would draw
it (`sketches.writer_variation`), inked on a 28x28 field with a round pen and then put through
exactly the digits' augmentation (`augment.augment`), so the network cannot tell the two apart
by how they were made, only by their shape.

Kinds (`KINDS`), each a function of a random generator:

* letters from the Hershey stroke fonts (`hershey-fonts`) and from strokes of our own, in the
  letters that look like no digit (no O, I, l, Z, S, B, G, q, g...: those would teach the model
  to refuse real digits);
* shapes: triangles, squares, stars, hearts, smileys, #, +, arrows, spirals, waves, houses...;
* scribbles: long tangled pen paths, circular scrawls and colouring-in;
* hatching: parallel and crossed lines;
* marks: a blob, a dash, an equals sign;
* pairs: two MNIST digits run together into one piece of ink (segmentation splits digits that
  stand apart; a pair that touches must not pass for one digit).

Shapes that are digits when drawn by hand (a circle, a vertical stroke, a short curve) are left
out on purpose. Training and validation draw from `TRAIN_FONTS`; the evaluation refuses letters
from `HELD_OUT_FONTS`, which training never sees. Pure NumPy/SciPy/Pillow (no TensorFlow).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import augment
import numpy as np
import preprocessing
import sketches
from sketches import Strokes, arc

SIZE = preprocessing.SIZE
NOT_A_DIGIT = 10  # the class index of "not a digit", after the ten digits

# Letters whose handwritten forms no digit shares. Left out: O o Q D (0), I l i j J T (1, 7),
# Z z (2), S s (5), B (8), b G (6), g q y (9, 4).
LETTERS = "ACEFHKLMNPRUVWXYacdefhkmnprtuvwx"
TRAIN_FONTS = ("futural", "futuram", "rowmans", "rowmand", "scripts", "timesr")
HELD_OUT_FONTS = ("scriptc", "timesi")


@functools.cache
def _font(name: str):
    """A loaded Hershey font."""
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(name)
    return font


def _unit(strokes: list[list[tuple[float, float]]]) -> Strokes:
    """Strokes scaled so their bounding box's longer side is 1, placed from (0, 0)."""
    points = np.concatenate([np.asarray(s, np.float64) for s in strokes])
    low = points.min(axis=0)
    span = max(float((points.max(axis=0) - low).max()), 1e-6)
    return [[((x - low[0]) / span, (y - low[1]) / span) for x, y in s] for s in strokes]


def font_letter(rng: np.random.Generator, fonts: tuple[str, ...] = TRAIN_FONTS) -> Strokes:
    """A letter from one of `fonts` (Hershey glyphs have y growing downwards, as here)."""
    font = _font(fonts[rng.integers(len(fonts))])
    letter = LETTERS[rng.integers(len(LETTERS))]
    strokes = [s for s in font.strokes_for_text(letter) if len(s) >= 1]
    return _unit(strokes)


# Letters in our own strokes: the plain capitals and cursive-free small letters people print.
OWN_LETTERS: dict[str, Strokes] = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "A round": [[(0.05, 1.0), (0.45, 0.05), (0.55, 0.05), (0.95, 1.0)], [(0.25, 0.55), (0.8, 0.6)]],
    "E": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "E strokes": [
        [(0.1, 0.0), (0.1, 1.0)],
        [(0.1, 0.0), (0.85, 0.0)],
        [(0.1, 0.5), (0.7, 0.5)],
        [(0.1, 1.0), (0.9, 1.0)],
    ],
    "F": [[(0.9, 0.0), (0.15, 0.0), (0.15, 1.0)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.55), (0.85, 1.0)]],
    "K arms": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.55)], [(0.35, 0.45), (0.9, 1.0)]],
    "M": [[(0.0, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (1.0, 1.0)]],
    "M straight": [[(0.05, 1.0), (0.05, 0.0), (0.5, 0.6), (0.95, 0.0), (0.95, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "P": [
        [(0.15, 1.0), (0.15, 0.0), (0.55, 0.0)]
        + arc(0.55, 0.25, 0.3, 0.25, -90, 90)
        + [(0.15, 0.5)]
    ],
    "R": [
        [(0.15, 1.0), (0.15, 0.0), (0.55, 0.0)]
        + arc(0.55, 0.25, 0.3, 0.25, -90, 90)
        + [(0.15, 0.5), (0.4, 0.5), (0.9, 1.0)]
    ],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.3), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.1, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.1, 1.0)]],
    "Y": [[(0.1, 0.0), (0.5, 0.5), (0.9, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    "V": [[(0.05, 0.0), (0.5, 1.0), (0.95, 0.0)]],
    "U": [[(0.1, 0.0)] + arc(0.5, 0.6, 0.4, 0.4, 180, 0) + [(0.9, 0.0)]],
    "C": [arc(0.55, 0.5, 0.45, 0.5, -50, -310)],
    "L": [[(0.15, 0.0), (0.15, 1.0), (0.85, 1.0)]],
    "a": [arc(0.42, 0.62, 0.35, 0.36, -20, -340) + [(0.8, 0.3), (0.82, 1.0)]],
    "a two": [arc(0.45, 0.62, 0.35, 0.36, -40, -350), [(0.8, 0.25), (0.8, 0.9), (0.95, 1.0)]],
    "c": [arc(0.55, 0.6, 0.4, 0.38, -45, -300)],
    "d": [arc(0.4, 0.68, 0.3, 0.3, 0, 360), [(0.72, 0.0), (0.72, 1.0)]],
    "e": [[(0.12, 0.58), (0.88, 0.58)] + arc(0.5, 0.6, 0.38, 0.38, 0, -300)],
    "f": [[(0.85, 0.1), (0.65, 0.0), (0.45, 0.1), (0.45, 1.0)], [(0.2, 0.42), (0.78, 0.42)]],
    "h": [
        [(0.2, 0.0), (0.2, 1.0)],
        [(0.2, 0.62)] + arc(0.5, 0.62, 0.3, 0.22, 180, 360) + [(0.8, 1.0)],
    ],
    "k": [[(0.2, 0.0), (0.2, 1.0)], [(0.8, 0.42), (0.2, 0.75), (0.8, 1.0)]],
    "m": [
        [(0.05, 1.0), (0.05, 0.3)] + arc(0.28, 0.45, 0.22, 0.18, 180, 360) + [(0.5, 1.0)],
        [(0.5, 0.45)] + arc(0.72, 0.45, 0.22, 0.18, 180, 360) + [(0.95, 1.0)],
    ],
    "n": [[(0.15, 1.0), (0.15, 0.25)] + arc(0.5, 0.5, 0.35, 0.28, 180, 360) + [(0.85, 1.0)]],
    "p": [[(0.2, 1.0), (0.2, 0.0)] + arc(0.45, 0.25, 0.3, 0.25, 180, 540)],
    "r": [[(0.2, 1.0), (0.2, 0.15)], [(0.2, 0.5)] + arc(0.55, 0.45, 0.35, 0.3, 180, 300)],
    "t": [[(0.45, 0.0), (0.45, 0.88), (0.6, 1.0), (0.8, 0.9)], [(0.12, 0.3), (0.82, 0.3)]],
    "u": [[(0.15, 0.0)] + arc(0.5, 0.62, 0.35, 0.38, 180, 0), [(0.85, 0.0), (0.88, 1.0)]],
    "w": [arc(0.25, 0.3, 0.25, 0.7, 180, 0, 12) + arc(0.75, 0.3, 0.25, 0.7, 180, 0, 12)],
    "x": [[(0.1, 0.1), (0.9, 0.95)], [(0.85, 0.05), (0.15, 0.95)]],
}


def own_letter(rng: np.random.Generator) -> Strokes:
    """A letter from our own strokes."""
    names = list(OWN_LETTERS)
    return OWN_LETTERS[names[rng.integers(len(names))]]


def _polygon(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A closed polyline."""
    return [*points, points[0]]


def _star(rng: np.random.Generator) -> Strokes:
    """A five-pointed star, drawn in one stroke or as an outline."""
    turn = rng.uniform(-15, 15)
    if rng.random() < 0.6:
        angles = [math.radians(-90 + turn + k * 144) for k in range(6)]
        return [[(0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)) for a in angles]]
    points = []
    for k in range(10):
        radius = 0.5 if k % 2 == 0 else 0.2
        a = math.radians(-90 + turn + k * 36)
        points.append((0.5 + radius * math.cos(a), 0.5 + radius * math.sin(a)))
    return [_polygon(points)]


def _heart(rng: np.random.Generator) -> Strokes:
    """A heart: two lobes meeting in a point."""
    left = arc(0.28, 0.3, 0.23, 0.22, 0, -200)
    right = arc(0.72, 0.3, 0.23, 0.22, 180, 380)
    return [[(0.5, 1.0), *left[::-1][:-1], *left[::-1][-1:]] + [(0.5, 0.3)] + right + [(0.5, 1.0)]]


def _smiley(rng: np.random.Generator) -> Strokes:
    """A face: a ring, two eyes and a smile (or a frown)."""
    mouth = (
        arc(0.5, 0.5, 0.25, 0.2, 20, 160)
        if rng.random() < 0.8
        else arc(0.5, 0.85, 0.22, 0.15, 200, 340)
    )
    return [arc(0.5, 0.5, 0.5, 0.5, 0, 360, 40), [(0.33, 0.35)], [(0.67, 0.35)], mouth]


def _arrow(rng: np.random.Generator) -> Strokes:
    """An arrow pointing right, left or down, or along a diagonal."""
    shaft = [(0.0, 0.5), (1.0, 0.5)]
    head = [(0.7, 0.25), (1.0, 0.5), (0.7, 0.75)]
    angle = math.radians(rng.choice([0, 180, 90, 45, -45, 135, -135]))
    cos, sin = math.cos(angle), math.sin(angle)

    def turn(stroke):
        return [
            (0.5 + cos * (x - 0.5) - sin * (y - 0.5), 0.5 + sin * (x - 0.5) + cos * (y - 0.5))
            for x, y in stroke
        ]

    return [turn(shaft), turn(head)]


def _spiral(rng: np.random.Generator) -> Strokes:
    """A spiral of two to four turns."""
    turns = rng.uniform(2, 4)
    t = np.linspace(0, turns * 2 * math.pi, int(40 * turns))
    r = 0.05 + 0.45 * t / t[-1]
    sign = rng.choice([-1, 1])
    return [list(zip(0.5 + r * np.cos(sign * t), 0.5 + r * np.sin(sign * t), strict=True))]


def _zigzag(rng: np.random.Generator) -> Strokes:
    """A horizontal zigzag or a wave of several periods."""
    peaks = int(rng.integers(3, 7))
    if rng.random() < 0.5:
        xs = np.linspace(0, 1, 2 * peaks + 1)
        return [[(float(x), 0.35 if k % 2 else 0.0) for k, x in enumerate(xs)]]
    x = np.linspace(0, 1, 20 * peaks)
    return [list(zip(x, 0.2 + 0.2 * np.sin(x * peaks * 2 * math.pi), strict=True))]


def _lemniscate(rng: np.random.Generator) -> Strokes:
    """An infinity sign, lying on its side."""
    t = np.linspace(0, 2 * math.pi, 60)
    d = 1 + np.sin(t) ** 2
    return [
        list(zip(0.5 + 0.5 * np.cos(t) / d, 0.5 + 0.5 * np.sin(t) * np.cos(t) / d, strict=True))
    ]


def _sun(rng: np.random.Generator) -> Strokes:
    """A small ring with rays all round."""
    rays = int(rng.integers(6, 11))
    strokes = [arc(0.5, 0.5, 0.22, 0.22, 0, 360, 30)]
    for k in range(rays):
        a = 2 * math.pi * k / rays
        strokes.append(
            [
                (0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a)),
                (0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a)),
            ]
        )
    return strokes


def _stick_figure(rng: np.random.Generator) -> Strokes:
    """A person: a head, a body, arms and legs."""
    return [
        arc(0.5, 0.13, 0.12, 0.13, 0, 360, 20),
        [(0.5, 0.26), (0.5, 0.65)],
        [(0.2, 0.42), (0.8, 0.42)],
        [(0.25, 1.0), (0.5, 0.65), (0.75, 1.0)],
    ]


SHAPES: dict[str, Callable[[np.random.Generator], Strokes]] = {
    "triangle": lambda rng: [_polygon([(0.5, 0.0), (1.0, 0.9), (0.0, 0.9)])],
    "square": lambda rng: [_polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])],
    "rectangle": lambda rng: [_polygon([(0.0, 0.2), (1.0, 0.2), (1.0, 0.75), (0.0, 0.75)])],
    "envelope": lambda rng: [
        _polygon([(0.0, 0.2), (1.0, 0.2), (1.0, 0.85), (0.0, 0.85)]),
        [(0.0, 0.2), (0.5, 0.55), (1.0, 0.2)],
    ],
    "house": lambda rng: [
        _polygon([(0.1, 0.45), (0.9, 0.45), (0.9, 1.0), (0.1, 1.0)]),
        [(0.0, 0.5), (0.5, 0.0), (1.0, 0.5)],
    ],
    "star": _star,
    "heart": _heart,
    "smiley": _smiley,
    "hash": lambda rng: [
        [(0.35, 0.0), (0.3, 1.0)],
        [(0.7, 0.0), (0.65, 1.0)],
        [(0.0, 0.33), (1.0, 0.33)],
        [(0.0, 0.67), (1.0, 0.67)],
    ],
    "plus": lambda rng: [[(0.5, 0.0), (0.5, 1.0)], [(0.0, 0.5), (1.0, 0.5)]],
    "asterisk": lambda rng: [
        [(0.5, 0.0), (0.5, 1.0)],
        [(0.07, 0.25), (0.93, 0.75)],
        [(0.93, 0.25), (0.07, 0.75)],
    ],
    "arrow": _arrow,
    "spiral": _spiral,
    "zigzag": _zigzag,
    "check": lambda rng: [[(0.0, 0.55), (0.35, 1.0), (1.0, 0.0)]],
    "lightning": lambda rng: [[(0.6, 0.0), (0.2, 0.55), (0.65, 0.45), (0.3, 1.0)]],
    "infinity": _lemniscate,
    "sun": _sun,
    "stick figure": _stick_figure,
    "diamond": lambda rng: [_polygon([(0.5, 0.0), (1.0, 0.5), (0.5, 1.0), (0.0, 0.5)])],
}


def shape(rng: np.random.Generator) -> Strokes:
    """A hand-drawn shape or symbol."""
    names = list(SHAPES)
    return SHAPES[names[rng.integers(len(names))]](rng)


def scribble(rng: np.random.Generator) -> Strokes:
    """A scrawl: a long wandering path, a circular scrawl, or colouring-in back and forth."""
    style = rng.random()
    if style < 0.45:  # a wandering path that keeps turning back on itself
        while True:
            n = int(rng.integers(80, 160))
            heading = np.cumsum(rng.normal(0, 0.6, n)) + rng.uniform(0, 2 * math.pi)
            path = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1), axis=0)
            # Long for its extent: a short wander can be a 1, a 2 or a 7.
            if n >= 4.0 * float(np.hypot(*np.ptp(path, axis=0))):
                return [[(float(x), float(y)) for x, y in path]]
    if style < 0.75:  # loops round and round, drifting
        loops = rng.uniform(4, 8)
        t = np.linspace(0, loops * 2 * math.pi, int(30 * loops))
        drift = np.cumsum(rng.normal(0, 0.05, (len(t), 2)), axis=0)
        radius = rng.uniform(0.25, 0.5) + 0.1 * np.sin(t * rng.uniform(0.2, 0.7))
        x = 0.5 + radius * np.cos(t) + drift[:, 0]
        y = 0.5 + radius * np.sin(t) * rng.uniform(0.6, 1.0) + drift[:, 1]
        return [list(zip(x, y, strict=True))]
    rows = int(rng.integers(6, 14))  # colouring in: back and forth, moving down
    points = []
    for k in range(rows):
        y = k / (rows - 1) + rng.normal(0, 0.02)
        points.append((rng.uniform(0.0, 0.15) if k % 2 == 0 else rng.uniform(0.85, 1.0), y))
    if rng.random() < 0.5:  # sideways instead
        points = [(y, x) for x, y in points]
    return [points]


def hatching(rng: np.random.Generator) -> Strokes:
    """Parallel lines across a patch, slanted, sometimes crossed by a second set."""
    strokes = []
    sets = 2 if rng.random() < 0.4 else 1
    for k in range(sets):
        # Never near vertical: a single upright line is a one.
        angle = math.radians(rng.uniform(20, 70) * rng.choice([-1, 1]) + 90 * k)
        lines = int(rng.integers(4, 9))
        dx, dy = math.cos(angle), math.sin(angle)
        for j in range(lines):
            offset = (j / (lines - 1) - 0.5) * 0.9
            cx, cy = 0.5 - dy * offset, 0.5 + dx * offset
            half = rng.uniform(0.3, 0.5)
            strokes.append([(cx - dx * half, cy - dy * half), (cx + dx * half, cy + dy * half)])
    return strokes


def mark(rng: np.random.Generator) -> Strokes:
    """A stray mark: a blob, a dash or an equals sign (never an upright stroke: that is a one)."""
    style = rng.random()
    if style < 0.3:  # a dot: one point, inked with a pen as wide as the box (`ink_strokes`)
        return [[(0.5, 0.5)]]
    if style < 0.65:
        return [[(0.0, 0.5), (1.0, 0.5 + rng.normal(0, 0.04))]]
    if style < 0.85:
        return [[(0.0, 0.3), (1.0, 0.3)], [(0.05, 0.6), (0.95, 0.6)]]
    return [[(0.0, 0.3), (1.0, 0.3)], [(0.0, 0.5), (1.0, 0.5)], [(0.0, 0.7), (1.0, 0.7)]]


StrokeKind = Callable[[np.random.Generator], Strokes]
# Kind -> (share of the negatives, stroke generator). Pairs are made from digits instead.
KINDS: dict[str, tuple[float, StrokeKind | None]] = {
    "letters (fonts)": (0.3, font_letter),
    "letters (own strokes)": (0.15, own_letter),
    "shapes": (0.22, shape),
    "scribbles": (0.13, scribble),
    "hatching": (0.06, hatching),
    "marks": (0.05, mark),
    "pairs": (0.09, None),
}


def ink_strokes(strokes: Strokes, rng: np.random.Generator) -> np.ndarray:
    """Strokes in a unit square inked like an MNIST digit: in a 20-pixel box in a 28x28 field."""
    unit = _unit(strokes)
    points = np.concatenate([np.asarray(s) for s in unit])
    extent = points.max(axis=0)
    field = np.zeros((SIZE, SIZE), np.float32)
    if float(np.ptp(points, axis=0).max()) < 1e-3:  # a dot: normalisation makes it a blob
        centre = [(SIZE / 2 - 0.5, SIZE / 2 - 0.5)]
        return augment._add_strokes(field, [centre], rng.uniform(8.0, preprocessing.BOX))
    scale = (preprocessing.BOX - 2) / max(float(extent.max()), 1e-6)
    offset = (SIZE - extent * scale) / 2
    lines = [[(x * scale + offset[0], y * scale + offset[1]) for x, y in s] for s in unit]
    return augment._add_strokes(field, lines, rng.uniform(1.6, 3.0))


def _jitter(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """Pen lifts that do not land where they should: each stroke moved a little on its own."""
    if len(strokes) < 2:
        return strokes
    moved = []
    for stroke in strokes:
        dx, dy = rng.normal(0, 0.02, 2)
        moved.append([(x + dx, y + dy) for x, y in stroke])
    return moved


def pair(digits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two MNIST digits run together into one piece of ink (28-pixel fields, ink high)."""
    a, b = digits[rng.integers(len(digits), size=2)]
    # The second digit starts where the first one's ink ends, give or take a little overlap.
    cols_a = np.flatnonzero(a.max(axis=0) >= 0.3)
    cols_b = np.flatnonzero(b.max(axis=0) >= 0.3)
    if cols_a.size == 0 or cols_b.size == 0:
        return np.zeros((SIZE, SIZE), np.float32)
    start = int(cols_a[-1] - cols_b[0] - rng.integers(0, 5))
    dy = int(rng.integers(-3, 4))
    canvas = np.zeros((SIZE + 8, 2 * SIZE + 8), np.float32)
    canvas[4 : 4 + SIZE, :SIZE] = a
    region = canvas[4 + dy : 4 + dy + SIZE, start : start + SIZE]
    np.maximum(region, b[:, : region.shape[1]], out=region)
    return canvas


def negative(
    kind: str,
    rng: np.random.Generator,
    *,
    digits: np.ndarray | None = None,
    fonts: tuple[str, ...] = TRAIN_FONTS,
) -> np.ndarray:
    """One negative of `kind`, augmented and normalised like a served drawing (28x28, [0, 1])."""
    if kind == "pairs":
        work = pair(digits, rng)
        return (
            augment.augment(work, NOT_A_DIGIT, rng)
            if work.any()
            else negative("shapes", rng, fonts=fonts)
        )
    return augment.augment(ink_strokes(strokes_of(kind, rng, fonts), rng), NOT_A_DIGIT, rng)


def strokes_of(
    kind: str, rng: np.random.Generator, fonts: tuple[str, ...] = TRAIN_FONTS
) -> Strokes:
    """The strokes of one negative of a stroke kind, as one writer draws it."""
    generator = KINDS[kind][1]
    strokes = font_letter(rng, fonts) if generator is font_letter else generator(rng)
    return _jitter(sketches.writer_variation(_unit(strokes), rng), rng)


def drawing(
    kind: str, rng: np.random.Generator, fonts: tuple[str, ...] = TRAIN_FONTS
) -> sketches.Drawing:
    """One negative of a stroke kind as a browser canvas would send it (for the evaluation)."""
    strokes = _unit(strokes_of(kind, rng, fonts))
    size = sketches.CANVASES[rng.integers(len(sketches.CANVASES))]
    pixels = rng.uniform(0.3, 0.75) * min(size)
    points = np.concatenate([np.asarray(s) for s in strokes])
    extent = np.maximum(np.ptp(points, axis=0), 1e-3)
    width, height = pixels * extent[0] / size[0], pixels * extent[1] / size[1]
    left = rng.uniform(0.05, max(0.05, 0.95 - width))
    top = rng.uniform(0.05, max(0.05, 0.95 - height))
    dot = float(extent.max()) <= 1e-3
    pen = pixels * rng.uniform(0.1, 0.3) if dot else float(rng.choice([5, 9, 14, 20]))
    styles = list(sketches.STYLES)
    return sketches.stroke_drawing(
        [[(x / max(extent[0], 1e-3), y / max(extent[1], 1e-3)) for x, y in s] for s in strokes],
        NOT_A_DIGIT,
        size=size,
        box=(left, top, left + width, top + height),
        pen_width=pen,
        style=styles[rng.integers(len(styles))],
        variant=kind,
    )


def _chunk(args) -> tuple[np.ndarray, list[str]]:
    count, seed, digits, fonts = args
    rng = np.random.default_rng(seed)
    names = list(KINDS)
    shares = np.array([KINDS[k][0] for k in names])
    kinds = [names[i] for i in rng.choice(len(names), size=count, p=shares / shares.sum())]
    if digits is None:
        kinds = [k if k != "pairs" else "shapes" for k in kinds]
    fields = [negative(k, rng, digits=digits, fonts=fonts) for k in kinds]
    return np.stack(fields) if fields else np.zeros((0, SIZE, SIZE), np.float32), kinds


def negatives(
    count: int,
    seed: int,
    *,
    digits: np.ndarray | None = None,
    fonts: tuple[str, ...] = TRAIN_FONTS,
    workers: int | None = None,
    chunk: int = 1000,
) -> tuple[np.ndarray, list[str]]:
    """`count` negatives in the shares of `KINDS`: fields (N, 28, 28) and each one's kind.

    `digits` (MNIST fields in [0, 1]) are what the pairs are made of; without them there are no
    pairs. The same seed gives the same negatives whatever `workers` is.
    """
    sizes = [min(chunk, count - i) for i in range(0, count, chunk)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    pick = np.random.default_rng(seed)
    # Each job gets its own few thousand digits to pair, not the whole set to pickle.
    jobs = [
        (n, s, None if digits is None else digits[pick.integers(len(digits), size=2000)], fonts)
        for n, s in zip(sizes, seeds, strict=True)
    ]
    if workers == 1 or len(jobs) <= 1:
        parts = [_chunk(job) for job in jobs]
    else:
        method = "fork" if sys.platform == "linux" else "spawn"  # see augment.augment_many
        with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
            parts = list(pool.map(_chunk, jobs))
    if not parts:
        return np.zeros((0, SIZE, SIZE), np.float32), []
    return np.concatenate([p[0] for p in parts]), [k for p in parts for k in p[1]]
