"""Digits drawn from pen strokes of the project's own making, as a browser canvas would send them.

MNIST is one population of writers with one kind of pen. These sketches are another: each digit
is a few strokes in a unit square, in the ways people commonly write it, including styles MNIST
barely has (a slashed or dotted zero, a one with a flag and a foot, a crossed seven, an open and
a closed four). `sketch_set` varies every sketch as different writers would (slant, rotation,
proportions, a wobbly hand) and draws it with a round, anti-aliased pen on canvases of several
sizes and colour schemes. The evaluation and the tests use them; training never does.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy import ndimage

from drawadigit.data.pen import Point, ink_lines
from drawadigit.reading import preprocessing

Strokes = list[list[Point]]

# (name, background RGBA, ink RGB): every combination a real page can produce.
STYLES = {
    "transparent-black": ((0, 0, 0, 0), (0, 0, 0)),
    "transparent-green": ((255, 255, 255, 0), (20, 160, 60)),
    "white-black": ((255, 255, 255, 255), (0, 0, 0)),
    "paper-purple": ((250, 246, 235, 255), (110, 40, 160)),
    "black-white": ((0, 0, 0, 255), (255, 255, 255)),
    "navy-orange": ((15, 25, 60, 255), (255, 150, 30)),
}
CANVASES = ((280, 280), (400, 300), (200, 360), (512, 512))


@dataclass(frozen=True)
class Drawing:
    """One PNG drawing and what it shows."""

    png: bytes
    label: int
    style: str
    pen: str
    variant: str = ""


def encode(mask: np.ndarray, style: str, fmt: str = "PNG") -> bytes:
    """Paint an ink mask (float, 0..1) in a style's colours and encode it."""
    background, ink = STYLES[style]
    if background[3] == 0:  # a cleared canvas: ink colour where drawn, transparent elsewhere
        colour = np.broadcast_to(np.asarray(ink, np.uint8), mask.shape + (3,))
        rgba = np.concatenate([colour, preprocessing.to_uint8(mask)[..., None]], axis=-1)
    else:
        alpha = mask[..., None]
        bg = np.asarray(background[:3], np.float32)
        rgb = np.round(bg * (1 - alpha) + np.asarray(ink, np.float32) * alpha).astype(np.uint8)
        rgba = np.concatenate([rgb, np.full(mask.shape + (1,), 255, np.uint8)], axis=-1)
    image = Image.fromarray(rgba)
    if fmt == "JPEG":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def stroke_drawing(
    strokes: Strokes,
    label: int,
    *,
    size: tuple[int, int] = (280, 280),
    box: tuple[float, float, float, float] = (0.2, 0.15, 0.8, 0.85),
    pen_width: float = 14.0,
    style: str = "transparent-black",
) -> Drawing:
    """Draw strokes given in a unit square (x right, y down) into `box` with a round pen.

    `box` is (left, top, right, bottom) as shares of the canvas. The drawing has no variant;
    `dataclasses.replace` gives it one.
    """
    x0, y0, x1, y1 = box
    lines = [
        [((x0 + x * (x1 - x0)) * size[0], (y0 + y * (y1 - y0)) * size[1]) for x, y in stroke]
        for stroke in strokes
    ]
    # Drawn large, then shrunk: canvas strokes are anti-aliased.
    mask = ink_lines(size, lines, pen_width, scale=4, joint="curve")
    return Drawing(encode(mask, style), label, style, f"{pen_width:g}px")


def arc(centre: Point, radii: Point, start: float, end: float, n: int = 24) -> list[Point]:
    """Points along an elliptic arc about `centre` with `radii` (x, y); angles in degrees,
    0 = right, 90 = down."""
    (cx, cy), (rx, ry) = centre, radii
    t = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in t]


def to_unit(strokes: Strokes) -> Strokes:
    """Strokes scaled so their bounding box's longer side is 1, placed from (0, 0)."""
    points = np.concatenate([np.asarray(s, np.float64) for s in strokes])
    low = points.min(axis=0)
    span = max(float((points.max(axis=0) - low).max()), 1e-6)
    return [[((x - low[0]) / span, (y - low[1]) / span) for x, y in s] for s in strokes]


_ZERO = arc((0.5, 0.5), (0.32, 0.48), -90, 270, 40)

# (digit, variant name) -> strokes in a unit square: how people commonly write each digit.
SKETCHES: dict[tuple[int, str], Strokes] = {
    (0, "oval"): [_ZERO],
    (0, "slashed"): [_ZERO, [(0.22, 0.92), (0.78, 0.08)]],
    (0, "dotted"): [_ZERO, [(0.5, 0.5)]],
    (1, "stroke"): [[(0.5, 0.0), (0.5, 1.0)]],
    (1, "flag"): [[(0.3, 0.25), (0.55, 0.0), (0.55, 1.0)]],
    (1, "flag-foot"): [[(0.3, 0.22), (0.55, 0.0), (0.55, 1.0)], [(0.25, 1.0), (0.85, 1.0)]],
    (2, "curve"): [arc((0.5, 0.28), (0.32, 0.28), 190, 380) + [(0.15, 1.0), (0.9, 1.0)]],
    (2, "loop"): [
        arc((0.5, 0.28), (0.32, 0.28), 190, 380)
        + [(0.2, 0.95)]
        + arc((0.28, 0.88), (0.1, 0.1), 270, 0)
        + [(0.9, 0.98)]
    ],
    (3, "round"): [
        arc((0.48, 0.25), (0.3, 0.25), 200, 450) + arc((0.48, 0.74), (0.34, 0.26), 270, 520)
    ],
    (3, "flat-top"): [
        [(0.15, 0.0), (0.8, 0.0), (0.4, 0.4)] + arc((0.48, 0.7), (0.34, 0.3), 270, 520)
    ],
    (4, "closed"): [[(0.6, 0.0), (0.1, 0.68), (0.92, 0.68)], [(0.68, 0.3), (0.68, 1.0)]],
    (4, "open"): [[(0.2, 0.0), (0.12, 0.6), (0.92, 0.6)], [(0.72, 0.05), (0.72, 1.0)]],
    (5, "hooked"): [
        [(0.85, 0.0), (0.25, 0.0), (0.2, 0.45)] + arc((0.5, 0.7), (0.36, 0.3), 235, 500)
    ],
    (5, "two-strokes"): [
        [(0.25, 0.0), (0.2, 0.45)] + arc((0.5, 0.7), (0.36, 0.3), 235, 500),
        [(0.25, 0.0), (0.85, 0.0)],
    ],
    (6, "curl"): [[(0.72, 0.0), (0.3, 0.4)] + arc((0.5, 0.7), (0.3, 0.3), 200, 560)],
    (6, "round"): [
        arc((0.6, 0.45), (0.4, 0.45), 250, 180) + arc((0.5, 0.72), (0.32, 0.28), 180, 540)
    ],
    (7, "plain"): [[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)]],
    (7, "crossed"): [[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)], [(0.35, 0.5), (0.85, 0.5)]],
    (8, "loops"): [
        arc((0.5, 0.25), (0.25, 0.25), 90, 450) + arc((0.5, 0.73), (0.32, 0.27), -90, 270)
    ],
    (8, "snowman"): [
        arc((0.5, 0.25), (0.25, 0.25), 0, 360),
        arc((0.5, 0.73), (0.32, 0.27), -90, 270),
    ],
    (9, "straight"): [arc((0.5, 0.3), (0.3, 0.3), 0, 360) + [(0.8, 0.3), (0.78, 1.0)]],
    (9, "curved"): [arc((0.5, 0.3), (0.3, 0.3), 0, 360) + arc((0.3, 0.3), (0.5, 0.7), 0, 90, 12)],
}


def writer_variation(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """The same sketch as another writer draws it: slant, tilt, proportions, a wobbly hand."""
    angle = math.radians(rng.uniform(-10, 10))
    slant = rng.uniform(-0.3, 0.15)  # most hands lean right (negative: x grows going up)
    aspect = rng.uniform(0.7, 1.2)
    cos, sin = math.cos(angle), math.sin(angle)
    wobble = rng.uniform(0.0, 0.015)
    varied = []
    for stroke in strokes:
        points = np.asarray(stroke, np.float64)
        if len(points) > 3:  # a smooth tremor along the stroke, not independent noise
            noise = rng.normal(0, 1, points.shape)
            points = points + ndimage.gaussian_filter1d(noise, 2, axis=0) * wobble * 4
        x, y = points[:, 0] - 0.5, points[:, 1] - 0.5
        x = (x + slant * -y) * aspect
        varied.append(list(zip(0.5 + cos * x - sin * y, 0.5 + sin * x + cos * y, strict=True)))
    return varied


def sketch_set(per_sketch: int = 6, seed: int = 0) -> list[Drawing]:
    """Every sketch drawn `per_sketch` times by varied writers, pens, canvases and styles."""
    rng = np.random.default_rng(seed)
    styles = list(STYLES)
    drawings = []
    for (digit, variant), strokes in SKETCHES.items():
        for k in range(per_sketch):
            size = CANVASES[rng.integers(len(CANVASES))]
            pixels = rng.uniform(0.3, 0.75) * min(size)  # the digit's height
            height = pixels / size[1]
            width = pixels * rng.uniform(0.7, 1.0) / size[0]
            left = rng.uniform(0.1, 0.9 - width)  # room for slant and tilt
            top = rng.uniform(0.1, 0.9 - height)
            drawing = stroke_drawing(
                writer_variation(strokes, rng),
                digit,
                size=size,
                box=(left, top, left + width, top + height),
                pen_width=float(rng.choice([5, 9, 14, 20, 28])),
                style=styles[(k + digit) % len(styles)],
            )
            drawings.append(replace(drawing, variant=f"{digit} {variant}"))
    return drawings


@dataclass(frozen=True)
class NumberDrawing:
    """One PNG drawing of a whole number and the digits it shows, left to right."""

    png: bytes
    number: str
    style: str
    source: str  # "sketches" or "mnist"


GAPS = (0.3, 0.7)  # between digits, as a share of a digit's width: the gaps people leave
TOUCHING = (-0.15, -0.02)  # digits written into each other


def _number_layout(
    count: int, width: float, gaps: tuple[float, float], rng: np.random.Generator
) -> list[tuple[float, float, float]]:
    """(left, top, height) of each digit in a row, in units of the digits' common height."""
    places, left = [], 0.0
    for _ in range(count):
        height = rng.uniform(0.9, 1.1)
        places.append((left, rng.normal(0, 0.05), height))
        left += width * height + rng.uniform(*gaps) * width
    return places


def number_drawing(
    number: str,
    rng: np.random.Generator,
    *,
    style: str | None = None,
    gaps: tuple[float, float] = GAPS,
) -> NumberDrawing:
    """A number written in our sketches' strokes, each digit in a way people write it."""
    width = rng.uniform(0.55, 0.8)  # of the height, for every digit of this writer
    strokes: Strokes = []
    layout = _number_layout(len(number), width, gaps, rng)
    for (left, top, height), char in zip(layout, number, strict=True):
        variants = [v for d, v in SKETCHES if d == int(char)]
        digit = SKETCHES[(int(char), variants[rng.integers(len(variants))])]
        for stroke in writer_variation(digit, rng):
            strokes.append([(left + x * width * height, top + y * height) for x, y in stroke])
    points = np.concatenate([np.asarray(s) for s in strokes])
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    unit = [[((x - low[0]) / span[0], (y - low[1]) / span[1]) for x, y in s] for s in strokes]
    size = (int(rng.integers(400, 900)), int(rng.integers(200, 400)))
    # The number spans most of the canvas's width, as far as its height allows.
    across = min(rng.uniform(0.6, 0.9), 0.8 * size[1] / size[0] * span[0] / span[1])
    tall = across * size[0] / span[0] * span[1] / size[1]
    left, top = rng.uniform(0.05, 0.95 - across), rng.uniform(0.05, 0.95 - tall)
    digit_px = tall * size[1] / span[1]
    style = style or str(rng.choice(list(STYLES)))
    drawing = stroke_drawing(
        unit,
        0,
        size=size,
        box=(left, top, left + across, top + tall),
        pen_width=float(digit_px * rng.uniform(0.06, 0.14)),
        style=style,
    )
    return NumberDrawing(drawing.png, number, style, "sketches")


def crop_digit(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit (uint8) cut to its ink's bounding box."""
    return preprocessing.crop_to_ink(digit, threshold=41)  # bytes: ink is above 40


def enlarge_digit(crop: np.ndarray, scale: float) -> np.ndarray:
    """A cropped MNIST digit (uint8) enlarged `scale` times as a pen would have drawn it: ink
    coverage in [0, 1], the blur of the enlargement sharpened into a pen's hard edges."""
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    ink = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR), np.float32)
    return np.clip((ink / 255.0 - 0.3) * 3.0, 0.0, 1.0)


def mnist_number(
    images: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    count: int,
    gaps: tuple[float, float] = GAPS,
) -> NumberDrawing:
    """A number made of `count` MNIST digits (uint8 28x28) written side by side on a canvas."""
    picks = rng.integers(len(labels), size=count)
    height = int(rng.integers(40, 110))  # pixels per digit
    crops = []
    for i in picks:
        digit = images[i]
        crop = crop_digit(digit)
        crops.append(enlarge_digit(crop, height / crop.shape[0] * rng.uniform(0.9, 1.1)))
    gaps = [int(rng.uniform(*gaps) * height * 0.7) for _ in crops]
    width = sum(c.shape[1] for c in crops) + sum(gaps) + 2 * height
    mask = np.zeros((int(height * 2.2), width), np.float32)
    left = height
    for crop, gap in zip(crops, gaps, strict=True):
        top = int(height * 0.6 + rng.normal(0, 0.05) * height)
        top = min(max(top, 0), mask.shape[0] - crop.shape[0])
        region = mask[top : top + crop.shape[0], left : left + crop.shape[1]]
        np.maximum(region, crop, out=region)
        left += crop.shape[1] + gap
    style = str(rng.choice(list(STYLES)))
    number = "".join(str(int(labels[i])) for i in picks)
    return NumberDrawing(encode(mask, style), number, style, "mnist")


def number_set(
    images: np.ndarray | None,
    labels: np.ndarray | None,
    n: int,
    seed: int = 0,
    gaps: tuple[float, float] = GAPS,
) -> list[NumberDrawing]:
    """n numbers of 2 to 8 digits: from our sketches, and (given MNIST) as many from MNIST."""
    rng = np.random.default_rng(seed)
    drawings = []
    for k in range(n):
        count = 2 + k % 7
        number = "".join(str(d) for d in rng.integers(0, 10, size=count))
        drawings.append(number_drawing(number, rng, gaps=gaps))
        if images is not None:
            drawings.append(mnist_number(images, labels, rng, count, gaps))
    return drawings
