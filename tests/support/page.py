"""The page in Chromium: screens, the live server, drawing on the pad, what the page shows."""

from __future__ import annotations

import contextlib
import json
import threading

import numpy as np

from drawadigit.data import sketches
from drawadigit.data.sketches import (
    SKETCHES,
    encode,
)
from drawadigit.reading import preprocessing

from .drawings import canvas_set, data_url
from .servers import started_server

__all__ = [
    "DESKTOP",
    "LIVE_ENV",
    "MIDDLE",
    "NUMBER",
    "NUMBER_BOXES",
    "NUMBER_SKETCHES",
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

# The review page's credential (FLASK_REVIEW_TOKEN), a rate limit no browser test reaches, and
# no training: without the shipped model the server exits, saying so.
REVIEW_TOKEN = "browser-review-token"

LIVE_ENV = {
    "FLASK_REVIEW_TOKEN": REVIEW_TOKEN,
    "FLASK_FEEDBACK_RATE_LIMIT": "1000 per minute",
    "FLASK_TRAIN_IF_MISSING": "false",
}


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


# Run in every page before its own scripts: `window.testPad.asked` says whether the card has
# started reading (its `aria-busy` set) since the pad last changed (the page marks Undo, Redo
# and Clear afresh with aria-disabled on every change), for `settled_prediction` to wait on.
WATCH_ASKING = """
window.testPad = { asked: false };
new MutationObserver((records) => {
  for (const { target, attributeName, oldValue } of records) {
    if (attributeName === "aria-disabled" && ["undo", "redo", "clear"].includes(target.id)) {
      window.testPad.asked = false;
    } else if (attributeName === "aria-busy" && oldValue === null) {
      window.testPad.asked = true;
    }
  }
}).observe(document, {
  subtree: true,
  attributeFilter: ["aria-disabled", "aria-busy"],
  attributeOldValue: true,
});
"""

# Settled: the card was asked to read the pad as it is now, has its answer, and reads no more.
SETTLED = """() => {
  const card = document.querySelector(".result");
  const answered = !card.hasAttribute("aria-busy") && card.hasAttribute("data-reading");
  return window.testPad.asked && answered;
}"""


def open_page(browser, url: str, context_options: dict, **extra) -> Watched:
    """A fresh context and page on the app at `url`, loaded, watched as WATCH_ASKING says."""
    context = browser.new_context(**context_options, **extra)
    context.add_init_script(script=WATCH_ASKING)
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
    page.wait_for_function(SETTLED, timeout=10_000)  # the answer to the last change, shown
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
