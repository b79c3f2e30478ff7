"""Canvas-style drawings for the tests: MNIST digits and pen strokes as a browser would send them.

A page's `canvas.toDataURL()` gives a PNG of the whole canvas: often a transparent background,
any ink colour, the digit at any size and place, a thin or thick pen. These helpers turn a 28x28
MNIST digit, or a list of pen strokes, into such a PNG, so the tests can check that
normalisation brings every one of them back to what the model was trained on.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

# (name, background RGBA, ink RGB): every combination a real page can produce.
STYLES = {
    "transparent-black": ((0, 0, 0, 0), (0, 0, 0)),
    "transparent-green": ((255, 255, 255, 0), (20, 160, 60)),
    "white-black": ((255, 255, 255, 255), (0, 0, 0)),
    "paper-purple": ((250, 246, 235, 255), (110, 40, 160)),
    "black-white": ((0, 0, 0, 255), (255, 255, 255)),
    "navy-orange": ((15, 25, 60, 255), (255, 150, 30)),
}
PENS = ("thin", "normal", "bold")
CANVASES = ((280, 280), (400, 300), (200, 360), (512, 512))


@dataclass(frozen=True)
class Drawing:
    """One PNG drawing and what it shows."""

    png: bytes
    label: int
    style: str
    pen: str


def _encode(mask: np.ndarray, style: str, fmt: str = "PNG") -> bytes:
    """Paint an ink mask (float, 0..1) in a style's colours and encode it."""
    background, ink = STYLES[style]
    alpha = mask[..., None]
    bg = np.asarray(background, np.float32)
    if background[3] == 0:  # a cleared canvas: ink colour where drawn, transparent elsewhere
        rgba = np.concatenate([np.broadcast_to(ink, mask.shape + (3,)), alpha * 255], axis=-1)
    else:
        rgb = bg[:3] * (1 - alpha) + np.asarray(ink, np.float32) * alpha
        rgba = np.concatenate([rgb, np.full(mask.shape + (1,), 255.0)], axis=-1)
    image = Image.fromarray(np.round(rgba).astype(np.uint8))
    if fmt == "JPEG":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


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
    rows = np.flatnonzero(digit.max(axis=1) > 40)
    cols = np.flatnonzero(digit.max(axis=0) > 40)
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    share = rng.uniform(0.3, 0.9)  # the digit's height as a share of the canvas
    scale = share * min(width, height) / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    ink = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR), np.float32)
    ink /= 255.0
    # A pen leaves hard edges: sharpen the blur of the enlarged digit into strokes.
    ink = np.clip((ink - 0.3) * 3.0, 0.0, 1.0)
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
    return Drawing(_encode(mask, style, fmt), int(label), style, pen)


def stroke_drawing(
    strokes: list[list[tuple[float, float]]],
    label: int,
    *,
    size: tuple[int, int] = (280, 280),
    box: tuple[float, float, float, float] = (0.2, 0.15, 0.8, 0.85),
    pen_width: float = 14.0,
    style: str = "transparent-black",
) -> Drawing:
    """Draw strokes given in a unit square (x right, y down) into `box` with a round pen."""
    over = 4  # draw large, then shrink: canvas strokes are anti-aliased
    image = Image.new("L", (size[0] * over, size[1] * over), 0)
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = box
    radius = pen_width * over / 2
    for stroke in strokes:
        points = [
            ((x0 + x * (x1 - x0)) * size[0] * over, (y0 + y * (y1 - y0)) * size[1] * over)
            for x, y in stroke
        ]
        draw.line(points, fill=255, width=round(pen_width * over), joint="curve")
        for px, py in points:  # round caps
            draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=255)
    mask = np.asarray(image.resize(size, Image.Resampling.BOX), np.float32) / 255.0
    return Drawing(_encode(mask, style), label, style, f"{pen_width:g}px")


def _arc(cx, cy, rx, ry, start, end, n=24):
    """Points along an elliptic arc, angles in degrees, 0 = right, 90 = down."""
    t = np.radians(np.linspace(start, end, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


# Digits as a person draws them with a mouse, in a unit square: our own strokes, not MNIST's.
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [_arc(0.5, 0.5, 0.32, 0.48, 0, 360, 40)],
    1: [[(0.35, 0.2), (0.55, 0.0), (0.55, 1.0)]],
    2: [_arc(0.5, 0.28, 0.32, 0.28, 190, 380) + [(0.15, 1.0), (0.9, 1.0)]],
    3: [_arc(0.48, 0.25, 0.3, 0.25, 200, 450) + _arc(0.48, 0.74, 0.34, 0.26, 270, 520)],
    4: [[(0.6, 0.0), (0.1, 0.68), (0.92, 0.68)], [(0.68, 0.3), (0.68, 1.0)]],
    5: [[(0.85, 0.0), (0.25, 0.0), (0.2, 0.45)] + _arc(0.5, 0.7, 0.36, 0.3, 235, 500)],
    6: [[(0.72, 0.0), (0.3, 0.4)] + _arc(0.5, 0.7, 0.3, 0.3, 200, 560)],
    7: [[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)]],
    8: [_arc(0.5, 0.25, 0.25, 0.25, 90, 450) + _arc(0.5, 0.73, 0.32, 0.27, -90, 270)],
    9: [_arc(0.5, 0.3, 0.3, 0.3, 0, 360) + [(0.8, 0.3), (0.75, 1.0)]],
}


def canvas_set(images: np.ndarray, labels: np.ndarray, n: int, seed: int = 0) -> list[Drawing]:
    """The first n digits of a seeded shuffle, redrawn in every style and pen in turn."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))[:n]
    combos = [(s, p) for s in STYLES for p in PENS]
    return [
        mnist_drawing(images[i], labels[i], rng, *combos[k % len(combos)])
        for k, i in enumerate(order)
    ]
