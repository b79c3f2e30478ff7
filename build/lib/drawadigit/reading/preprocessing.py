"""Turn any drawing into the 28x28 image an MNIST model expects.

The one preprocessing contract, shared by training, serving, the notebook and the tests:

    normalise(image) -> float32 array of shape (28, 28), values in [0, 1], ink high (1 = ink),
    the ink's bounding box fitted into 20x20 pixels with its aspect ratio kept, and the ink's
    centre of mass at pixel (14, 14) (row, column), as in the MNIST database itself.

MNIST's own 28x28 digits already satisfy it, so they need nothing but scaling to [0, 1]
(`scale_mnist`). A drawing is brought to it in four steps, each a pure function:

1. `decode`: bytes -> a Pillow image, only from the formats the API promises (PNG, JPEG,
   WebP, GIF, BMP); the size is checked (MAX_SIDE, MAX_PIXELS) from the header, before any
   pixel is decoded, and again on what was decoded; EXIF orientation is applied.
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

import base64
import binascii
import io
import logging
import warnings
from collections.abc import Callable
from typing import NoReturn

import numpy as np
from PIL import ExifTags, Image, ImageOps, PngImagePlugin, UnidentifiedImageError
from scipy import ndimage

from drawadigit.reading import image_formats, pixels
from drawadigit.reading.image_formats import ACCEPTED_TEXT
from drawadigit.reading.pixels import (
    to_data_url as to_data_url,  # fields as PNGs: part of this module's contract
)
from drawadigit.reading.pixels import to_png as to_png
from drawadigit.reading.pixels import to_uint8 as to_uint8

logger = logging.getLogger(__name__)

SIZE = 28  # side of the model's input
BOX = 20  # the digit's longer side inside it
CENTRE = 14.0  # where MNIST puts the centre of mass (measured on the training set: 13.99)

# A drawing larger than this is not a canvas; refuse it before decoding a single pixel. Reading
# an image costs time in proportion to its pixels (decoding, then the ink and the segmentation:
# `benchmarks/decode.py` measures it), so the limit is what the page can send, with room to
# spare: its pad is at most 400x400 CSS pixels, 1600x1600 at a device pixel ratio of 4.
MAX_SIDE = 8192
MAX_PIXELS = 3_000_000
# A PNG's compressed text and ICC profile are inflated as it is opened: at most this much each
# and in all (Pillow's defaults, 1 MB and 64 MB, let one 4 MB body take 64 MB).
PngImagePlugin.MAX_TEXT_CHUNK = 1024 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024

# Ink weaker than this (a share of full contrast) is noise, not a stroke.
MIN_CONTRAST = 0.1
# Pixels below this share of the strongest ink do not count towards the bounding box.
BBOX_THRESHOLD = 0.2
# Stroke widths are evened out at this multiple of the output scale.
FINE = 4
# The middle half of MNIST's stroke widths in output pixels (quartiles of `stroke_width` over
# 5,000 training digits). Pens outside it, a hairline or a marker, are brought to its edge.
STROKE_RANGE = (1.94, 2.88)


class ImageError(ValueError):
    """The bytes are not an image this module can read."""


class ImageTooLarge(ImageError):
    """The image's dimensions exceed MAX_SIDE or MAX_PIXELS."""


class UnsupportedFormat(ImageError):
    """The bytes are an image, in a format other than the ones read here (ACCEPTED)."""


class NothingDrawn(ValueError):
    """The image holds no ink: a blank canvas."""


def decode_data_url(text: str) -> bytes:
    """Bytes from a `data:image/...;base64,` URL or bare base64 text."""
    body = text.strip()
    if body.startswith("data:"):
        header, comma, body = body.partition(",")
        if not comma or not header.endswith(";base64"):
            raise ImageError(
                "Expected a base64 data URL like 'data:image/png;base64,...'; "
                f"received a data URL starting {header[:40]!r}."
            )
    # Form posts that were not URL-encoded turn '+' into ' '; line-wrapped base64 has newlines.
    body = "".join(body.replace(" ", "+").split())
    body += "=" * (-len(body) % 4)
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageError(
            "Expected the image as base64 (a data URL or bare base64 PNG); "
            f"received {len(text)} characters that are not valid base64."
        ) from exc
    if not data:
        raise ImageError("Expected a base64-encoded image; received an empty string.")
    return data


def decode(data: bytes) -> Image.Image:
    """Decode a PNG, JPEG, WebP, GIF or BMP (an animation's first frame) within the budget.

    Only those formats are even parsed; another image is `UnsupportedFormat`. The size is checked
    before a pixel is decoded (a WebP's before the file is opened: its decoder allocates the
    canvas) and again once decoded, and so is what the file's structure would cost to walk
    (`image_formats.costly`); the image comes back turned as its EXIF orientation says.
    """
    if not data:
        raise ImageError(f"Expected image bytes ({ACCEPTED_TEXT}); received 0 bytes.")
    kind = image_formats.identify(data)
    if kind not in image_formats.ACCEPTED:
        _refuse_unread(kind, data)
    name = image_formats.NAMES[kind]
    if kind == "WEBP":
        _check_size(image_formats.webp_size(data) or (0, 0), name)
    if reason := image_formats.costly(kind, data):
        raise ImageTooLarge(f"Expected {reason} (each costs time to read).")
    with warnings.catch_warnings():
        # Pillow warns about what it repaired in a damaged file (a broken APNG, EXIF cut short)
        # and reads on: so does this module. Its warnings about decompression bombs are errors.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _read(data, name, "header", _open)
        _check_size(image.size, name)
        _read(image, name, "pixel data", _load)
        _check_size(image.size, name)  # what was decoded, not only what was declared
        return upright(image)


def _open(data: bytes) -> Image.Image:
    """Pillow's image of the bytes, opened as one of the accepted formats and no other."""
    return Image.open(io.BytesIO(data), formats=image_formats.ACCEPTED)


def _load(image: Image.Image) -> None:
    """Decode the pixels (the first frame's), as the plugin that opened the image does."""
    image.load()


def _refuse_unread(kind: str | None, data: bytes) -> NoReturn:
    """415 for an image in a format not read here, 400 for bytes that are no image."""
    if kind is None:
        raise ImageError(
            f"Expected a {ACCEPTED_TEXT} image; received {len(data):,} bytes that are not an image."
        )
    raise UnsupportedFormat(
        f"Expected an image in one of the formats read here ({ACCEPTED_TEXT}); "
        f"received {len(data):,} bytes in {kind} format."
    )


def _check_size(size: tuple[int, int], name: str) -> None:
    """ImageTooLarge beyond MAX_SIDE or MAX_PIXELS; ImageError for an image without pixels."""
    width, height = size
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageTooLarge(
            f"Expected an image of at most {MAX_SIDE}x{MAX_SIDE} pixels and "
            f"{MAX_PIXELS:,} pixels in all (a drawing needs far fewer); "
            f"received {width}x{height} ({name})."
        )
    if width <= 0 or height <= 0:
        raise ImageError(f"Expected a {name} image with pixels; received {width}x{height}.")


def _read(source, name: str, part: str, step: Callable):
    """`step(source)`, its every failure an ImageError naming the format and the problem.

    Pillow's decoders fail in many ways (OSError, ValueError, SyntaxError, EOFError,
    struct.error, RuntimeError, MemoryError, ...), each the data's fault; the message says
    what went wrong in words, not in the library's, and the log keeps the library's.
    """
    try:
        return step(source)
    except ImageError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageTooLarge(
            f"Expected an image of at most {MAX_SIDE}x{MAX_SIDE} pixels; received a {name} so "
            "large that it was refused before decoding."
        ) from exc
    except UnidentifiedImageError as exc:
        problem = "is malformed"
        logger.debug("%s %s unreadable: %s", name, part, exc)
    except Exception as exc:
        problem = _problem(exc)
        logger.debug("%s %s unreadable: %r", name, part, exc)
    raise ImageError(f"Expected a complete {name} image; received one whose {part} {problem}.")


def _problem(exc: Exception) -> str:
    """What a decoder's exception says went wrong, in words of this module's own."""
    text = str(exc).lower()
    if isinstance(exc, EOFError) or any(w in text for w in ("truncated", "end of", "not enough")):
        return "ends early (truncated)"
    if isinstance(exc, MemoryError):
        return "needs more memory than a drawing may"
    if any(w in text for w in ("unsupported", "not supported", "unknown", "unrecognized")):
        return "uses a feature of the format that is not read here"
    return "is corrupt"


def upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says (a photo taken sideways); broken EXIF
    is ignored, the image read as stored."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        if orientation in range(2, 9):  # same pixel count, either way round: within the budget
            return ImageOps.exif_transpose(image)
    except Exception as exc:  # EXIF is a TIFF inside the file: it can be broken in many ways
        logger.debug("EXIF orientation unreadable: %r", exc)
    return image


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
    """Any drawing -> float32 (28, 28) in [0, 1], ink high, MNIST-style (the contract)."""
    return normalise_ink(ink(image))


def normalise_bytes(data: bytes) -> np.ndarray:
    """Image bytes -> float32 (28, 28) in [0, 1], ink high: `normalise(decode(data))`."""
    return normalise(decode(data))


def scale_mnist(images: np.ndarray) -> np.ndarray:
    """MNIST uint8 digits (already normalised by its authors) -> float32 in [0, 1]."""
    return images.astype(np.float32) / 255.0
