"""Only the images the API promises, decoded within budget: containers that declare a small
size around a huge image (IPTC, ICO, ICNS), every format Pillow reads but the API does not,
files whose structure Pillow walks one piece at a time, and mutated images of every accepted
format all get a 4xx, in milliseconds, without the memory growing; EXIF orientation is applied.

Memory is measured with tracemalloc (Pillow's pixel buffers are traced: a decoded 9400x9400
greyscale image would show 88 MB); time as the CPU time of the thread that answered.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from drawadigit.reading import decoding, preprocessing
from scripts import hostile_images
from tests.support import HYPOTHESIS, assert_json_answer, data_url

MEGABYTE = 1024 * 1024
ACCEPTED = ["PNG", "JPEG", "WebP", "GIF", "BMP"]


def measured(client, data: bytes):
    """POST `data` to /predict: the response, the traced memory's peak and the CPU seconds."""
    body = {"image": data_url(data)}
    tracemalloc.start()
    started = time.thread_time()
    response = client.post("/predict", json=body)
    seconds = time.thread_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return response, peak, seconds


@pytest.fixture(scope="module")
def containers() -> dict[str, bytes]:
    """IPTC, ICO and ICNS files declaring a small size around a real 9400x9400 PNG."""
    return hostile_images.containers(9400)


@pytest.mark.parametrize("kind", ["IPTC", "ICO", "ICNS"])
def test_a_container_around_a_huge_image_is_refused_unopened(client, containers, kind):
    data = containers[kind]
    assert len(data) < 200_000 and hostile_images.big_png(9400) in data
    response, peak, seconds = measured(client, data)
    body = assert_json_answer(response)
    assert response.status_code == 415
    assert f"in {kind} format" in body["error"] and body["accepted"] == ACCEPTED
    assert peak < 50 * MEGABYTE  # the inner image decoded would be 88 MB, its RGBA copy 350 MB
    assert seconds < 0.5


def test_what_pillow_would_do_with_the_containers_is_what_they_are_made_for(containers):
    # The test above refuses real attacks: plain Pillow takes the IPTC's declared size and
    # decodes the image inside it, of whatever size.
    with Image.open(io.BytesIO(containers["IPTC"])) as opened:
        assert opened.size == (100, 100)
        opened.load()
        assert opened.im.size == (9400, 9400)


UNPROMISED = hostile_images.unpromised_formats()


def test_every_format_pillow_writes_here_is_among_the_unpromised_samples():
    must = {"TIFF", "PPM", "PCX", "SGI", "TGA", "ICO", "ICNS", "IM", "SPIDER", "XBM", "EPS"}
    must |= {"IPTC", "DDS", "MSP"}
    assert must <= set(UNPROMISED)


@pytest.mark.parametrize("kind", sorted(UNPROMISED))
def test_an_image_in_a_format_not_promised_is_415_listing_the_accepted_ones(client, kind):
    response, peak, seconds = measured(client, UNPROMISED[kind])
    body = assert_json_answer(response)
    assert response.status_code == 415, body
    assert body["error"].startswith("Expected an image in one of the formats read here")
    assert f"in {kind} format" in body["error"] and "PNG, JPEG, WebP, GIF or BMP" in body["error"]
    assert body["accepted"] == ACCEPTED
    assert peak < 50 * MEGABYTE and seconds < 0.5


def test_unpromised_formats_are_never_handed_to_pillow(monkeypatch):
    opened = []
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args))
    for kind, data in UNPROMISED.items():
        with pytest.raises(preprocessing.UnsupportedFormat):
            preprocessing.decode(data)
        assert opened == [], kind


@pytest.mark.parametrize("kind", ["AVIF", "JPEG2000", "TIFF"])
def test_a_corrupt_image_of_an_unpromised_format_is_a_4xx_not_a_500(client, kind):
    data = UNPROMISED[kind]
    broken = data[:32] + bytes(range(256)) * 4
    response = client.post("/predict", json={"image": data_url(broken)})
    assert_json_answer(response)
    assert response.status_code == 415


@pytest.mark.parametrize("kind", sorted(hostile_images.walked_structures(500_000)))
def test_files_built_of_tiny_structures_are_refused_before_pillow_walks_them(client, kind):
    data = hostile_images.walked_structures(500_000)[kind]
    response, _, seconds = measured(client, data)
    body = assert_json_answer(response)
    assert response.status_code == 413 and "each costs time to read" in body["error"]
    assert seconds < 0.5  # undefended, each takes a second or more


def test_a_webp_declaring_a_huge_canvas_is_refused_before_libwebp_allocates_it(monkeypatch):
    sample = bytearray(hostile_images.accepted_samples()["WebP animated"])
    assert sample[12:16] == b"VP8X"
    sample[24:30] = (16000).to_bytes(3, "little") * 2  # 16001 x 16001
    opened = []
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args))
    with pytest.raises(preprocessing.ImageTooLarge, match=r"received 16001x16001 \(WebP\)"):
        preprocessing.decode(bytes(sample))
    assert opened == []


def test_the_decoded_size_is_checked_again(monkeypatch):
    # A plugin that decoded more than its file declared (none of the five should) is caught.
    sample = hostile_images.accepted_samples()["PNG RGBA"]

    def grown(image):
        image.load = lambda: None
        image._size = (4000, 4000)

    monkeypatch.setattr(decoding, "_load", grown)
    with pytest.raises(preprocessing.ImageTooLarge, match=r"received 4000x4000 \(PNG\)"):
        preprocessing.decode(sample)


def test_png_text_chunks_are_inflated_within_a_bound():
    png = hostile_images.accepted_samples()["PNG L interlaced"]
    text = zlib.compress(b"\0" * (MEGABYTE - 8))  # 1 MB inflated from 1 kB, 5 times
    ztxt = hostile_images._chunk(b"zTXt", b"comment\0\0" + text) * 5
    with pytest.raises(preprocessing.ImageError, match="complete PNG image"):
        preprocessing.decode(png[:33] + ztxt + png[33:])  # 5 MB of text: over the 4 MB bound
    assert preprocessing.decode(png[:33] + ztxt[: len(ztxt) // 5] + png[33:]).size == (48, 48)


@pytest.mark.parametrize("name", sorted(hostile_images.accepted_samples()))
def test_every_accepted_sample_is_read(name):
    image = preprocessing.decode(hostile_images.accepted_samples()[name])
    assert image.size == (48, 48)


def test_a_photo_whose_exif_says_rotated_is_read_upright():
    wide = Image.new("L", (60, 20), 255)
    wide.paste(0, (0, 0, 10, 20))  # a dark band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    buffer = io.BytesIO()
    wide.save(buffer, "JPEG", exif=exif.tobytes(), quality=95)
    image = preprocessing.decode(buffer.getvalue())
    assert image.size == (20, 60)
    pixels = np.asarray(image.convert("L"))
    assert pixels[:10].mean() < 60 and pixels[-10:].mean() > 200  # the band is now on top


def test_broken_exif_is_ignored_and_the_image_read_as_stored():
    buffer = io.BytesIO()
    Image.new("L", (30, 20), 128).save(buffer, "JPEG", exif=b"Exif\0\0MM\0*\0\0\0\x08\xff\xff")
    assert preprocessing.decode(buffer.getvalue()).size == (30, 20)


SAMPLES = sorted(hostile_images.accepted_samples())
edits = st.lists(
    st.tuples(st.sampled_from(hostile_images.EDITS), st.floats(0, 1), st.integers(0, 1 << 16)),
    min_size=1,
    max_size=4,
)


@HYPOTHESIS
@given(name=st.sampled_from(SAMPLES), changes=edits)
def test_mutated_images_of_every_accepted_format_get_a_json_answer_never_a_5xx(
    client, name, changes
):
    data = hostile_images.mutate(hostile_images.accepted_samples()[name], changes)
    started = time.thread_time()
    response = client.post("/predict", json={"image": data_url(data)})
    seconds = time.thread_time() - started
    body = assert_json_answer(response)
    assert response.status_code in (200, 400, 413, 415, 422), body
    assert seconds < 1.0  # generous: an accepted drawing of this size costs milliseconds
    if response.status_code == 400 and "complete" in body["error"]:
        assert any(f"complete {kind} image" in body["error"] for kind in ACCEPTED)
        assert "<" not in body["error"] and "Error" not in body["error"]  # no library internals
