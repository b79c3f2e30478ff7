"""What the tests share: where things are, a free port, and canvas-style drawings (MNIST digits
and pen strokes) as a browser would send them.

A page's `canvas.toDataURL()` gives a PNG of the whole canvas: often a transparent background,
any ink colour, the digit at any size and place, a thin or thick pen. `mnist_drawing` turns a
28x28 MNIST digit into such a PNG; pen strokes come from the package's own `sketches`, so the
tests can check that normalisation brings every one of them back to what the model was trained on.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import security
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage
from sketches import CANVASES, SKETCHES, STYLES, Drawing, encode, stroke_drawing

__all__ = [
    "HYPOTHESIS",
    "PROGRAMS",
    "ROOT",
    "SEVEN",
    "SEVEN_IMAGE",
    "SEVEN_URL",
    "SHIPPED_MODEL",
    "STROKES",
    "STYLES",
    "DiskWrites",
    "Drawing",
    "assert_json_answer",
    "assert_json_error",
    "canvas_set",
    "closed_within",
    "connect",
    "data_url",
    "fetch",
    "free_port",
    "healthy",
    "json_values",
    "raw",
    "seven_in_mode",
    "started_gunicorn",
    "mnist_drawing",
    "number_drawing",
    "png_bytes",
    "request",
    "running_server",
    "started_server",
    "stroke_drawing",
]

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = ROOT / "model.h5"
PROGRAMS = Path(__file__).resolve().parent / "programs"  # programs the tests run

PENS = ("thin", "normal", "bold")
# One common way of writing each digit, as strokes in a unit square.
STROKES = {
    digit: SKETCHES[(digit, variant)]
    for digit, variant in [
        (0, "oval"),
        (1, "flag"),
        (2, "curve"),
        (3, "round"),
        (4, "closed"),
        (5, "hooked"),
        (6, "curl"),
        (7, "plain"),
        (8, "loops"),
        (9, "straight"),
    ]
}


def mnist_drawing(
    digit: np.ndarray,
    label: int,
    rng: np.random.Generator,
    style: str | None = None,
    pen: str | None = None,
    fmt: str = "PNG",
) -> Drawing:
    """Redraw a 28x28 MNIST digit on a canvas, at a random size and place, with a random pen."""
    style = style or str(rng.choice(list(STYLES)))
    pen = pen or str(rng.choice(PENS))
    width, height = CANVASES[rng.integers(len(CANVASES))]
    rows = np.flatnonzero(digit.max(axis=1) > 40)
    cols = np.flatnonzero(digit.max(axis=0) > 40)
    crop = digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    share = rng.uniform(0.3, 0.9)  # the digit's height as a share of the canvas
    scale = share * min(width, height) / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    ink = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR), np.float32)
    ink /= 255.0
    # A pen leaves hard edges: sharpen the blur of the enlarged digit into strokes.
    ink = np.clip((ink - 0.3) * 3.0, 0.0, 1.0)
    radius = max(1, round(scale * 0.6))
    if pen == "thin":
        ink = ndimage.grey_erosion(ink, size=(radius, radius))
    elif pen == "bold":
        ink = ndimage.grey_dilation(ink, size=(2 * radius, 2 * radius))
    mask = np.zeros((height, width), np.float32)
    top = int(rng.integers(0, max(1, height - ink.shape[0])))
    left = int(rng.integers(0, max(1, width - ink.shape[1])))
    ink = ink[: height - top, : width - left]
    mask[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return Drawing(encode(mask, style, fmt), int(label), style, pen)


def canvas_set(images: np.ndarray, labels: np.ndarray, n: int, seed: int = 0) -> list[Drawing]:
    """The first n digits of a seeded shuffle, redrawn in every style and pen in turn."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))[:n]
    combos = [(s, p) for s in STYLES for p in PENS]
    return [
        mnist_drawing(images[i], labels[i], rng, *combos[k % len(combos)])
        for k, i in enumerate(order)
    ]


def data_url(png: bytes) -> str:
    """PNG bytes as the data URL a page posts."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def number_drawing(
    digits: list[tuple[int, str]],
    *,
    size: tuple[int, int] = (400, 200),
    gap: float = 0.4,
    slant: float = 0.0,
    height: float = 0.6,
    pen_width: float = 10.0,
    style: str = "transparent-black",
) -> Drawing:
    """Sketched digits (digit, variant) side by side, `gap` digit widths apart, leaning right by
    `slant` of their height, `height` of the canvas tall; `variant` holds the number."""
    width = 0.6  # of a digit's height
    strokes = []
    for i, (digit, variant) in enumerate(digits):
        left = i * width * (1 + gap)
        for stroke in SKETCHES[(digit, variant)]:
            strokes.append([(left + x * width + slant * (1 - y), y) for x, y in stroke])
    total = len(digits) * width * (1 + gap) - width * gap + slant
    across = height * size[1] / size[0] * total  # the number's width as a share of the canvas
    if across > 0.9:
        height, across = height * 0.9 / across, 0.9
    unit = [[(x / total, y) for x, y in stroke] for stroke in strokes]
    left, top = (1 - across) / 2, (1 - height) / 2
    number = "".join(str(digit) for digit, _ in digits)
    drawn = stroke_drawing(
        unit,
        0,
        size=size,
        box=(left, top, left + across, top + height),
        pen_width=pen_width,
        style=style,
    )
    return Drawing(drawn.png, 0, style, drawn.pen, number)


SEVEN = stroke_drawing(STROKES[7], 7)
SEVEN_URL = data_url(SEVEN.png)


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    """Encode a Pillow image."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url: str, body: dict | None = None) -> tuple[int, dict]:
    """GET or POST JSON; return status and decoded JSON body, errors included."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


@contextlib.contextmanager
def started_server(env: dict | None = None):
    """The app served by its own entry point, with the shipped model, on a free port.

    Yields the URL and the server process; `env` adds environment variables (DATABASE_URL).
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "FlaskApp/flaskapp.py", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        healthy(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=10)


@contextlib.contextmanager
def running_server(env: dict | None = None):
    """The URL of `started_server`."""
    with started_server(env) as (url, _):
        yield url


def fetch(url: str, body: bytes | None = None, timeout: float = 5) -> tuple[int, dict, bytes]:
    """One request (a POST of JSON when there is a body): status, headers and body, errors
    included."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def healthy(
    url: str,
    process: subprocess.Popen,
    within: float = 60,
    accept: Callable[[dict], bool] = lambda body: True,
    output: Callable[[], str] | None = None,
) -> dict:
    """The first answer of `url`/healthz that is a 200 whose body (JSON; {} for another kind)
    `accept` takes; the test fails when `process` exits first (with `output`, by default its
    stdout) or `within` seconds pass."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            shown = output() if output else process.stdout.read()
            pytest.fail(f"the server exited with {process.returncode}: {shown[-3000:]}")
        with contextlib.suppress(OSError):
            status, headers, body = fetch(url + "/healthz", timeout=2)
            answer = json.loads(body) if "json" in headers.get("Content-Type", "") else {}
            if status == 200 and accept(answer):
                return answer
        time.sleep(0.2)
    pytest.fail(f"{url}/healthz gave no such answer within {within:g} s")


@contextlib.contextmanager
def started_gunicorn(
    folder: Path, args: Sequence[str] = ("-c", "gunicorn.conf.py"), env: dict | None = None
):
    """Gunicorn with `args` (by default as `make run` starts it) on a free port, never
    training, storing corrections in `folder`, `env` added to the environment; yields its URL,
    process and log file once /healthz answers 200, and stops it afterwards."""
    port = free_port()
    url, log = f"http://127.0.0.1:{port}", folder / f"gunicorn-{port}.log"
    database = f"sqlite:///{folder / f'feedback-{port}.sqlite3'}"
    environment = {"FLASK_TRAIN_IF_MISSING": "false", "FLASK_DATABASE_URL": database, **(env or {})}
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *args],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=out,
            stderr=out,
        )
    try:
        healthy(url, process, 90, output=log.read_text)
        yield url, process, log
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def connect(url: str) -> socket.socket:
    """A TCP connection to the server at `url`."""
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def closed_within(s: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `s` (reading whatever it sends), or None."""
    started = time.monotonic()
    s.settimeout(0.5)
    while time.monotonic() - started < seconds:
        try:
            if s.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    return None


def raw(url: str, data: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes; parse the status, headers and body of the answer."""
    with contextlib.closing(connect(url)) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
        answer = b""
        with contextlib.suppress(ConnectionResetError):  # closed with our excess unread
            while chunk := s.recv(65536):
                answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def assert_json_answer(response) -> dict:
    """Any answer: JSON, never a 5xx, an error message or a prediction."""
    assert response.status_code < 500, response.data[:200]
    assert response.is_json, response.data[:200]
    body = response.get_json()
    assert ("error" in body) != ("digit" in body)
    if "error" in body:
        assert response.status_code >= 400 and body["error"]
    return body


def assert_json_error(response, status: int) -> str:
    """A JSON error with the status and the security headers; its message."""
    assert response.status_code == status, response.data[:300]
    assert response.is_json, response.data[:300]
    for name, value in security.SECURITY_HEADERS.items():
        assert response.headers[name] == value
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]
    return body["error"]


SEVEN_IMAGE = Image.open(io.BytesIO(SEVEN.png))


def seven_in_mode(mode: str) -> Image.Image:
    """The drawn seven (black ink on a transparent canvas) converted to `mode`."""
    on_white = Image.new("RGBA", SEVEN_IMAGE.size, "white")
    on_white.alpha_composite(SEVEN_IMAGE.convert("RGBA"))
    if mode == "I;16":
        return Image.fromarray(np.asarray(on_white.convert("L"), "<u2") * 257)  # mode I;16
    if mode in ("RGBA", "LA"):
        return SEVEN_IMAGE.convert(mode)
    return on_white.convert(mode)


# Property tests: whatever arrives, a JSON answer and never a 5xx.
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
