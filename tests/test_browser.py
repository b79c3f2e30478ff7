"""The page in a real browser: Playwright driving Debian's Chromium against the real server.

Digits are drawn with mouse moves and touch events from the project's own pen strokes
(`sketches.SKETCHES`, every way of writing every digit), at desktop and phone sizes, large and
small, anywhere on the canvas; so are whole numbers, digit beside digit, and a scribble that is
no digit at all. Every test also checks that the page asked no other host for anything and
logged no console error.
"""

from __future__ import annotations

import base64
import json
import math
import threading

import feedback
import numpy as np
import preprocessing
import pytest
import sketches
from feedback import FeedbackStore
from support import started_server

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
# The review page's credential (FLASK_REVIEW_TOKEN), and a rate limit no test here reaches.
REVIEW_TOKEN = "browser-review-token"
SERVER_ENV = {"FLASK_REVIEW_TOKEN": REVIEW_TOKEN, "FLASK_FEEDBACK_RATE_LIMIT": "1000 per minute"}


@pytest.fixture(scope="module")
def live_database(tmp_path_factory) -> str:
    """Where the module's server keeps people's corrections: an SQLite file of its own."""
    return f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'feedback.sqlite3'}"


def drain(stream) -> None:
    """Read a server's log to its end, so a long test never blocks it on a full pipe."""
    try:
        for _ in stream:
            pass
    except (OSError, ValueError):  # closed under us once the server has stopped
        pass


@pytest.fixture(scope="module")
def live_url(shipped_model, live_database):
    """The app served by its own entry point with the shipped model, for the whole module."""
    with started_server({"DATABASE_URL": live_database, **SERVER_ENV}) as (url, process):
        threading.Thread(target=drain, args=(process.stdout,), daemon=True).start()
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


def open_page(browser, live_url, context_options: dict, **extra) -> Watched:
    """A fresh context and page on the app, loaded."""
    context = browser.new_context(**context_options, **extra)
    watched = Watched(context.new_page(), live_url)
    watched.page.goto(live_url, wait_until="networkidle")
    return watched


def checked_page(browser, live_url, context_options: dict):
    """A page that, once its test is done, must have asked no other host and logged no error."""
    watched = open_page(browser, live_url, context_options)
    yield watched
    watched.page.context.close()
    assert watched.foreign == []
    assert watched.errors == []


@pytest.fixture
def desktop(browser, live_url):
    """The page at desktop size."""
    yield from checked_page(browser, live_url, DESKTOP)


@pytest.fixture
def phone(browser, live_url):
    """The page at phone size with a touch screen."""
    yield from checked_page(browser, live_url, PHONE)


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


def draw_with_mouse(page, strokes, box=MIDDLE) -> None:
    """Draw strokes with the mouse, as a person would."""
    for stroke in canvas_points(page, strokes, box):
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*point, steps=3)
        page.mouse.up()


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


def scribble(seed: int = 1, loops: int = 9, points: int = 240) -> list[list[tuple[float, float]]]:
    """A tangled scrawl in a unit square: one pen path circling round and round as it wanders."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, loops * 2 * math.pi, points)
    walk = np.cumsum(rng.normal(0, 1, (points, 2)), axis=0)
    centre = np.stack([np.convolve(c, np.ones(25) / 25, mode="same") for c in walk.T], axis=1)
    radius = (0.8 + 0.4 * np.sin(t / 3.1)) * np.ptp(centre, axis=0).max() / 4
    path = centre + np.stack([np.cos(t), np.sin(t)], axis=1) * radius[:, None]
    path = (path - path.min(axis=0)) / np.ptp(path, axis=0)
    return [[(float(x), float(y)) for x, y in path]]


def bar_probabilities(page) -> list[float]:
    """What the ten probability bars show."""
    bars = page.locator("#probabilities > li")
    return [float(bars.nth(i).get_attribute("data-probability")) for i in range(bars.count())]


def stored(live_database: str, public_id: str) -> dict:
    """The correction the server committed, read back independently of it."""
    store = FeedbackStore(live_database)
    (record,) = [r for r in store.recent(500) if r["public_id"] == public_id]
    store.close()
    return record


def send_now(page) -> None:
    """Send a held correction at once, as the page does when it is left (`pagehide`)."""
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")


def canvas_is_blank(page) -> bool:
    """True when no pixel of #canvas has any ink."""
    return page.evaluate(
        """() => {
            const c = document.querySelector('#canvas');
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < data.length; i += 4) if (data[i]) return false;
            return true;
        }"""
    )


@pytest.mark.parametrize("sketch", list(sketches.SKETCHES), ids=lambda k: f"{k[0]}-{k[1]}")
def test_mouse_drawn_digit_is_read_right(desktop, sketch):
    draw_with_mouse(desktop.page, sketches.SKETCHES[sketch])
    assert settled_prediction(desktop.page) == str(sketch[0])


# Every digit once more at phone size, at a different size and place on the canvas each time.
PLACES = [
    (0.04, 0.04, 0.18, 0.3),  # small, top left
    (0.7, 0.62, 0.2, 0.32),  # small, bottom right
    (0.05, 0.02, 0.85, 0.96),  # as large as the canvas
    (0.55, 0.05, 0.3, 0.45),  # top right
    (0.1, 0.5, 0.25, 0.45),  # bottom left
]


@pytest.mark.parametrize("digit", range(10))
def test_digits_of_any_size_and_place_are_read_right_on_a_phone(phone, digit):
    variant = [v for d, v in sketches.SKETCHES if d == digit][digit % 2 - 2]
    draw_with_mouse(phone.page, sketches.SKETCHES[(digit, variant)], PLACES[digit % len(PLACES)])
    assert settled_prediction(phone.page) == str(digit)


@pytest.mark.parametrize("digit", [2, 4, 7])
def test_touch_drawing_is_read_and_never_scrolls_the_page(phone, digit):
    page = phone.page
    page.evaluate("window.scrollTo(0, 40)")
    before = page.evaluate("window.scrollY")
    variant = next(v for d, v in sketches.SKETCHES if d == digit)
    draw_with_touch(page, sketches.SKETCHES[(digit, variant)])
    assert settled_prediction(page) == str(digit)
    assert page.evaluate("window.scrollY") == before


def seven_with_the_pen_down(page) -> None:
    """Draw a 7 with the mouse and leave the pen resting on the pad, its button still down."""
    (stroke,) = canvas_points(page, sketches.SKETCHES[(7, "plain")])
    page.mouse.move(*stroke[0])
    page.mouse.down()
    for point in stroke[1:]:
        page.mouse.move(*point, steps=3)


def test_prediction_appears_while_drawing_without_a_click(desktop):
    page = desktop.page
    seven_with_the_pen_down(page)
    # The pen is still down, resting: the answer comes anyway.
    page.wait_for_function("() => document.querySelector('#prediction').textContent.trim() !== ''")
    assert page.locator("#prediction").text_content().strip() == "7"
    page.mouse.up()


def test_probabilities_and_the_model_input_preview_render(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(3, "round")])
    assert settled_prediction(page) == "3"
    bars = page.locator("#probabilities > li")
    assert bars.count() == 10
    probs = [float(bars.nth(i).get_attribute("data-probability")) for i in range(10)]
    assert [bars.nth(i).get_attribute("data-digit") for i in range(10)] == list("0123456789")
    assert sum(probs) == pytest.approx(1.0, abs=1e-3)
    assert max(range(10), key=probs.__getitem__) == 3
    assert page.locator("#probabilities > li.is-top").get_attribute("data-digit") == "3"
    preview = page.locator("#model-input")
    assert preview.get_attribute("data-filled") == "true"
    size = page.evaluate(
        "() => { const c = document.querySelector('#model-input'); return [c.width, c.height]; }"
    )
    assert size == [28, 28]
    lit = page.evaluate(
        """() => {
            const c = document.querySelector('#model-input');
            const data = c.getContext('2d').getImageData(0, 0, 28, 28).data;
            let lit = 0;
            for (let i = 0; i < data.length; i += 4) if (data[i] > 128) lit += 1;
            return lit;
        }"""
    )
    assert 30 < lit < 400  # the digit's strokes, white on black, as the model saw them
    assert "Model: cnn" in page.locator("#model-info").text_content()


def test_undo_takes_back_the_last_stroke_by_keyboard_and_button(desktop):
    page = desktop.page
    one, plus = sketches.SKETCHES[(1, "stroke")], [[(0.0, 0.5), (1.0, 0.5)]]
    draw_with_mouse(page, one)
    assert settled_prediction(page) == "1"
    assert page.locator("#undo").is_enabled()
    draw_with_mouse(page, plus)  # a cross: no longer a one
    settled_prediction(page)
    page.keyboard.press("Control+z")
    assert settled_prediction(page) == "1"
    page.locator("#undo").click()
    assert canvas_is_blank(page)
    assert page.locator("#prediction").text_content() == ""
    assert page.locator("#status").text_content() == "Draw a digit or a number"
    assert page.locator("#undo").is_disabled() and page.locator("#clear").is_disabled()


def test_clear_empties_canvas_and_result_by_escape_and_button(desktop):
    page = desktop.page
    for clear in (lambda: page.keyboard.press("Escape"), lambda: page.locator("#clear").click()):
        draw_with_mouse(page, sketches.SKETCHES[(8, "loops")])
        assert settled_prediction(page) == "8"
        clear()
        assert canvas_is_blank(page)
        assert page.locator("#prediction").text_content() == ""
        assert page.locator("#model-input").get_attribute("data-filled") is None


def test_enter_and_the_predict_button_predict_too(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(5, "hooked")])
    assert settled_prediction(page) == "5"
    with page.expect_response("**/predict") as response:
        page.keyboard.press("Enter")
    assert response.value.status == 200
    with page.expect_response("**/predict") as response:
        page.locator("#predict").click()
    assert settled_prediction(page) == "5"


def test_pen_colour_and_size_controls_draw_in_that_ink(desktop):
    page = desktop.page
    page.locator("#pen-colour").select_option(label="Red")
    page.locator("#pen-size").fill("24")
    draw_with_mouse(page, sketches.SKETCHES[(0, "oval")])
    assert settled_prediction(page) == "0"
    red = page.evaluate(
        """() => {
            const c = document.querySelector('#canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let red = 0, other = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (d[i + 3] < 250) continue;
                if (d[i] > 150 && d[i + 1] < 80 && d[i + 2] < 80) red += 1; else other += 1;
            }
            return [red, other];
        }"""
    )
    assert red[0] > 1000 and red[1] == 0


def test_nothing_drawn_says_so_without_asking_the_server(desktop):
    page = desktop.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith("/predict") else None)
    page.locator("#predict").click()
    assert page.locator("#status").text_content() == "Draw a digit first"
    assert requests == []


def states_page(browser, live_url, handler) -> Watched:
    """The page with /predict answered by `handler` instead of the server."""
    watched = open_page(browser, live_url, DESKTOP)
    watched.page.route("**/predict", handler)
    return watched


def fulfil(status: int, body: dict):
    """A route handler answering with JSON."""
    return lambda route: route.fulfill(
        status=status, content_type="application/json", body=json.dumps(body)
    )


@pytest.mark.parametrize(
    ("handler", "expected", "tone"),
    [
        (lambda route: route.abort(), "Server unreachable", "error"),
        (
            fulfil(503, {"error": "still training", "progress": {"epoch": 3, "epochs": 12}}),
            "Model is training… (epoch 3 of 12)",
            "busy",
        ),
        (
            fulfil(413, {"error": "Expected an image of at most 4 MB."}),
            "Expected an image of at most 4 MB.",
            "error",
        ),
        (
            fulfil(200, {"unexpected": True}),
            "The server sent an answer this page does not understand.",
            "error",
        ),
        (
            fulfil(
                200,
                {
                    "digit": 1,
                    "confidence": 0.9,
                    "probabilities": [0.0, 0.9, 0.1] + [0.0] * 7,
                    "reading": "number",
                    "number": "12",
                    "digits": [],  # a number without its digits
                },
            ),
            "The server sent an answer this page does not understand.",
            "error",
        ),
    ],
    ids=["unreachable", "training", "4xx", "malformed", "malformed-number"],
)
def test_every_server_state_has_a_clear_message(browser, live_url, handler, expected, tone):
    watched = states_page(browser, live_url, handler)
    page = watched.page
    draw_with_mouse(page, sketches.SKETCHES[(1, "stroke")])
    page.wait_for_function(
        "(text) => document.querySelector('#status').textContent === text", arg=expected
    )
    assert page.locator("#status").get_attribute("data-tone") == tone
    assert page.locator("#prediction").text_content() == ""
    watched.page.context.close()
    assert watched.foreign == []
    # Chromium itself logs failed and 4xx/5xx fetches; the page adds no error of its own.
    assert all("Failed to load resource" in e for e in watched.errors), watched.errors


def test_an_unsure_answer_is_hedged_not_asserted(browser, live_url):
    probs = [0.0, 0.0, 0.0, 0.0, 0.46, 0.0, 0.0, 0.0, 0.0, 0.54]
    body = {
        "digit": 9,
        "confidence": 0.54,
        "probabilities": probs,
        "model_input": "",
        "reading": "digit",
        "number": "9",
        "digits": [{"digit": 9, "confidence": 0.54, "box": [8, 8, 60, 120]}],
    }
    watched = states_page(browser, live_url, fulfil(200, body))
    page = watched.page
    draw_with_mouse(page, sketches.SKETCHES[(9, "straight")])
    page.wait_for_function("() => document.querySelector('#prediction').textContent === '9'")
    assert page.locator("#status").text_content() == "Not sure: a 9, or maybe a 4?"
    assert "not sure" in page.locator("#confidence").text_content()
    assert "is-unsure" in page.locator(".result").get_attribute("class")
    watched.page.context.close()
    assert watched.foreign == [] and watched.errors == []


def test_page_is_accessible_by_its_labels(desktop):
    page = desktop.page
    for label in ("Pen size", "Ink"):
        assert page.get_by_label(label).count() == 1
    for name in ("Undo", "Clear", "Predict"):
        assert page.get_by_role("button", name=name).count() == 1
    assert page.locator("[aria-live]").count() >= 1
    assert page.locator("script:not([src])").count() == 0  # no inline scripts
    assert page.locator("[onclick], [onload], [oninput]").count() == 0


def test_a_correction_goes_from_the_page_to_the_database(desktop, browser, live_url, live_database):
    page = desktop.page
    assert page.locator("#feedback").is_hidden()  # nothing to correct yet
    draw_with_mouse(page, sketches.SKETCHES[(7, "crossed")])
    assert settled_prediction(page) == "7"
    assert page.locator("#feedback-prompt").text_content() == "Wrong? Tap the digit you drew"
    choices = page.locator("#feedback button[data-label]")  # ten digits and "Not a digit"
    assert choices.count() == 11 and page.get_by_role("button", name="I drew a 1").is_enabled()

    page.get_by_role("button", name="I drew a 1").click()
    with page.expect_response("**/api/feedback") as answer:
        send_now(page)
    response = answer.value
    sent = response.request.post_data_json
    assert response.status == 201
    assert sent["label"] == 1 and "predicted" not in sent  # the server reads the drawing itself
    assert response.json()["predicted"] == 7
    page.wait_for_function(
        "() => document.querySelector('#feedback-status').textContent.startsWith('Thanks')"
    )
    assert page.locator("#feedback-status").text_content() == (
        "Thanks — saved as a 1 for review and future training."
    )
    assert all(choices.nth(i).is_disabled() for i in range(11))
    assert page.get_by_role("button", name="I drew a 1").get_attribute("aria-pressed") == "true"

    store = FeedbackStore(live_database)  # what the server committed, read back independently
    record_id = response.json()["id"]
    (record,) = [r for r in store.recent(500) if r["public_id"] == record_id]
    assert (record["label"], record["predicted"]) == (1, 7)  # 7: the server's own reading
    assert record["model_version"].startswith("cnn-")
    assert record["probabilities"].index(max(record["probabilities"])) == 7
    png = base64.b64decode(sent["image"].split(",", 1)[1])
    ink = preprocessing.ink(preprocessing.decode(png))
    assert store.image(record_id) == feedback.drawing_png(ink)  # the ink it found, re-encoded
    store.close()

    assert page.request.get(live_url + "/feedback").status == 401  # private without the token
    # A browser answers the Basic challenge with the token as password; the images follow.
    credentials = {"username": "reviewer", "password": REVIEW_TOKEN}
    reviewer = open_page(browser, live_url, DESKTOP, http_credentials=credentials)
    page = reviewer.page
    page.goto(live_url + "/feedback")  # the review page shows it, with both thumbnails
    item = page.locator(f'li.correction[data-id="{record_id}"]')
    assert item.locator(".label").text_content() == "1"
    assert item.locator(".predicted").text_content() == "7"
    for thumbnail in ("img.drawing", "img.field"):
        image = item.locator(thumbnail)
        image.scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete", arg=image.element_handle())
        assert image.evaluate("(img) => img.naturalWidth") > 0
    with page.expect_navigation():
        item.get_by_role("button", name="Hide").click()
    hidden = page.locator(f'li.correction.is-hidden[data-id="{record_id}"]')
    assert hidden.get_by_role("button", name="Show").is_visible()
    assert stored(live_database, record_id)["hidden"] is True
    reviewer.page.context.close()
    assert reviewer.foreign == [] and reviewer.errors == []


def test_feedback_is_offered_again_for_each_new_drawing_and_hidden_on_clear(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(4, "open")])
    assert settled_prediction(page) == "4"
    page.get_by_role("button", name="I drew a 4").click()
    with page.expect_response("**/api/feedback"):
        send_now(page)
    page.wait_for_function(
        "() => document.querySelector('#feedback-status').textContent.startsWith('Thanks')"
    )
    assert page.locator("#feedback-status").text_content() == "Thanks for confirming it is a 4."
    page.locator("#clear").click()
    assert page.locator("#feedback").is_hidden()
    draw_with_mouse(page, sketches.SKETCHES[(2, "curve")])
    assert settled_prediction(page) == "2"
    assert page.locator("#feedback").is_visible()
    assert page.locator("#feedback-status").text_content() == ""
    assert page.get_by_role("button", name="I drew a 4").get_attribute("aria-pressed") == "false"


def test_a_failed_correction_says_why_and_can_be_sent_again(browser, live_url):
    watched = open_page(browser, live_url, DESKTOP)
    page = watched.page
    message = "The feedback database is unavailable; please try again later."
    page.route("**/api/feedback", fulfil(503, {"error": message}))
    draw_with_mouse(page, sketches.SKETCHES[(3, "round")])
    assert settled_prediction(page) == "3"
    page.get_by_role("button", name="I drew an 8").click()
    send_now(page)
    page.wait_for_function(
        "(text) => document.querySelector('#feedback-status').textContent === text",
        arg=f"Not saved: {message}",
    )
    assert page.locator("#feedback-status").get_attribute("data-tone") == "error"
    assert page.get_by_role("button", name="I drew an 8").is_enabled()
    page.unroute("**/api/feedback")
    page.get_by_role("button", name="I drew an 8").click()
    with page.expect_response("**/api/feedback") as answer:
        send_now(page)
    assert answer.value.status == 201
    watched.page.context.close()
    assert watched.foreign == []
    assert all("Failed to load resource" in e for e in watched.errors), watched.errors


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_number_drawn_with_the_mouse_reads_as_that_number_with_a_box_per_digit(request, size):
    watched = request.getfixturevalue(size)
    page = watched.page
    page.locator("#pen-size").fill("10")
    for sketch, box in zip(NUMBER_SKETCHES, NUMBER_BOXES, strict=True):
        draw_with_mouse(page, sketches.SKETCHES[sketch], box)
    assert settled_prediction(page) == NUMBER
    assert page.locator(".result").get_attribute("data-reading") == "number"
    assert page.locator("#status").text_content() == f"Looks like {NUMBER}"
    chips = page.locator("#digit-chips > li")
    assert chips.count() == 4 and page.locator("#digit-chips").is_visible()
    for i, digit in enumerate(NUMBER):
        assert chips.nth(i).locator(".chip-digit").text_content() == digit
        assert chips.nth(i).locator(".chip-value").text_content().endswith("%")
        assert 0 < float(chips.nth(i).get_attribute("data-confidence")) <= 1
    # One drawing, one label: corrections are not offered for a number, and no single digit's
    # bars or preview stand for it.
    assert page.locator("#feedback").is_hidden()
    assert bar_probabilities(page) == [0.0] * 10
    assert page.locator("#model-input").get_attribute("data-filled") is None

    overlay = page.locator("#boxes")
    assert overlay.get_attribute("data-boxes") == "4"
    outlines = overlay.locator("rect.box")
    assert outlines.count() == 4
    rect = page.locator("#canvas").bounding_box()
    for i, (left, top, width, height) in enumerate(NUMBER_BOXES):
        assert outlines.nth(i).get_attribute("data-digit") == NUMBER[i]
        drawn = outlines.nth(i).bounding_box()  # on screen: scaled from the image's pixels
        centre_x = (drawn["x"] + drawn["width"] / 2 - rect["x"]) / rect["width"]
        centre_y = (drawn["y"] + drawn["height"] / 2 - rect["y"]) / rect["height"]
        assert centre_x == pytest.approx(left + width / 2, abs=0.04)
        assert centre_y == pytest.approx(top + height / 2, abs=0.04)
        assert drawn["width"] < 0.25 * rect["width"]
        assert 0.3 * rect["height"] < drawn["height"] < 0.45 * rect["height"]

    # The boxes belong to that drawing: the next stroke takes them away, and so does Clear.
    page.mouse.move(rect["x"] + 0.5 * rect["width"], rect["y"] + 0.9 * rect["height"])
    page.mouse.down()
    assert overlay.get_attribute("data-boxes") == "0" and outlines.count() == 0
    page.mouse.up()
    page.keyboard.press("Escape")
    assert overlay.get_attribute("data-boxes") == "0" and outlines.count() == 0
    assert page.locator("#digit-chips").is_hidden()


def test_a_scribble_is_refused_plainly_and_can_be_confirmed_as_no_digit(desktop, live_database):
    page = desktop.page
    draw_with_mouse(page, scribble(), (0.15, 0.15, 0.7, 0.7))
    assert settled_prediction(page) == ""  # no digit in the big answer
    assert page.locator(".result").get_attribute("data-reading") == "not_a_digit"
    assert page.locator("#status").text_content() == REFUSAL
    assert page.locator("#confidence").text_content() == REFUSAL
    assert "is-unsure" not in page.locator(".result").get_attribute("class")
    assert bar_probabilities(page) == [0.0] * 10
    assert page.locator("#probabilities > li.is-top").count() == 0
    assert page.locator("#boxes").get_attribute("data-boxes") == "0"

    page.get_by_role("button", name="Not a digit").click()
    with page.expect_response("**/api/feedback") as answer:
        send_now(page)
    response = answer.value
    assert response.status == 201
    sent = response.request.post_data_json
    assert sent["label"] == "not_a_digit"
    assert (response.json()["label"], response.json()["predicted"]) == ("not_a_digit",) * 2
    page.wait_for_function(
        "() => document.querySelector('#feedback-status').textContent.startsWith('Thanks')"
    )
    assert page.locator("#feedback-status").text_content() == (
        "Thanks for confirming it is not a digit."
    )
    record = stored(live_database, response.json()["id"])
    assert (record["label"], record["predicted"]) == (10, 10)  # the model's eleventh class


def test_a_digit_can_be_corrected_to_not_a_digit(desktop, live_database):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(4, "closed")])
    assert settled_prediction(page) == "4"
    assert page.locator("#boxes").get_attribute("data-boxes") == "1"  # a digit has its box too
    button = page.get_by_role("button", name="Not a digit")
    button.click()
    with page.expect_response("**/api/feedback") as answer:
        send_now(page)
    response = answer.value
    assert response.status == 201
    sent = response.request.post_data_json
    assert sent["label"] == "not_a_digit"
    assert (response.json()["label"], response.json()["predicted"]) == ("not_a_digit", 4)
    page.wait_for_function(
        "() => document.querySelector('#feedback-status').textContent.startsWith('Thanks')"
    )
    assert page.locator("#feedback-status").text_content() == (
        "Thanks — saved as not a digit for review and future training."
    )
    assert button.get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="I drew a 4").get_attribute("aria-pressed") == "false"
    record = stored(live_database, response.json()["id"])
    assert (record["label"], record["predicted"]) == (10, 4)


@pytest.mark.parametrize(
    ("reason", "message"),
    [("too_small", "Too small to read — draw bigger"), ("not_a_digit", REFUSAL)],
)
def test_a_refusal_shows_no_digit_and_no_hedge(browser, live_url, reason, message):
    # The whole drawing read as one digit is an unsure 4 or 9; a refusal must not show it.
    probs = [0.0, 0.0, 0.0, 0.0, 0.51, 0.0, 0.0, 0.0, 0.0, 0.49]
    body = {
        "digit": 4,
        "confidence": 0.51,
        "probabilities": probs,
        "model_input": "",
        "reading": "not_a_digit",
        "number": "",
        "digits": [],
        "not_a_digit": 0.93,
        "reason": reason,
    }
    watched = states_page(browser, live_url, fulfil(200, body))
    page = watched.page
    draw_with_mouse(page, sketches.SKETCHES[(4, "open")])
    assert settled_prediction(page) == ""
    assert page.locator("#status").text_content() == message
    assert page.locator("#status").get_attribute("data-tone") == "warn"
    assert page.locator("#confidence").text_content() == message
    assert "is-unsure" not in page.locator(".result").get_attribute("class")
    assert bar_probabilities(page) == [0.0] * 10
    assert page.locator("#model-input").get_attribute("data-filled") is None
    assert page.locator("#feedback").is_visible()  # "Not a digit" confirms it, a digit corrects it
    watched.page.context.close()
    assert watched.foreign == [] and watched.errors == []
