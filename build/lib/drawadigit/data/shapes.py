"""Negatives that are drawings: shapes and symbols, scribbles, hatching and stray marks.

Each is a function of a random generator giving pen strokes in a unit square (x right, y down).
Shapes that are digits when drawn by hand (a circle, a vertical stroke, a short curve) are left
out on purpose.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from drawadigit.data.sketches import Strokes, arc


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
    left = arc((0.28, 0.3), (0.23, 0.22), 0, -200)
    right = arc((0.72, 0.3), (0.23, 0.22), 180, 380)
    return [[(0.5, 1.0), *left[::-1][:-1], *left[::-1][-1:]] + [(0.5, 0.3)] + right + [(0.5, 1.0)]]


def _smiley(rng: np.random.Generator) -> Strokes:
    """A face: a ring, two eyes and a smile (or a frown)."""
    mouth = (
        arc((0.5, 0.5), (0.25, 0.2), 20, 160)
        if rng.random() < 0.8
        else arc((0.5, 0.85), (0.22, 0.15), 200, 340)
    )
    return [arc((0.5, 0.5), (0.5, 0.5), 0, 360, 40), [(0.33, 0.35)], [(0.67, 0.35)], mouth]


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
    strokes = [arc((0.5, 0.5), (0.22, 0.22), 0, 360, 30)]
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
        arc((0.5, 0.13), (0.12, 0.13), 0, 360, 20),
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
