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

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from drawadigit import contract
from drawadigit.contract import NOT_A_DIGIT
from drawadigit.data import augment, sketches
from drawadigit.data.letters import HELD_OUT_FONTS, TRAIN_FONTS, font_letter, own_letter
from drawadigit.data.shapes import hatching, mark, scribble, shape
from drawadigit.data.sketches import Strokes, to_unit
from drawadigit.reading import preprocessing

__all__ = [
    "HELD_OUT_FONTS",
    "KINDS",
    "NOT_A_DIGIT",
    "TRAIN_FONTS",
    "drawing",
    "ink_strokes",
    "negative",
    "negatives",
    "pair",
    "strokes_of",
]

SIZE = contract.SIZE

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
    unit = to_unit(strokes)
    points = np.concatenate([np.asarray(s) for s in unit])
    extent = points.max(axis=0)
    field = np.zeros((SIZE, SIZE), np.float32)
    if float(np.ptp(points, axis=0).max()) < 1e-3:  # a dot: normalisation makes it a blob
        centre = [(SIZE / 2 - 0.5, SIZE / 2 - 0.5)]
        return augment.add_strokes(field, [centre], rng.uniform(8.0, preprocessing.BOX))
    scale = (preprocessing.BOX - 2) / max(float(extent.max()), 1e-6)
    offset = (SIZE - extent * scale) / 2
    lines = [[(x * scale + offset[0], y * scale + offset[1]) for x, y in s] for s in unit]
    return augment.add_strokes(field, lines, rng.uniform(1.6, 3.0))


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
    return _jitter(sketches.writer_variation(to_unit(strokes), rng), rng)


def drawing(
    kind: str, rng: np.random.Generator, fonts: tuple[str, ...] = TRAIN_FONTS
) -> sketches.Drawing:
    """One negative of a stroke kind as a browser canvas would send it (for the evaluation)."""
    strokes = to_unit(strokes_of(kind, rng, fonts))
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
    drawn = sketches.stroke_drawing(
        [[(x / max(extent[0], 1e-3), y / max(extent[1], 1e-3)) for x, y in s] for s in strokes],
        NOT_A_DIGIT,
        size=size,
        box=(left, top, left + width, top + height),
        pen_width=pen,
        style=styles[rng.integers(len(styles))],
    )
    return replace(drawn, variant=kind)


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
    parts = augment.map_in_processes(_chunk, jobs, workers)
    if not parts:
        return np.zeros((0, SIZE, SIZE), np.float32), []
    return np.concatenate([p[0] for p in parts]), [k for p in parts for k in p[1]]
