"""Polylines inked with a round pen, the one way this project draws strokes.

Each line is drawn `scale` times larger than wanted, with a disc of the pen's radius at every
point (round ends, and no notches where the line turns), then box-averaged down: the edges come
out anti-aliased, as a browser canvas draws them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]


def ink_lines(
    size: tuple[int, int],
    lines: Sequence[Sequence[Point]],
    width: float,
    scale: int,
    joint: str | None = None,
) -> np.ndarray:
    """Coverage, float32 (height, width) in [0, 1], of polylines drawn with a round pen.

    `size` is (width, height) in output pixels, and so are the points (x right, y down) and the
    pen's `width`. `joint` is Pillow's: "curve" rounds the corners of the line itself too.
    """
    image = Image.new("L", (size[0] * scale, size[1] * scale), 0)
    draw = ImageDraw.Draw(image)
    radius = width * scale / 2
    for line in lines:
        points = [(x * scale, y * scale) for x, y in line]
        if len(points) > 1:
            draw.line(points, fill=255, width=max(1, round(width * scale)), joint=joint)
        for px, py in points:
            draw.ellipse((px - radius, py - radius, px + radius, py + radius), fill=255)
    return np.asarray(image.resize(size, Image.Resampling.BOX), np.float32) / 255.0
