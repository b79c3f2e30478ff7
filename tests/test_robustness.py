"""Robust and safe: every input gets a fitting JSON answer, headers, CORS, disk, logs, faults."""

from __future__ import annotations

import base64
import io
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib

import flaskapp
import kerasModel
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile
from support import ROOT, SEVEN, png_bytes

SEVEN_IMAGE = Image.open(io.BytesIO(SEVEN.png))


def data_url(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


def assert_json_answer(response) -> dict:
    """Any answer: JSON, never a 5xx, an error message or a prediction."""
    assert response.status_code < 500, response.data[:200]
    assert response.is_json, response.data[:200]
    body = response.get_json()
    assert ("error" in body) != ("digit" in body)
    if "error" in body:
        assert response.status_code >= 400 and body["error"]
    return body


# --- every image mode and format -----------------------------------------------------------


def seven_in_mode(mode: str) -> Image.Image:
    """The drawn seven (black ink on a transparent canvas) converted to `mode`."""
    on_white = Image.new("RGBA", SEVEN_IMAGE.size, "white")
    on_white.alpha_composite(SEVEN_IMAGE.convert("RGBA"))
    if mode == "I;16":
        return Image.fromarray(np.asarray(on_white.convert("L"), "<u2") * 257)  # mode I;16
    if mode in ("RGBA", "LA"):
        return SEVEN_IMAGE.convert(mode)
    return on_white.convert(mode)


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
    response = shipped_client.post("/predict", json={"image": data_url(buffer.getvalue(), "gif")})
    assert response.status_code == 200 and response.get_json()["digit"] == 7


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><path d="M4 4L24 24"/></svg>'


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"image": data_url(SVG, "svg+xml")}, 400, "not an image"),
        ({"image": data_url(b"just some text")}, 400, "not an image"),
        ({"image": data_url(SEVEN.png[: len(SEVEN.png) // 2])}, 400, "complete image"),
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


# --- decompression bombs -------------------------------------------------------------------


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


# --- property tests: whatever arrives, a JSON answer and never a 5xx -----------------------

HYPOTHESIS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["image", "imageBase64", "x"]) | st.text(max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


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


# --- security ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/", {}),
        ("GET", "/static/app.js", {}),
        ("GET", "/healthz", {}),
        ("GET", "/api/model", {}),
        ("GET", "/nowhere", {}),
        ("POST", "/predict", {"json": {"image": data_url(SEVEN.png)}}),
        ("POST", "/predict", {"json": {"image": 1}}),
        ("GET", "/predict", {}),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    for name, value in flaskapp.SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    response.close()  # a static file is streamed from an open file


def test_cors_is_off_by_default(client):
    response = client.post(
        "/predict", json={"image": data_url(SEVEN.png)}, headers={"Origin": "https://other.example"}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_answers_only_the_listed_origins(tiny_model_path):
    app = flaskapp.create_app(
        {
            "MODEL_PATH": str(tiny_model_path),
            "TRAIN_IF_MISSING": False,
            "CORS_ORIGINS": ["https://friend.example"],
        }
    )
    client = app.test_client()
    friend = {"Origin": "https://friend.example"}
    answer = client.post("/predict", json={"image": data_url(SEVEN.png)}, headers=friend)
    assert answer.headers["Access-Control-Allow-Origin"] == "https://friend.example"
    preflight = client.options(
        "/predict",
        headers={
            **friend,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://friend.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    stranger = client.post(
        "/predict", json={"image": data_url(SEVEN.png)}, headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert "Access-Control-Allow-Origin" not in client.get("/", headers=friend).headers


class DiskWrites:
    """Records files opened for writing while `recording` is set (an audit hook, PEP 578)."""

    recording = threading.Event()
    seen: list[str] = []
    installed = False

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if event == "open" and cls.recording.is_set():
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing:
                cls.seen.append(str(path))


@pytest.fixture
def disk_writes():
    if not DiskWrites.installed:  # audit hooks cannot be removed: one for the session
        sys.addaudithook(DiskWrites.hook)
        DiskWrites.installed = True
    DiskWrites.seen.clear()
    DiskWrites.recording.set()
    yield DiskWrites.seen
    DiskWrites.recording.clear()


def test_predict_writes_nothing_to_disk(shipped_client, disk_writes):
    for payload in (
        {"image": data_url(SEVEN.png)},
        {"image": data_url(png_bytes(seven_in_mode("CMYK"), "JPEG"))},
        {"image": data_url(b"not an image")},
        {"image": data_url(png_bytes(Image.new("L", (50, 50), 255)))},
    ):
        shipped_client.post("/predict", json=payload)
    assert disk_writes == []


def test_logs_hold_sizes_and_outcomes_never_what_the_user_sent(client, caplog):
    secret = base64.b64encode(SEVEN.png).decode()
    with caplog.at_level(logging.DEBUG):
        client.post("/predict", json={"image": "data:image/png;base64," + secret})
        client.post("/predict", json={"image": secret[:50] + "!!!"})
        client.post("/predict", data="imageBase64=" + secret[:80], content_type="text/plain")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "bytes" in logged  # the size and the outcome are logged ...
    for piece in (secret[:24], secret[24:48], secret[:50]):
        assert piece not in logged  # ... the drawing is not


def test_debug_mode_is_off_unless_asked_for(monkeypatch, tiny_model_path):
    calls = []

    class App:
        def run(self, **kwargs):
            calls.append(kwargs)

    monkeypatch.setattr(flaskapp, "create_app", lambda: App())
    flaskapp.main([])
    flaskapp.main(["--debug"])
    assert [c["debug"] for c in calls] == [False, True]


def test_the_app_itself_is_not_in_debug_mode(client):
    assert client.application.debug is False
    response = client.get("/nowhere")
    assert response.is_json and "Traceback" not in response.get_data(as_text=True)


# --- faults --------------------------------------------------------------------------------


def test_training_killed_with_sigkill_leaves_the_previous_model_intact(tmp_path, mnist_dir):
    model_path = tmp_path / "model.h5"
    previous = kerasModel.save_atomic(kerasModel.build_dense(), model_path).read_bytes()
    process = subprocess.Popen(
        [
            sys.executable,
            "FlaskApp/kerasModel.py",
            "train",
            "--arch",
            "dense",
            "--epochs",
            "50",
            "--limit",
            "20000",
            "--out",
            str(model_path),
            "--mnist-dir",
            str(mnist_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for line in process.stdout:  # kill it in the middle of an epoch
            if line.startswith("Epoch 2/"):
                break
        time.sleep(1.0)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    assert model_path.read_bytes() == previous
    kerasModel.load(model_path)  # and still loads


KILL_MID_SAVE = """
import sys, time
sys.path.insert(0, "FlaskApp")
import kerasModel
model = kerasModel.load(sys.argv[1])

def slow_save(self, path, *args, **kwargs):
    with open(path, "wb") as f:
        f.write(b"half a model")
        f.flush()
    print("saving", flush=True)
    time.sleep(60)

type(model).save = slow_save
kerasModel.save_atomic(model, sys.argv[1])
"""


def test_a_save_killed_with_sigkill_leaves_the_previous_model_intact(tmp_path):
    model_path = tmp_path / "model.h5"
    previous = kerasModel.save_atomic(kerasModel.build_dense(), model_path).read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-c", KILL_MID_SAVE, str(model_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "saving"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()
    assert model_path.read_bytes() == previous


def test_a_corrupt_mnist_file_fails_its_checksum_naming_the_file(tmp_path, mnist_dir):
    import gzip
    import shutil

    import mnist

    for name in mnist.FILES:
        shutil.copy(mnist_dir / f"{name}.gz", tmp_path / f"{name}.gz")
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(target, "wb") as f:
        f.write(b"\0\0\x08\x01" + b"\0" * 12)
    with pytest.raises(mnist.MNISTError) as error:
        mnist.load_mnist(tmp_path, download=False)
    assert str(target) in str(error.value) and "sha256 mismatch" in str(error.value)
