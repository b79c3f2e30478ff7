"""Image bytes -> a Pillow image, within the budget: the first step of `preprocessing`.

    decode(data) -> Image.Image   # PNG, JPEG, WebP, GIF or BMP, upright as its EXIF says
    decode_data_url(text) -> bytes   # a data URL's (or bare base64's) bytes

Only the formats the API promises are parsed (`image_formats.ACCEPTED`); the size is checked
(MAX_SIDE, MAX_PIXELS) from the header, before any pixel is decoded, and again on what was
decoded. Every failure is an `ImageError` that says what was expected and what was received.
`preprocessing` names all of this too. Nothing here knows about Flask or Keras.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import warnings
from collections.abc import Callable
from typing import NoReturn

from PIL import ExifTags, Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from drawadigit.reading import image_formats
from drawadigit.reading.image_formats import ACCEPTED_TEXT

logger = logging.getLogger(__name__)

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


class ImageError(ValueError):
    """The bytes are not an image this module can read."""


class ImageTooLarge(ImageError):
    """The image's dimensions exceed MAX_SIDE or MAX_PIXELS."""


class UnsupportedFormat(ImageError):
    """The bytes are an image, in a format other than the ones read here (ACCEPTED)."""


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
