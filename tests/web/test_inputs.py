"""Whatever image arrives: every mode and format read, bad values and bodies answered with
their own 400 or 415, bombs and images too costly to read refused before they are decoded."""

from __future__ import annotations

import base64
import io
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from tests.support import SEVEN, SEVEN_IMAGE, assert_json_answer, data_url, png_bytes, seven_in_mode


def typed_data_url(data: bytes, kind: str) -> str:
    """Bytes as a data URL that claims the image type `kind`."""
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("1", "PNG"),
        ("L", "PNG"),
        ("LA", "PNG"),
        ("P", "PNG"),
        ("RGB", "PNG"),
        ("RGBA", "PNG"),
        ("I;16", "PNG"),
        ("CMYK", "JPEG"),
        ("RGB", "WEBP"),
        ("RGBA", "WEBP"),
        ("P", "GIF"),
    ],
)
def test_every_image_mode_and_format_is_read(shipped_client, mode, fmt):
    data = png_bytes(seven_in_mode(mode), fmt)
    response = shipped_client.post("/predict", json={"image": data_url(data)})
    body = assert_json_answer(response)
    assert response.status_code == 200 and body["digit"] == 7


def test_an_animated_gif_is_read_by_its_first_frame(shipped_client):
    seven = seven_in_mode("L")
    blank = Image.new("L", seven.size, 255)
    buffer = io.BytesIO()
    seven.save(buffer, format="GIF", save_all=True, append_images=[blank, blank], duration=100)
    response = shipped_client.post(
        "/predict", json={"image": typed_data_url(buffer.getvalue(), "gif")}
    )
    assert response.status_code == 200 and response.get_json()["digit"] == 7


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M4 4L24 24"/></svg>'


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"image": typed_data_url(SVG, "svg+xml")}, 400, "not an image"),
        ({"image": data_url(b"just some text")}, 400, "not an image"),
        ({"image": data_url(SEVEN.png[: len(SEVEN.png) // 2])}, 400, "complete PNG image"),
        ({"image": ""}, 400, "empty string"),
        ({"image": "   "}, 400, "empty string"),
        ({"image": 7}, 400, "a JSON number"),
        ({"image": 7.5}, 400, "a JSON number"),
        ({"image": {"png": "..."}}, 400, "a JSON object"),
        ({"image": ["data:image/png;base64,"]}, 400, "a JSON array"),
        ({"image": None}, 400, "a JSON null"),
        ({"image": True}, 400, "a JSON boolean"),
        ({"picture": "x"}, 400, "received fields ['picture']"),
        ([1, 2], 400, "a JSON array"),
        ("a string", 400, "a JSON string"),
    ],
)
def test_bad_values_get_a_400_saying_what_was_expected(client, payload, status, words):
    response = client.post("/predict", json=payload)
    body = assert_json_answer(response)
    assert response.status_code == status and words in body["error"]


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": b"{not json", "content_type": "application/json"}, 400),
        ({"data": b"", "content_type": "application/json"}, 400),
        ({"data": b'{"image": "x"}', "content_type": "text/plain"}, 415),
        ({"data": b'{"image": "x"}'}, 415),
        ({"data": b"\x89PNG", "content_type": "image/png"}, 415),
        ({"data": b"imageBase64=", "content_type": "application/x-www-form-urlencoded"}, 400),
    ],
)
def test_malformed_bodies_and_content_types_get_json_errors(client, kwargs, status):
    response = client.post("/predict", **kwargs)
    assert response.status_code == status
    assert_json_answer(response)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/predict", "/api/model", "/healthz"])
def test_wrong_methods_get_a_json_405_or_answer(client, method, path):
    response = client.open(path, method=method)
    if method == "GET" and path != "/predict":
        assert response.status_code == 200
    else:
        assert response.status_code == 405 and "error" in response.get_json()


def test_an_image_of_nothing_but_specks_is_read_not_a_500(client):
    rng = np.random.default_rng(0)
    specks = np.full((600, 600), 255, np.uint8)
    specks[rng.random(specks.shape) < 0.01] = 0  # 3,600 dots, none a share of the ink
    response = client.post("/predict", json={"image": data_url(png_bytes(Image.fromarray(specks)))})
    body = assert_json_answer(response)
    assert response.status_code == 200 and body["reading"] in ("digit", "number", "not_a_digit")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels in a few dozen bytes (its data is one row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1)))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [30_000, 65_000])
def test_a_decompression_bomb_is_refused_fast_without_allocating_it(client, side):
    bomb = png_header_only(side, side)
    assert len(bomb) < 200_000
    tracemalloc.start()
    started = time.perf_counter()
    response = client.post("/predict", json={"image": data_url(bomb)})
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert response.status_code == 413
    assert "refused before decoding" in response.get_json()["error"]
    assert peak < 20 * 1024 * 1024  # a decoded bomb would take side * side bytes (900 MB+)
    assert seconds < 2


def canvas_png(width: int, height: int) -> bytes:
    """A seven on a transparent canvas of this size, as the page posts it."""
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    seven = SEVEN_IMAGE.convert("RGBA").resize((min(width, height),) * 2)
    canvas.alpha_composite(seven)
    return png_bytes(canvas)


@pytest.mark.parametrize("size", [(1600, 1600), (1732, 1732), (2400, 1250)])
def test_every_canvas_the_page_can_send_is_read(client, size):
    response = client.post("/predict", json={"image": data_url(canvas_png(*size))})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("size", [(4000, 3717), (1733, 1733), (8192, 400)])
def test_images_that_would_cost_too_long_to_read_are_refused_unread(client, size, monkeypatch):
    data = png_bytes(Image.new("L", size, 255))  # plain: a few kB however large
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    response = client.post("/predict", json={"image": data_url(data)})
    assert response.status_code == 413 and decoded == []
    assert f"received {size[0]}x{size[1]}" in response.get_json()["error"]
