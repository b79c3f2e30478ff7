"""The page in a real browser: Playwright driving Debian's Chromium against the real server.

Digits are drawn with mouse moves and touch events from the project's own pen strokes
(`sketches.SKETCHES`, every way of writing every digit), at desktop and phone sizes, large and
small, anywhere on the canvas; so are whole numbers, digit beside digit. Every test also checks
that the page asked no other host for anything and logged no console error. What the answer
card says is in test_page_answer.py, the controls in test_page_controls.py, corrections in
test_page_corrections.py, the layout in test_page_layout.py and the upload in test_page_upload.py.
"""

from __future__ import annotations

import pytest

from drawadigit.data import sketches
from tests.support import (
    NUMBER,
    NUMBER_BOXES,
    bar_probabilities,
    draw_number,
    draw_with_mouse,
    draw_with_touch,
    settled_prediction,
    seven_with_the_pen_down,
)

pytestmark = pytest.mark.browser  # every test drives Chromium, some through getfixturevalue

# Every digit once more at phone size, at a different size and place on the canvas each time.
PLACES = [
    (0.04, 0.04, 0.18, 0.3),  # small, top left
    (0.7, 0.62, 0.2, 0.32),  # small, bottom right
    (0.05, 0.02, 0.85, 0.96),  # as large as the canvas
    (0.55, 0.05, 0.3, 0.45),  # top right
    (0.1, 0.5, 0.25, 0.45),  # bottom left
]
# Every pixel of the pad, counted as red ink or as ink of another colour.
COUNT_RED = """() => {
    const c = document.querySelector('#canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let red = 0, other = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 250) continue;
        if (d[i] > 150 && d[i + 1] < 80 && d[i + 2] < 80) red += 1; else other += 1;
    }
    return [red, other];
}"""


@pytest.mark.parametrize("sketch", list(sketches.SKETCHES), ids=lambda k: f"{k[0]}-{k[1]}")
def test_mouse_drawn_digit_is_read_right(desktop, sketch):
    draw_with_mouse(desktop.page, sketches.SKETCHES[sketch])
    assert settled_prediction(desktop.page) == str(sketch[0])


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


def test_prediction_appears_while_drawing_without_a_click(desktop):
    page = desktop.page
    seven_with_the_pen_down(page)
    # The pen is still down, resting: the answer comes anyway.
    page.wait_for_function("() => document.querySelector('#prediction').textContent.trim() !== ''")
    assert page.locator("#prediction").text_content().strip() == "7"
    page.mouse.up()


def test_pen_colour_and_size_controls_draw_in_that_ink(desktop):
    page = desktop.page
    page.locator("#pen-colour").select_option(label="Red")
    page.locator("#pen-size").fill("24")
    draw_with_mouse(page, sketches.SKETCHES[(0, "oval")])
    assert settled_prediction(page) == "0"
    red = page.evaluate(COUNT_RED)
    assert red[0] > 1000 and red[1] == 0


def assert_a_box_over_each_digit(page) -> None:
    """Each digit of NUMBER is outlined over the pad where it was drawn, about its size."""
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


def assert_the_boxes_go_with_the_drawing(page) -> None:
    """The boxes belong to the drawing: the next stroke takes them away, and so does Clear."""
    overlay, outlines = page.locator("#boxes"), page.locator("#boxes rect.box")
    rect = page.locator("#canvas").bounding_box()
    page.mouse.move(rect["x"] + 0.5 * rect["width"], rect["y"] + 0.9 * rect["height"])
    page.mouse.down()
    assert overlay.get_attribute("data-boxes") == "0" and outlines.count() == 0
    page.mouse.up()
    page.keyboard.press("Escape")
    assert overlay.get_attribute("data-boxes") == "0" and outlines.count() == 0
    assert page.locator("#digit-chips").is_hidden()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_number_drawn_with_the_mouse_reads_as_that_number_with_a_box_per_digit(request, size):
    page = request.getfixturevalue(size).page
    draw_number(page)
    assert settled_prediction(page) == NUMBER
    assert page.locator(".result").get_attribute("data-reading") == "number"
    assert page.locator("#status").text_content() == f"Looks like {NUMBER}"
    chips = page.locator("#digit-chips > li")
    assert chips.count() == 4 and page.locator("#digit-chips").is_visible()
    for i, digit in enumerate(NUMBER):
        assert chips.nth(i).locator(".chip-digit").text_content() == digit
        assert chips.nth(i).locator(".chip-value").text_content().endswith("%")
        assert 0 < float(chips.nth(i).get_attribute("data-confidence")) <= 1
    # A number is offered for correction as a number (test_page_numbers.py), and no single
    # digit's bars or preview stand for it until its chip is picked (test_page_strokes.py).
    assert page.locator("#correction-row").is_visible()
    assert page.locator("#correction-row").get_attribute("data-mode") == "number"
    assert page.get_by_label("The number you drew").input_value() == NUMBER
    assert bar_probabilities(page) == [0.0] * 10
    assert page.locator("#model-input").get_attribute("data-filled") is None
    assert_a_box_over_each_digit(page)
    assert_the_boxes_go_with_the_drawing(page)
