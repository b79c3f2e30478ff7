"""The preprocessing contract: any drawing comes back as the MNIST-style 28x28 field."""

from __future__ import annotations

import collections
import io

import numpy as np
import pytest
from PIL import Image

from drawadigit.model import tf_runtime
from drawadigit.reading import preprocessing
from drawadigit.training import datasets
from tests import support


def field_of(drawing: support.Drawing) -> np.ndarray:
    """The normalised field of a drawing."""
    return preprocessing.normalise_bytes(drawing.png)


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two fields, forgiving a one-pixel shift of the placement.

    The centre of mass is placed on whole pixels, so a sub-pixel change can move a field by one.
    """
    return min(
        float(np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean())
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    """Encode a Pillow image."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def test_output_keeps_the_contract_shape_range_box_and_centre():
    field = field_of(support.stroke_drawing(support.STROKES[5], 5, size=(400, 300)))
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert field.min() >= 0.0 and field.max() == pytest.approx(1.0)
    rows = np.flatnonzero(field.max(axis=1) > 0.3)
    cols = np.flatnonzero(field.max(axis=0) > 0.3)
    # 20 px, give or take the anti-aliased edge and a thin pen's thickening.
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) in (19, 20, 21)
    ys, xs = np.indices(field.shape)
    assert (ys * field).sum() / field.sum() == pytest.approx(14.0, abs=0.75)
    assert (xs * field).sum() / field.sum() == pytest.approx(14.0, abs=0.75)


def test_mnist_digits_already_keep_the_contract(mnist_test):
    images, _ = mnist_test
    fields = preprocessing.scale_mnist(images[:200])
    again = datasets.as_drawn(fields)
    # Normalising an MNIST digit changes little: it is already in that form.
    assert np.abs(again - fields).mean() < 0.05


@pytest.mark.parametrize("style", list(support.STYLES))
def test_every_colour_scheme_gives_the_same_field(style):
    reference = field_of(support.stroke_drawing(support.STROKES[3], 3))
    field = field_of(support.stroke_drawing(support.STROKES[3], 3, style=style))
    assert difference(field, reference) < 0.01


def test_position_and_size_on_the_canvas_do_not_matter():
    # The same drawing, pen scaled with it, small in a corner or large on a wide canvas.
    fields = [
        field_of(
            support.stroke_drawing(
                support.STROKES[4],
                4,
                size=size,
                box=box,
                pen_width=0.08 * (box[3] - box[1]) * size[1],
            )
        )
        for size, box in [
            ((280, 280), (0.2, 0.15, 0.8, 0.85)),
            ((280, 280), (0.0, 0.0, 0.3, 0.35)),  # small, top left
            ((512, 384), (0.62, 0.5, 0.92, 0.967)),  # bottom right of a wide canvas
        ]
    ]
    for field in fields[1:]:
        assert difference(field, fields[0]) < 0.05


def test_hairline_and_marker_pens_are_brought_to_mnist_stroke_widths():
    low, high = preprocessing.STROKE_RANGE
    for pen_width in (2, 40):
        field = field_of(support.stroke_drawing(support.STROKES[8], 8, pen_width=pen_width))
        assert low - 0.5 <= preprocessing.stroke_width(_upscale(field)) <= high + 0.5


def _upscale(field: np.ndarray) -> np.ndarray:
    """A field enlarged FINE times, the scale stroke_width measures at."""
    size = (preprocessing.SIZE * preprocessing.FINE,) * 2
    return np.asarray(Image.fromarray(field).resize(size, Image.Resampling.BILINEAR))


def test_ink_of_a_transparent_canvas_is_its_alpha_whatever_the_rgb():
    rgba = np.zeros((50, 50, 4), np.uint8)
    rgba[..., :3] = 255  # white, but transparent: a cleared canvas can hold any colour
    rgba[10:40, 20:25] = (200, 30, 30, 255)
    ink = preprocessing.ink(Image.fromarray(rgba))
    assert ink[20, 22] == 1.0 and ink[5, 5] == 0.0


def test_ink_of_an_opaque_image_is_distance_from_the_background():
    dark_on_light = Image.new("RGB", (40, 40), (240, 240, 240))
    dark_on_light.paste((20, 20, 20), (10, 10, 30, 14))
    light_on_dark = Image.new("L", (40, 40), 10)
    light_on_dark.paste(250, (10, 10, 30, 14))
    for image in (dark_on_light, light_on_dark):
        ink = preprocessing.ink(image)
        assert ink[12, 20] == pytest.approx(1.0) and ink[0, 0] == 0.0


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F", "CMYK"])
def test_every_image_mode_normalises(mode):
    drawing = Image.open(io.BytesIO(support.stroke_drawing(support.STROKES[2], 2).png))
    flat = Image.new("RGB", drawing.size, "white")
    flat.paste(drawing, mask=drawing.getchannel("A"))
    if mode in ("I;16", "I", "F"):
        converted = Image.fromarray(np.asarray(flat.convert("L"), np.uint16) * 257).convert(mode)
    elif mode == "1":  # a bilevel scan, not a dithered photo
        converted = flat.convert(mode, dither=Image.Dither.NONE)
    else:
        converted = flat.convert(mode)
    field = preprocessing.normalise(converted)
    reference = preprocessing.normalise(flat)
    assert difference(field, reference) < 0.03


def test_decode_data_url_accepts_data_urls_and_bare_base64():
    assert preprocessing.decode_data_url("data:image/png;base64,aGk=") == b"hi"
    assert preprocessing.decode_data_url("aGk") == b"hi"  # padding restored
    assert preprocessing.decode_data_url("aG\nk=") == b"hi"


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("L", (60, 60), 255) for _ in range(2)]
    frames[0].paste(0, (28, 10, 32, 50))  # a one
    frames[1].paste(0, (10, 28, 50, 32))  # a dash
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    field = preprocessing.normalise_bytes(buffer.getvalue())
    rows = np.flatnonzero(field.max(axis=1) > 0.5)
    assert rows[-1] - rows[0] >= 15  # tall: the first frame's vertical bar


def test_a_single_dot_is_still_a_drawing_not_an_error():
    image = Image.new("RGBA", (280, 280))
    image.paste((0, 0, 0, 255), (140, 140, 146, 146))
    field = preprocessing.normalise(image)
    assert field.max() == pytest.approx(1.0)


@pytest.fixture(scope="module")
def canvas_drawings(mnist_test):
    """900 MNIST test digits redrawn on canvases, 50 in each style and pen."""
    images, labels = mnist_test
    return support.canvas_set(images, labels, 900, seed=7)


def test_canvas_drawings_come_back_close_to_their_mnist_originals(mnist_test, canvas_drawings):
    images, labels = mnist_test
    originals = {}
    rng = np.random.default_rng(7)
    for k, i in enumerate(rng.permutation(len(labels))[: len(canvas_drawings)]):
        originals[k] = preprocessing.scale_mnist(images[i])
    correlations = [
        np.corrcoef(field_of(d).ravel(), originals[k].ravel())[0, 1]
        for k, d in enumerate(canvas_drawings)
    ]
    assert np.median(correlations) > 0.8
    assert np.mean(np.asarray(correlations) > 0.5) > 0.95


def test_canvas_drawings_are_classified_right_in_every_style_and_pen(
    shipped_model, canvas_drawings
):
    fields = np.stack([field_of(d) for d in canvas_drawings])
    predicted = tf_runtime.probabilities(shipped_model, fields).argmax(axis=1)
    right = predicted == np.array([d.label for d in canvas_drawings])
    assert right.mean() >= 0.97
    for key in ("style", "pen"):
        groups = collections.defaultdict(list)
        for drawing, ok in zip(canvas_drawings, right, strict=True):
            groups[getattr(drawing, key)].append(ok)
        for name, oks in groups.items():
            assert np.mean(oks) >= 0.95, f"{key} {name}: {np.mean(oks):.3f}"


@pytest.mark.parametrize("digit", range(10))
@pytest.mark.parametrize("pen_width", [5, 14, 28])
def test_hand_drawn_strokes_are_read_right(shipped_model, digit, pen_width):
    field = field_of(support.stroke_drawing(support.STROKES[digit], digit, pen_width=pen_width))
    assert tf_runtime.probabilities(shipped_model, field[None])[0].argmax() == digit


def test_jpeg_noise_on_a_blank_page_is_nothing_drawn():
    rng = np.random.default_rng(0)
    noisy = np.clip(250 + rng.normal(0, 2, (200, 200)), 0, 255).astype(np.uint8)
    with pytest.raises(preprocessing.NothingDrawn):
        preprocessing.normalise_bytes(encode(Image.fromarray(noisy), "JPEG"))
