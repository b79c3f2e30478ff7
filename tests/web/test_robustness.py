"""Property tests: whatever arrives at /predict, random bytes, random JSON or random small
images, the answer is JSON and never a 5xx."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests.support import HYPOTHESIS, assert_json_answer, data_url, json_values, png_bytes


@HYPOTHESIS
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
            "",
        ]
    ),
)
def test_random_bytes_always_get_a_json_answer(client, body, content_type):
    assert_json_answer(client.post("/predict", data=body, content_type=content_type or None))


@HYPOTHESIS
@given(payload=json_values)
def test_random_json_always_gets_a_json_answer(client, payload):
    assert_json_answer(client.post("/predict", json=payload))


@HYPOTHESIS
@given(
    mode=st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]),
    size=st.tuples(st.integers(1, 48), st.integers(1, 48)),
    seed=st.integers(0, 2**32 - 1),
    fmt=st.sampled_from(["PNG", "GIF", "WEBP", "JPEG"]),
)
def test_random_small_images_always_get_a_json_answer(client, mode, size, seed, fmt):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 4), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGBA").convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image, "<u2") * 257)  # mode I;16
    if fmt == "JPEG" and image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    if fmt != "PNG" and image.mode == "I;16":
        image = image.convert("L")
    body = assert_json_answer(
        client.post("/predict", json={"image": data_url(png_bytes(image, fmt))})
    )
    if "digit" in body:
        assert len(body["probabilities"]) == 10
