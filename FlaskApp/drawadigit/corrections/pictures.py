"""A correction's two pictures as the store keeps them: the drawing as a small greyscale PNG
(`drawing_png`) and the normalised field as 784 bytes (`field_bytes`, read back by `fields`)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from drawadigit.contract import SIZE
from drawadigit.reading import preprocessing

DRAWING_SIDE = 256  # pixels: the longer side of a stored drawing, at most


def drawing_png(coverage: np.ndarray, side: int = DRAWING_SIDE) -> bytes:
    """Ink coverage as the PNG to keep: black ink on white, greyscale, longer side <= `side`."""
    grey = Image.fromarray(preprocessing.to_uint8(1.0 - np.clip(coverage, 0.0, 1.0)))
    scale = side / max(grey.size)
    if scale < 1:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BOX)  # an average: thin strokes stay visible
    buffer = io.BytesIO()
    grey.save(buffer, format="PNG")
    return buffer.getvalue()


def field_bytes(field: np.ndarray) -> bytes:
    """A normalised field as 784 bytes (0-255), the form MNIST keeps its digits in."""
    return preprocessing.to_uint8(field).tobytes()


def fields(blobs: list[bytes]) -> np.ndarray:
    """Stored 784-byte fields as uint8 (N, 28, 28)."""
    flat = np.frombuffer(b"".join(blobs), np.uint8)
    return flat.reshape(-1, SIZE, SIZE).copy()
