"""Canvas-style drawings, as a browser sends them: MNIST digits and pen strokes.

A page's `canvas.toDataURL()` gives a PNG of the whole canvas: often a transparent background,
any ink colour, the digit at any size and place, a thin or thick pen. `mnist_drawing` turns a
28x28 MNIST digit into such a PNG; pen strokes come from the package's own `sketches`, so the
tests can check that normalisation brings every one of them back to what the model was trained on.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from drawadigit.data.sketches import (
    CANVASES,
    SKETCHES,
    STYLES,
    Drawing,
    crop_digit,
    encode,
    enlarge_digit,
    stroke_drawing,
)

__all__ = [
    "STYLES",
    "Drawing",
    "stroke_drawing",
    "PENS",
    "Row",
    "SEVEN",
    "SEVEN_IMAGE",
    "SEVEN_URL",
    "STROKES",
    "canvas_set",
    "data_url",
    "mnist_drawing",
    "number_drawing",
    "png_bytes",
    "seven_in_mode",
]

PENS = ("thin", "normal", "bold")

# One common way of writing each digit, as strokes in a unit square.
STROKES = {
    digit: SKETCHES[(digit, variant)]
    for digit, variant in [
        (0, "oval"),
        (1, "flag"),
        (2, "curve"),
        (3, "round"),
        (4, "closed"),
        (5, "hooked"),
        (6, "curl"),
        (7, "plain"),
        (8, "loops"),
        (9, "straight"),
    ]
}


def mnist_drawing(
    digit: np.ndarray,
    label: int,
    rng: np.random.Generator,
    style: str | None = None,
    pen: str | None = None,
    fmt: str = "PNG",
) -> Drawing:
    """Redraw a 28x28 MNIST digit on a canvas, at a random size and place, with a random pen."""
    style = style or str(rng.choice(list(STYLES)))
    pen = pen or str(rng.choice(PENS))
    width, height = CANVASES[rng.integers(len(CANVASES))]
    crop = crop_digit(digit)
    share = rng.uniform(0.3, 0.9)  # the digit's height as a share of the canvas
    scale = share * min(width, height) / max(crop.shape)
    ink = enlarge_digit(crop, scale)
    radius = max(1, round(scale * 0.6))
    if pen == "thin":
        ink = ndimage.grey_erosion(ink, size=(radius, radius))
    elif pen == "bold":
        ink = ndimage.grey_dilation(ink, size=(2 * radius, 2 * radius))
    mask = np.zeros((height, width), np.float32)
    top = int(rng.integers(0, max(1, height - ink.shape[0])))
    left = int(rng.integers(0, max(1, width - ink.shape[1])))
    ink = ink[: height - top, : width - left]
    mask[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return Drawing(encode(mask, style, fmt), int(label), style, pen)


def canvas_set(images: np.ndarray, labels: np.ndarray, n: int, seed: int = 0) -> list[Drawing]:
    """The first n digits of a seeded shuffle, redrawn in every style and pen in turn."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))[:n]
    combos = [(s, p) for s in STYLES for p in PENS]
    return [
        mnist_drawing(images[i], labels[i], rng, *combos[k % len(combos)])
        for k, i in enumerate(order)
    ]


def data_url(png: bytes) -> str:
    """PNG bytes as the data URL a page posts."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


@dataclass(frozen=True)
class Row:
    """How `number_drawing` sets digits in a row: `gap` digit widths apart, leaning right by
    `slant` of their height, `height` of the canvas tall."""

    gap: float = 0.4
    slant: float = 0.0
    height: float = 0.6


def number_drawing(
    digits: list[tuple[int, str]],
    *,
    size: tuple[int, int] = (400, 200),
    row: Row = Row(),
    pen_width: float = 10.0,
    style: str = "transparent-black",
) -> Drawing:
    """Sketched digits (digit, variant) side by side, set as `row` says, the number's width at
    most 0.9 of the canvas; `variant` holds the number."""
    width = 0.6  # of a digit's height
    strokes = []
    for i, (digit, variant) in enumerate(digits):
        left = i * width * (1 + row.gap)
        for stroke in SKETCHES[(digit, variant)]:
            strokes.append([(left + x * width + row.slant * (1 - y), y) for x, y in stroke])
    total = len(digits) * width * (1 + row.gap) - width * row.gap + row.slant
    height = row.height
    across = height * size[1] / size[0] * total  # the number's width as a share of the canvas
    if across > 0.9:
        height, across = height * 0.9 / across, 0.9
    unit = [[(x / total, y) for x, y in stroke] for stroke in strokes]
    left, top = (1 - across) / 2, (1 - height) / 2
    number = "".join(str(digit) for digit, _ in digits)
    drawn = stroke_drawing(
        unit,
        0,
        size=size,
        box=(left, top, left + across, top + height),
        pen_width=pen_width,
        style=style,
    )
    return Drawing(drawn.png, 0, style, drawn.pen, number)


SEVEN = stroke_drawing(STROKES[7], 7)

SEVEN_URL = data_url(SEVEN.png)


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    """Encode a Pillow image."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


SEVEN_IMAGE = Image.open(io.BytesIO(SEVEN.png))


def seven_in_mode(mode: str) -> Image.Image:
    """The drawn seven (black ink on a transparent canvas) converted to `mode`."""
    on_white = Image.new("RGBA", SEVEN_IMAGE.size, "white")
    on_white.alpha_composite(SEVEN_IMAGE.convert("RGBA"))
    if mode == "I;16":
        return Image.fromarray(np.asarray(on_white.convert("L"), "<u2") * 257)  # mode I;16
    if mode in ("RGBA", "LA"):
        return SEVEN_IMAGE.convert(mode)
    return on_white.convert(mode)
