"""Pixels in and out, as cheaply as they can be: a decoded image's departure from its
background (`departure`, the raw form of `preprocessing.ink`), and a 28x28 field written as a
greyscale PNG (`to_png`, `grey_png`; `preprocessing` names them too).

A canvas sends RGBA: its pixels are read as Pillow decoded them, never converted whole, and
compared with the background channel by channel; the values are exactly those of converting
the image to float32 first. The PNG is written here, one IDAT chunk of zlib, rather than by
Pillow's encoder, which costs more to set up than a 28x28 costs to compress.

Nothing here knows about Flask or Keras.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def has_transparency(image: Image.Image) -> bool:
    """True when the image carries an alpha channel or a transparent palette entry."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def channels(image: Image.Image) -> np.ndarray:
    """Pixel values as float32 (H, W, C) in [0, 255], for any mode."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, np.float32)
        top = float(values.max())
        return (values * (255.0 / top if top > 255 else 1.0))[..., None]
    if image.mode in ("1", "L"):
        return np.asarray(image.convert("L"), np.float32)[..., None]
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")  # Pillow resolves palette transparency only this way
    return np.asarray(image.convert("RGB"), np.float32)


def departure(image: Image.Image) -> np.ndarray:
    """How much ink each pixel holds, float32 (H, W) in [0, 255]: on a transparent canvas its
    alpha; else its Chebyshev distance from the background colour (the border's median)."""
    decoded = _decoded(image)
    if has_transparency(image) and (alpha := _alpha(image, decoded)) is not None:
        return alpha
    pixels = channels(image) if decoded is None else decoded[..., :3]
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    background = np.median(border.astype(np.float32), axis=0)
    # Channel by channel, as whole-image operations: a reduction over a last axis of 3 is slow.
    # uint8 minus a float32 is float32: the same values as converting the whole image first.
    coverage = np.abs(pixels[..., 0] - background[0])
    for channel in range(1, pixels.shape[-1]):
        np.maximum(coverage, np.abs(pixels[..., channel] - background[channel]), out=coverage)
    return coverage


def _decoded(image: Image.Image) -> np.ndarray | None:
    """An 8-bit L, RGB or RGBA image's pixels as decoded, (H, W, C) uint8, neither copied nor
    converted; None for other modes."""
    if image.mode not in ("L", "RGB", "RGBA"):
        return None
    pixels = np.asarray(image)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def _alpha(image: Image.Image, decoded: np.ndarray | None) -> np.ndarray | None:
    """The alpha channel as float32 where some of the image is transparent (a cleared canvas:
    the strokes are what is opaque); else None."""
    if image.mode == "RGBA":
        alpha = decoded[..., 3]
    else:  # Pillow resolves palette and tRNS transparency only by converting
        alpha = np.asarray(image.convert("RGBA").getchannel("A"))
    return alpha.astype(np.float32) if alpha.min() < 255 else None


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (a field, ink coverage) as bytes 0-255, the form MNIST keeps digits in."""
    return np.round(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)


def to_png(field: np.ndarray) -> bytes:
    """A normalised 28x28 field as a greyscale PNG, exactly as the model sees it (ink white)."""
    return grey_png(to_uint8(field))


def to_data_url(png: bytes) -> str:
    """PNG bytes as a `data:image/png;base64,...` URL."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def grey_png(grey: np.ndarray) -> bytes:
    """A uint8 (H, W) array as an 8-bit greyscale PNG (no filter, zlib's default level)."""
    height, width = grey.shape
    rows = np.zeros((height, width + 1), np.uint8)  # each row starts with its filter: none
    rows[:, 1:] = grey
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(rows.tobytes())), (b"IEND", b"")]
    return PNG_SIGNATURE + b"".join(_chunk(kind, body) for kind, body in chunks)


def _chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type and data."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
