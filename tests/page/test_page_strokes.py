"""The page sends the pen strokes with every prediction and every correction, in the uploaded
image's own pixels with the time of each point; and, for a number, each digit's chip shows that
digit's ten bars and the 28x28 the model saw for it."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from drawadigit.corrections.store import CorrectionStore
from drawadigit.data import sketches
from tests.support import (
    MIDDLE,
    NUMBER,
    bar_probabilities,
    canvas_points,
    draw_number,
    draw_with_mouse,
    settled_prediction,
)

pytestmark = pytest.mark.browser  # every test drives Chromium, some through getfixturevalue

UPLOAD_SIDE = 200  # drawing.js: the pad's longer side, as uploaded
FOUR = sketches.SKETCHES[(4, "open")]  # two strokes
# The pixels of the model's 28x28 input that are lit.
LIT = """() => {
    const data = document.querySelector('#model-input').getContext('2d')
        .getImageData(0, 0, 28, 28).data;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 128) lit += 1;
    return lit;
}"""


def posted(page, path: str) -> list:
    """The POST requests the page makes to `path`, as they are made."""
    requests: list = []
    page.on(
        "request",
        lambda r: requests.append(r) if r.method == "POST" and r.url.endswith(path) else None,
    )
    return requests


def image_size(body: dict) -> tuple[int, int]:
    """The width and height of the image a request carried."""
    png = base64.b64decode(body["image"].split(",", 1)[1])
    return Image.open(io.BytesIO(png)).size


def pixels_per_css_pixel(page) -> float:
    """How many of the uploaded image's pixels one CSS pixel of the pad becomes."""
    side = page.evaluate(
        "() => { const c = document.querySelector('#canvas');"
        " return Math.max(c.clientWidth, c.clientHeight); }"
    )
    return UPLOAD_SIDE / side


def test_a_prediction_carries_the_strokes_in_the_uploaded_images_pixels(desktop):
    page = desktop.page
    requests = posted(page, "/predict")
    draw_with_mouse(page, FOUR)
    assert settled_prediction(page) == "4"
    body = requests[-1].post_data_json
    width, height = image_size(body)
    strokes = body["strokes"]
    assert len(strokes) == len(FOUR)
    points = np.array([p for stroke in strokes for p in stroke], dtype=float)
    assert points.shape[1] == 3  # [x, y, t]
    x, y, t = points.T
    # Within the image (the crop is the ink's box and a margin), its origin the crop's corner.
    assert x.min() >= 0 and y.min() >= 0 and x.max() <= width and y.max() <= height
    # Time in ms since the first point, never going back.
    assert t[0] == 0 and np.all(np.diff(t) >= 0) and t[-1] > 0
    # The box of the points is the box of the drawn shape, scaled as the image was.
    drawn = np.array([p for stroke in canvas_points(page, FOUR, MIDDLE) for p in stroke])
    scale = pixels_per_css_pixel(page)
    expected = (drawn.max(axis=0) - drawn.min(axis=0)) * scale
    sent = np.array([x.max() - x.min(), y.max() - y.min()])
    print(f"\nstrokes' box {sent.round(1)} px; the drawn shape's {expected.round(1)} px")
    np.testing.assert_allclose(sent, expected, atol=2.0)
    # ... and it sits in the image as the ink does: the pen's half-width inside its edges.
    pen = 14 * UPLOAD_SIDE / 280  # the default pen in the image's pixels, about
    for gap in (x.min(), y.min(), width - x.max(), height - y.max()):
        assert pen / 4 < gap < pen + 0.04 * UPLOAD_SIDE + 2  # the half-pen, plus the margin


def test_a_pen_dragged_past_the_pads_edge_sends_only_what_it_drew(desktop):
    page = desktop.page
    requests = posted(page, "/predict")
    pad = page.locator("#canvas").bounding_box()
    left, top = pad["x"] + 0.4 * pad["width"], pad["y"] + 0.3 * pad["height"]
    page.mouse.move(left, top)
    page.mouse.down()
    page.mouse.move(left, top + 0.4 * pad["height"], steps=5)
    page.mouse.move(pad["x"] - 150, top + 0.4 * pad["height"], steps=5)  # off the pad ...
    page.mouse.move(left + 0.1 * pad["width"], top + 0.5 * pad["height"], steps=5)  # ... and back
    page.mouse.up()
    settled_prediction(page)
    body = requests[-1].post_data_json
    width, height = image_size(body)
    assert len(body["strokes"]) == 2  # split where it left the pad
    for stroke in body["strokes"]:
        for x, y, _ in stroke:
            assert 0 <= x <= width and 0 <= y <= height


def test_a_correction_carries_its_strokes_and_the_store_keeps_them(desktop, live_database):
    page = desktop.page
    predictions = posted(page, "/predict")
    draw_with_mouse(page, FOUR)
    assert settled_prediction(page) == "4"
    page.get_by_role("button", name="I drew a 9").click()
    with page.expect_response("**/api/feedback") as answer:
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    response = answer.value
    assert response.status == 201
    sent = response.request.post_data_json["strokes"]
    assert sent == predictions[-1].post_data_json["strokes"]  # as the reading was asked
    store = CorrectionStore(live_database)
    kept = store.strokes(response.json()["id"])
    store.close()
    assert [len(s) for s in kept] == [len(s) for s in sent]
    for array, stroke in zip(kept, sent, strict=True):
        np.testing.assert_allclose(array, stroke, atol=0.005)


def pressed(page) -> list[str]:
    """Each chip's aria-pressed."""
    chips = page.locator("#digit-chips button.chip")
    return [chips.nth(i).get_attribute("aria-pressed") for i in range(chips.count())]


def assert_shows_digit(page, entry: dict) -> None:
    """The bars are this digit's of the reading, its digit on top, and its 28x28 is shown."""
    np.testing.assert_allclose(bar_probabilities(page), entry["probabilities"], atol=1e-6)
    top = page.locator("#probabilities > li.is-top").get_attribute("data-digit")
    assert top == str(entry["digit"])
    page.wait_for_function("() => document.querySelector('#model-input').dataset.filled === 'true'")
    assert 20 < page.evaluate(LIT) < 400


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_picking_a_digit_of_a_number_shows_its_bars_and_28x28(request, size):
    page = request.getfixturevalue(size).page
    requests = posted(page, "/predict")
    draw_number(page)
    assert settled_prediction(page) == NUMBER
    digits = requests[-1].response().json()["digits"]
    chips = page.locator("#digit-chips button.chip")
    assert chips.count() == len(NUMBER) and pressed(page) == ["false"] * 4
    assert bar_probabilities(page) == [0.0] * 10  # nothing picked: no digit's bars yet
    assert page.locator("#model-input").get_attribute("data-filled") is None
    hint = page.locator("#pick-hint")  # the empty bars say why they are empty
    assert hint.is_visible() and hint.text_content() == "Pick a digit above to see how sure it is."

    chips.nth(1).click()
    assert hint.is_hidden()
    assert pressed(page) == ["false", "true", "false", "false"]
    assert_shows_digit(page, digits[1])
    first = page.evaluate("() => document.querySelector('#model-input').toDataURL()")

    chips.nth(3).click()  # another digit: its own bars and its own 28x28
    assert pressed(page) == ["false", "false", "false", "true"]
    assert_shows_digit(page, digits[3])
    page.wait_for_function(
        "(first) => document.querySelector('#model-input').toDataURL() !== first", arg=first
    )

    chips.nth(3).click()  # the pressed one again: none picked
    assert pressed(page) == ["false"] * 4 and hint.is_visible()
    assert bar_probabilities(page) == [0.0] * 10
    assert page.locator("#model-input").get_attribute("data-filled") is None


def test_the_chips_are_buttons_a_keyboard_reaches_and_presses(desktop):
    page = desktop.page
    requests = posted(page, "/predict")
    draw_number(page)
    assert settled_prediction(page) == NUMBER
    digits = requests[-1].response().json()["digits"]
    page.locator("#digit-chips button.chip").first.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "false"
    page.keyboard.press("Space")
    assert pressed(page) == ["false", "true", "false", "false"]
    assert_shows_digit(page, digits[1])
    page.keyboard.press("Enter")  # a button's Enter presses it, and predicts nothing
    assert pressed(page) == ["false"] * 4
    assert page.get_by_role("button", name=f"Digit 3 of 4: {NUMBER[2]}").count() == 1
