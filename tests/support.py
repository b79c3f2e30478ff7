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
import html
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import feedback
import numpy as np
import preprocessing
import pytest
import security
import sketches
from feedback import Correction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage
from sketches import (
    CANVASES,
    SKETCHES,
    STYLES,
    Drawing,
    crop_digit,
    encode,
    enlarge_digit,
    stroke_drawing,
)

__all__ = [
    "HYPOTHESIS",
    "PROGRAMS",
    "ROOT",
    "Row",
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
    crop = crop_digit(digit)
    share = rng.uniform(0.3, 0.9)  # the digit's height as a share of the canvas
    scale = share * min(width, height) / max(crop.shape)
    ink = enlarge_digit(crop, scale)
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


@dataclass(frozen=True)
class Row:
    """How `number_drawing` sets digits in a row: `gap` digit widths apart, leaning right by
    `slant` of their height, `height` of the canvas tall."""

    gap: float = 0.4
    slant: float = 0.0
    height: float = 0.6


def number_drawing(
    digits: list[tuple[int, str]],
    *,
    size: tuple[int, int] = (400, 200),
    row: Row = Row(),
    pen_width: float = 10.0,
    style: str = "transparent-black",
) -> Drawing:
    """Sketched digits (digit, variant) side by side, set as `row` says, the number's width at
    most 0.9 of the canvas; `variant` holds the number."""
    width = 0.6  # of a digit's height
    strokes = []
    for i, (digit, variant) in enumerate(digits):
        left = i * width * (1 + row.gap)
        for stroke in SKETCHES[(digit, variant)]:
            strokes.append([(left + x * width + row.slant * (1 - y), y) for x, y in stroke])
    total = len(digits) * width * (1 + row.gap) - width * row.gap + row.slant
    height = row.height
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


# --- corrections: the review token, apps that store them, and what they store ---------------

__all__ += [
    "BASIC",
    "BEARER",
    "CORRECTION",
    "HYPOTHESIS",
    "OPEN_LIMIT",
    "PROGRAMS",
    "TOKEN",
    "basic",
    "correction",
    "cross",
    "feedback_config",
    "form_token",
    "json_values",
    "listed_ids",
    "model_reading",
    "page_link",
    "post_correction",
    "review_page",
    "seven_as_served",
    "sqlite_url",
    "stored_total",
]

# Programs the tests run in processes of their own: [sys.executable, PROGRAMS / name, args...].
PROGRAMS = Path(__file__).resolve().parent / "programs"

TOKEN = "review-token-for-tests"
# Route tests post more corrections than the default rate limit allows; its own tests lower it.
OPEN_LIMIT = "100000 per minute"
CORRECTION = {"image": SEVEN_URL, "label": 7}


def basic(password: str, user: str = "anyone") -> dict:
    """An HTTP Basic Authorization header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


BEARER = {"Authorization": f"Bearer {TOKEN}"}
BASIC = basic(TOKEN)


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


def sqlite_url(folder: Path, name: str = "feedback.sqlite3") -> str:
    """The URL of an SQLite file in `folder`."""
    return f"sqlite:///{folder / name}"


def feedback_config(database_url: str, **extra) -> dict:
    """The configuration (for `make_app`) of an app storing corrections into `database_url`,
    reviewed with TOKEN, its rate limit out of the way."""
    return {
        "DATABASE_URL": database_url,
        "REVIEW_TOKEN": TOKEN,
        "FEEDBACK_RATE_LIMIT": OPEN_LIMIT,
        **extra,
    }


def correction(label: int = 7, predicted: int = 1, png: bytes = SEVEN.png) -> Correction:
    """A correction as the API builds one."""
    coverage = preprocessing.ink(preprocessing.decode(png))
    field = preprocessing.normalise_ink(coverage)
    probabilities = [0.05] * 10
    return Correction(label, predicted, probabilities, "cnn-0123456789abcdef", coverage, field)


def seven_as_served() -> bytes:
    """What the store keeps of SEVEN: its ink, black on white, as a bounded greyscale PNG."""
    return feedback.drawing_png(preprocessing.ink(preprocessing.decode(SEVEN.png)))


def cross(rng: np.random.Generator) -> bytes:
    """An X, drawn a little differently each time: a shape no MNIST digit has."""
    a, b = rng.uniform(-0.08, 0.08, 2)
    strokes = [[(0.0 + a, 0.0), (1.0, 1.0 + b)], [(1.0 - b, 0.0), (0.0, 1.0 + a)]]
    left, top = rng.uniform(0.1, 0.3, 2)
    box = (left, top, left + rng.uniform(0.4, 0.6), top + rng.uniform(0.5, 0.6))
    return stroke_drawing(strokes, 5, box=box, pen_width=float(rng.uniform(10, 18))).png


def model_reading(client, url: str = SEVEN_URL) -> int | str:
    """What /predict answers for a drawing, as the feedback API spells a label."""
    answer = client.post("/predict", json={"image": url}).get_json()
    return "not_a_digit" if answer["reading"] == "not_a_digit" else answer["digit"]


def post_correction(app, label: int = 7) -> str:
    """Post a correction of SEVEN; its public id."""
    response = app.test_client().post("/api/feedback", json={"image": SEVEN_URL, "label": label})
    assert response.status_code == 201
    return response.get_json()["id"]


def stored_total(app) -> int:
    """How many corrections the app's store holds, read directly."""
    return app.extensions["feedback_store"].count()


def review_page(client, url: str) -> str:
    """A review page's HTML, fetched through HTTP Basic."""
    response = client.get(url, headers=BASIC)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def listed_ids(page: str) -> list[str]:
    """The public ids of the records a review page lists, in order."""
    return re.findall(r'<li class="correction[^"]*" data-id="([^"]+)"', page)


def page_link(page: str, rel: str) -> str | None:
    """The href of the page's first link with `rel` (first, prev, next), or None."""
    found = re.search(rf'href="([^"]+)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def form_token(page: str) -> str:
    """The form token the review page carries."""
    return re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)


# --- The page in Chromium: screens, the live server, drawing on the pad, what the page shows ----

__all__ += [
    "DESKTOP",
    "MIDDLE",
    "NUMBER",
    "NUMBER_BOXES",
    "PHONE",
    "REFUSAL",
    "REVIEW_TOKEN",
    "Watched",
    "bar_probabilities",
    "canvas_points",
    "checked_page",
    "draw_number",
    "draw_with_mouse",
    "draw_with_touch",
    "fulfil",
    "live_server",
    "open_page",
    "page_drawing_set",
    "settled_prediction",
    "seven_with_the_pen_down",
    "wait_for_text",
]

DESKTOP = {"viewport": {"width": 1000, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
# A box on the canvas (left, top, width, height, as shares of the canvas) for a digit.
MIDDLE = (0.3, 0.15, 0.4, 0.7)
# 2026 across the canvas: each digit in a box of its own, with a gap a person would leave.
NUMBER = "2026"
NUMBER_SKETCHES = [(2, "curve"), (0, "oval"), (2, "curve"), (6, "curl")]
NUMBER_BOXES = [(0.06 + 0.235 * i, 0.33, 0.16, 0.34) for i in range(4)]
REFUSAL = "That doesn't look like a digit"
# The review page's credential (FLASK_REVIEW_TOKEN), and a rate limit no browser test reaches.
REVIEW_TOKEN = "browser-review-token"
LIVE_ENV = {"FLASK_REVIEW_TOKEN": REVIEW_TOKEN, "FLASK_FEEDBACK_RATE_LIMIT": "1000 per minute"}


def _drain(stream) -> None:
    """Read a server's log to its end, so a long test never blocks it on a full pipe."""
    try:
        for _ in stream:
            pass
    except (OSError, ValueError):  # closed under us once the server has stopped
        pass


@contextlib.contextmanager
def live_server(database_url: str):
    """The URL of `started_server` for the browser tests: corrections kept at `database_url`,
    the review page open to REVIEW_TOKEN, and the server's log read away as it comes."""
    with started_server({"DATABASE_URL": database_url, **LIVE_ENV}) as (url, process):
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
        yield url


class Watched:
    """A page with what it asked of other hosts and what it logged as errors."""

    def __init__(self, page, origin: str) -> None:
        self.page = page
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith((origin, "data:", "blob:")) else self.foreign.append(r.url)
            ),
        )
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


def open_page(browser, url: str, context_options: dict, **extra) -> Watched:
    """A fresh context and page on the app at `url`, loaded."""
    context = browser.new_context(**context_options, **extra)
    watched = Watched(context.new_page(), url)
    watched.page.goto(url, wait_until="networkidle")
    return watched


@contextlib.contextmanager
def checked_page(browser, url: str, context_options: dict, *, tolerated: str = "", **extra):
    """`open_page`, closed afterwards; a test that passed must leave a page that asked no other
    host and logged no error (but, with `tolerated`, Chromium's own lines that contain it)."""
    watched = open_page(browser, url, context_options, **extra)
    try:
        yield watched
    finally:
        watched.page.context.close()
    assert watched.foreign == []
    if tolerated:
        assert all(tolerated in e for e in watched.errors), watched.errors
    else:
        assert watched.errors == []


def canvas_points(page, strokes, box=MIDDLE) -> list[list[tuple[float, float]]]:
    """Strokes from a unit square to page coordinates inside `box` of the canvas."""
    rect = page.locator("#canvas").bounding_box()
    left, top, width, height = box
    return [
        [
            (
                rect["x"] + (left + x * width) * rect["width"],
                rect["y"] + (top + y * height) * rect["height"],
            )
            for x, y in stroke
        ]
        for stroke in strokes
    ]


def _mouse_stroke(page, stroke) -> None:
    """Put the mouse down at a stroke's first point and move it along the rest."""
    page.mouse.move(*stroke[0])
    page.mouse.down()
    for point in stroke[1:]:
        page.mouse.move(*point, steps=3)


def draw_with_mouse(page, strokes, box=MIDDLE) -> None:
    """Draw strokes with the mouse, as a person would."""
    for stroke in canvas_points(page, strokes, box):
        _mouse_stroke(page, stroke)
        page.mouse.up()


def seven_with_the_pen_down(page) -> None:
    """Draw a 7 with the mouse and leave the pen resting on the pad, its button still down."""
    (stroke,) = canvas_points(page, SKETCHES[(7, "plain")])
    _mouse_stroke(page, stroke)


def draw_with_touch(page, strokes, box=MIDDLE) -> None:
    """Draw strokes with a finger: touch events through the Chrome DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    for stroke in canvas_points(page, strokes, box):
        x, y = stroke[0]
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        for x, y in stroke[1:]:
            cdp.send(
                "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
            )
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def draw_number(page, draw=draw_with_mouse) -> None:
    """Draw NUMBER with a thinner pen, each digit in its box of NUMBER_BOXES, with `draw`."""
    page.locator("#pen-size").fill("10")
    for sketch, box in zip(NUMBER_SKETCHES, NUMBER_BOXES, strict=True):
        draw(page, SKETCHES[sketch], box)


def settled_prediction(page) -> str:
    """The answer shown once live prediction has answered for the finished drawing.

    A digit or a number; "" when the page says that what was drawn is no digit.
    """
    page.wait_for_timeout(350)  # past the 120 ms pause that triggers the last request
    page.wait_for_function(
        "() => !document.querySelector('.result').hasAttribute('aria-busy')"
        " && document.querySelector('.result').hasAttribute('data-reading')",
        timeout=10_000,
    )
    return page.locator("#prediction").text_content().strip()


def wait_for_text(page, selector: str, text: str) -> None:
    """Wait until the element `selector` says exactly `text`."""
    page.wait_for_function(
        "([selector, text]) => document.querySelector(selector).textContent === text",
        arg=[selector, text],
    )


def bar_probabilities(page) -> list[float]:
    """What the ten probability bars show."""
    bars = page.locator("#probabilities > li")
    return [float(bars.nth(i).get_attribute("data-probability")) for i in range(bars.count())]


def fulfil(status: int, body: dict):
    """A Playwright route handler answering with JSON."""
    return lambda route: route.fulfill(
        status=status, content_type="application/json", body=json.dumps(body)
    )


def _transparent(png: bytes) -> str:
    """The drawing's ink as a canvas holds it: ink colour over transparency, as a data URL."""
    coverage = preprocessing.ink(preprocessing.decode(png))
    return data_url(encode(coverage, "transparent-black"))


def page_drawing_set(images: np.ndarray, labels: np.ndarray) -> list[str]:
    """540 drawings as the pad's canvas would hold them: 264 sketches, 240 MNIST test digits
    and 36 numbers of 2 to 8 digits (PNG data URLs)."""
    pngs = [d.png for d in sketches.sketch_set(per_sketch=12, seed=16)]
    pngs += [d.png for d in canvas_set(images, labels, 240, seed=16)]
    pngs += [d.png for d in sketches.number_set(images, labels, 18, seed=16)]
    return [_transparent(png) for png in pngs]


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
