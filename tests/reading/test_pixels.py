"""The fast pixel paths give exactly what the plain ones give: ink as if every image were
converted to float32 first, and PNGs that decode to the very bytes written."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from drawadigit.reading import pixels, preprocessing


def converted_departure(image: Image.Image) -> np.ndarray:
    """Ink the plain way: every image converted whole to float32 before it is compared."""
    if pixels.has_transparency(image):
        alpha = np.asarray(image.convert("RGBA").getchannel("A")).astype(np.float32)
        if alpha.min() < 255:
            return alpha
    values = pixels.channels(image)
    background = np.median(
        np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]]), axis=0
    )
    return np.abs(values - background).max(axis=-1)


def canvas(opaque: bool) -> Image.Image:
    """A noisy RGBA canvas with a dark square drawn on it, opaque or cleared around it."""
    rgba = (np.random.default_rng(1).random((45, 70, 4)) * 255).astype(np.uint8)
    rgba[10:30, 20:40, :3] = 12
    rgba[..., 3] = 255 if opaque else 0
    rgba[10:30, 20:40, 3] = 230
    return Image.fromarray(rgba, "RGBA")


@pytest.mark.parametrize("mode", ["RGBA", "RGBA cleared", "RGB", "L", "P", "LA", "1", "I;16"])
def test_ink_is_the_same_as_converting_the_image_first(mode):
    image = canvas(opaque=mode != "RGBA cleared")
    image = image if mode.startswith("RGBA") else image.convert(mode)
    fast = pixels.departure(image)
    assert fast.dtype == np.float32
    np.testing.assert_array_equal(fast, converted_departure(image))


def test_a_transparent_colour_in_an_rgb_image_is_read_as_transparency():
    image = canvas(opaque=True).convert("RGB")
    image.info["transparency"] = (12, 12, 12)  # the square's colour: a tRNS chunk
    coverage = preprocessing.ink(image)
    assert coverage[15, 25] == 0.0 and coverage[0, 0] == 1.0


@pytest.mark.parametrize("shape", [(28, 28), (1, 1), (3, 50)])
def test_a_field_written_as_png_decodes_to_the_bytes_written(shape):
    field = np.random.default_rng(2).random(shape).astype(np.float32)
    png = preprocessing.to_png(field)
    decoded = Image.open(io.BytesIO(png))
    assert decoded.format == "PNG" and decoded.mode == "L"
    np.testing.assert_array_equal(np.asarray(decoded), preprocessing.to_uint8(field))
