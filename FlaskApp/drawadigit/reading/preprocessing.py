"""Turn any drawing into the 28x28 image an MNIST model expects.

The one preprocessing contract, shared by training, serving, the notebook and the tests:

    normalise(image) -> a float32 28x28 array (`contract.SIZE`), in [0, 1], ink high (1 = ink),
    the ink's bounding box fitted into 20x20 pixels with its aspect ratio kept, and the ink's
    centre of mass at pixel (14, 14) (row, column), as in the MNIST database itself.

MNIST's own 28x28 digits already satisfy it, so they need nothing but scaling to [0, 1]
(`scale_mnist`). A drawing is brought to it in four steps, each a pure function:

1. `decode` (`decoding`): bytes -> a Pillow image, only from the formats the API promises
   (PNG, JPEG, WebP, GIF, BMP); the size is checked (MAX_SIDE, MAX_PIXELS) from the header,
   before any pixel is decoded, and again on what was decoded; EXIF orientation is applied.
2. `ink`: the image -> ink coverage in [0, 1], whatever the background: on a transparent
   canvas the ink is the alpha channel; on an opaque image it is the distance of each pixel's
   colour from the background colour (read off the border), so dark-on-light, light-on-dark and
   any ink colour all work.
3. `crop_to_ink`: cut the ink's bounding box out.
4. `fit_and_centre`: scale the longer side to 20 px with an anti-aliasing filter, bring a pen
   much thinner or thicker than MNIST's into MNIST's range (`even_strokes`), and place the
   result in 28x28 with its centre of mass at the centre.

Nothing here knows about Flask or Keras.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from drawadigit.contract import SIZE  # a field's side
from drawadigit.reading import pixels

# Decoding (step 1) and fields as PNGs: part of this module's contract.
from drawadigit.reading.decoding import MAX_PIXELS as MAX_PIXELS
from drawadigit.reading.decoding import MAX_SIDE as MAX_SIDE
from drawadigit.reading.decoding import ImageError as ImageError
from drawadigit.reading.decoding import ImageTooLarge as ImageTooLarge
from drawadigit.reading.decoding import UnsupportedFormat as UnsupportedFormat
from drawadigit.reading.decoding import decode as decode
from drawadigit.reading.decoding import decode_data_url as decode_data_url
from drawadigit.reading.pixels import to_data_url as to_data_url
from drawadigit.reading.pixels import to_png as to_png
from drawadigit.reading.pixels import to_uint8 as to_uint8

BOX = 20  # the digit's longer side inside it
CENTRE = 14.0  # where MNIST puts the centre of mass (measured on the training set: 13.99)

# Ink weaker than this (a share of full contrast) is noise, not a stroke.
MIN_CONTRAST = 0.1
# Pixels below this share of the strongest ink do not count towards the bounding box.
BBOX_THRESHOLD = 0.2
# Stroke widths are evened out at this multiple of the output scale.
FINE = 4
# The middle half of MNIST's stroke widths in output pixels (quartiles of `stroke_width` over
# 5,000 training digits). Pens outside it, a hairline or a marker, are brought to its edge.
STROKE_RANGE = (1.94, 2.88)


class NothingDrawn(ValueError):
    """The image holds no ink: a blank canvas."""


def ink(image: Image.Image) -> np.ndarray:
    """Ink coverage of a drawing, float32 (H, W) in [0, 1], 1 where the ink is strongest."""
    coverage = pixels.departure(image)
    peak = float(coverage.max())
    if peak < MIN_CONTRAST * 255:
        raise NothingDrawn(
            "Expected a drawing with visible strokes; received a blank image "
            f"({image.width}x{image.height}, strongest ink {peak / 255:.0%} of full contrast)."
        )
    return coverage / peak


def crop_to_ink(coverage: np.ndarray, threshold: float = BBOX_THRESHOLD) -> np.ndarray:
    """Cut out the bounding box of the pixels at or above `threshold`."""
    rows = np.flatnonzero(coverage.max(axis=1) >= threshold)
    cols = np.flatnonzero(coverage.max(axis=0) >= threshold)
    if rows.size == 0:
        raise NothingDrawn("Expected a drawing with visible strokes; received none.")
    return coverage[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _resize(field: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """Resize a float field (width, height order as Pillow) and clip it back to [0, 1]."""
    resized = Image.fromarray(field.astype(np.float32)).resize(size, resample)
    return np.clip(np.asarray(resized, np.float32), 0.0, 1.0)


def _depth(mask: np.ndarray) -> np.ndarray:
    """Distance of each ink pixel to the nearest blank one, counting beyond the edges as blank."""
    return ndimage.distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]


def stroke_width(fine: np.ndarray) -> float:
    """Typical stroke width of a digit drawn at FINE times the output scale, in output pixels."""
    mask = fine >= 0.5
    return _width(mask, _depth(mask)) if mask.any() else 0.0


def _width(mask: np.ndarray, depth: np.ndarray) -> float:
    """`stroke_width` from the ink's mask and its depth (`_depth`), computed once for both."""
    # The ridge of the distance map runs down the middle of every stroke.
    ridge = mask & (depth >= ndimage.maximum_filter(depth, size=3))
    return float(2.0 * np.median(depth[ridge]) - 0.5) / FINE


def even_strokes(fine: np.ndarray) -> np.ndarray:
    """Thicken hairline strokes and thin marker strokes into MNIST's usual range of widths."""
    mask = fine >= 0.5
    if not mask.any():
        return fine
    depth = _depth(mask)  # measures the pen, and thins a marker's strokes
    width = _width(mask, depth)
    if STROKE_RANGE[0] <= width <= STROKE_RANGE[1]:
        return fine  # a pen MNIST's writers could have held: leave it alone
    if width < STROKE_RANGE[0]:
        grow = (STROKE_RANGE[0] - width) / 2 * FINE
        # Everything within `grow` of the ink becomes ink, with a one-pixel soft edge.
        halo = np.clip(grow + 0.5 - ndimage.distance_transform_edt(~mask), 0.0, 1.0)
        return np.maximum(fine, halo)
    shrink = (width - STROKE_RANGE[1]) / 2 * FINE
    core = np.clip(depth - shrink, 0.0, 1.0)
    return np.minimum(fine, core)


def fit(digit: np.ndarray) -> np.ndarray:
    """Scale a cropped digit so its longer side is BOX pixels, its pen evened out.

    Lanczos anti-aliases when shrinking (the MNIST recipe) and stays sharp when enlarging.
    Stroke widths are evened out at FINE times the final scale, with a one-pixel margin for
    strokes to grow into, then box-averaged down; the result keeps that margin and peaks at 1.
    """
    height, width = digit.shape
    scale = BOX / max(height, width)
    new_w = max(1, round(width * scale))
    new_h = max(1, round(height * scale))
    fine = np.pad(_resize(digit, (new_w * FINE, new_h * FINE), Image.Resampling.LANCZOS), FINE)
    small = _resize(even_strokes(fine), (new_w + 2, new_h + 2), Image.Resampling.BOX)
    top = float(small.max())
    if top > 0:
        small /= top  # thin strokes lose contrast when shrunk; MNIST ink peaks at 1
    return small


def centre(small: np.ndarray) -> np.ndarray:
    """Place a fitted digit in a SIZE x SIZE field with its centre of mass at the centre."""
    new_h, new_w = small.shape
    total = float(small.sum())
    ys, xs = np.indices(small.shape)
    com_y = float((ys * small).sum() / total)
    com_x = float((xs * small).sum() / total)
    # Integer shift keeps the strokes crisp; clamping keeps every stroke inside the field.
    top_row = min(max(round(CENTRE - com_y), 0), SIZE - new_h)
    left_col = min(max(round(CENTRE - com_x), 0), SIZE - new_w)
    field = np.zeros((SIZE, SIZE), np.float32)
    field[top_row : top_row + new_h, left_col : left_col + new_w] = small
    return field


def fit_and_centre(digit: np.ndarray) -> np.ndarray:
    """Fit a cropped digit into BOX pixels and centre its mass in a SIZE x SIZE field."""
    return centre(fit(digit))


def normalise_ink(coverage: np.ndarray) -> np.ndarray:
    """Ink coverage (H, W) in [0, 1] -> the contract's 28x28 field: crop, fit, centre."""
    return fit_and_centre(crop_to_ink(coverage))


def normalise(image: Image.Image) -> np.ndarray:
    """Any drawing -> a float32 28x28 field in [0, 1], ink high, MNIST-style (the contract)."""
    return normalise_ink(ink(image))


def normalise_bytes(data: bytes) -> np.ndarray:
    """Image bytes -> a float32 28x28 field in [0, 1], ink high: `normalise(decode(data))`."""
    return normalise(decode(data))


def scale_mnist(images: np.ndarray) -> np.ndarray:
    """MNIST uint8 digits (already normalised by its authors) -> float32 in [0, 1]."""
    return images.astype(np.float32) / 255.0
