"""The page on every screen: what is in view, what scrolls, what is big enough, what contrasts.

Five screens from issue 16: a desktop (1280x800), a narrow window (640x800), a phone upright
(390x844, touch, DPR 3) and on its side (844x390, touch), and 200 % zoom on the desktop,
emulated as what the page then sees: a 640x400 CSS viewport at device pixel ratio 2 (zoom
halves the CSS viewport and doubles the pixels per CSS px; media queries follow the CSS size).
"""

from __future__ import annotations

import pytest

from drawadigit.data import sketches
from tests.support import (
    MIDDLE,
    NUMBER,
    checked_page,
    contrast,
    draw_number,
    draw_with_mouse,
    draw_with_touch,
    settled_prediction,
)

TOUCH = {"is_mobile": True, "has_touch": True}
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "narrow": {"viewport": {"width": 640, "height": 800}},
    "portrait": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, **TOUCH},
    "landscape": {"viewport": {"width": 844, "height": 390}, "device_scale_factor": 3, **TOUCH},
    "zoom-200": {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2},
}
FOUR = sketches.SKETCHES[(4, "open")]


@pytest.fixture
def screen(request, browser, live_url):
    """The page on the screen named by the test's parameter, checked afterwards."""
    with checked_page(browser, live_url, SCREENS[request.param]) as watched:
        yield watched


def draw(page, strokes, box=MIDDLE) -> None:
    """Draw with a finger on a touch screen, else with the mouse."""
    touch = page.evaluate("matchMedia('(pointer: coarse)').matches")
    (draw_with_touch if touch else draw_with_mouse)(page, strokes, box)


def rect(page, selector: str) -> dict:
    return page.evaluate(
        "(s) => document.querySelector(s).getBoundingClientRect().toJSON()", selector
    )


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("screen", list(SCREENS), indirect=True)
def test_the_pad_and_the_answer_are_in_view_without_scrolling(screen):
    page = screen.page
    draw(page, FOUR)
    assert settled_prediction(page) == "4"
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert page.evaluate("window.scrollY") == 0
    for selector in ("#canvas", "#prediction", "#confidence"):
        box = rect(page, selector)
        assert box["left"] >= 0 and box["top"] >= 0, selector
        assert box["right"] <= width and box["bottom"] <= height, (selector, box)
    assert no_sideways_scroll(page)


# What each screen of issue 25 must show, with the answer, without scrolling.
MUST_SHOW = {
    "desktop": [".model-input", "#probabilities"],  # the 28x28 and the bars
    "portrait": ["#correction-row"],  # the whole correction row, its status line too
    "zoom-200": ["#predict", "#status"],
}


def in_view(page, selector: str) -> bool:
    """Whether the element is wholly inside the viewport."""
    box, size = rect(page, selector), page.viewport_size
    return (
        box["top"] >= 0
        and box["left"] >= 0
        and (box["bottom"] <= size["height"] and box["right"] <= size["width"])
    )


@pytest.mark.parametrize("screen", list(MUST_SHOW), indirect=True)
def test_each_screen_shows_what_comes_next_after_an_answer(screen):
    page = screen.page
    draw(page, FOUR)
    assert settled_prediction(page) == "4"
    assert page.evaluate("window.scrollY") == 0
    name = next(n for n, options in SCREENS.items() if options["viewport"] == page.viewport_size)
    assert {s: rect(page, s) for s in MUST_SHOW[name] if not in_view(page, s)} == {}


# Words a visitor should not meet: the model's figures and keyboard shorthand.
JARGON = ["MNIST", "parameters", "neural network", "\u2318", "undoes", "redoes", "test set"]


def test_the_words_on_the_page_are_for_visitors(browser, live_url):
    with checked_page(browser, live_url, SCREENS["desktop"]) as watched:
        page = watched.page
        draw(page, FOUR)
        assert settled_prediction(page) == "4"
        page.wait_for_function("() => document.querySelector('#model-info').textContent")
        words = page.locator("body").inner_text()  # what is rendered: not a closed <details>
        assert [w for w in JARGON if w.lower() in words.lower()] == []
        page.get_by_text("About the model").click()  # the figures, for whoever asks
        assert "MNIST" in page.locator("#model-info").inner_text()


@pytest.mark.parametrize("width", [320, 360, 390, 480, 600, 640, 800])
def test_nothing_overflows_sideways_down_to_320_px(browser, live_url, width):
    screen = {"viewport": {"width": width, "height": 700}, **TOUCH}
    with checked_page(browser, live_url, screen) as watched:
        page = watched.page
        draw_number(page, draw_with_touch)  # the widest answer: a number with its chips
        assert settled_prediction(page) == NUMBER
        assert no_sideways_scroll(page)
        card, predict = rect(page, ".draw"), rect(page, "#predict")
        assert card["left"] <= predict["left"] and predict["right"] <= card["right"]


# The visible controls smaller than 44x44 CSS px, as "name WxH".
SMALL_CONTROLS = """() => [...document.querySelectorAll('button, select, input')]
    .filter((e) => e.checkVisibility({ visibilityProperty: true }))
    .map((e) => [e.id || e.textContent.trim(), e.getBoundingClientRect()])
    .filter(([, r]) => r.width < 44 || r.height < 44)
    .map(([name, r]) => `${name} ${r.width}x${r.height}`)"""


def swipe_up(page, x: float, y: float, distance: float = 200) -> None:
    """A finger pushing the page up from (x, y): touch events through the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 11):
        point = {"x": x, "y": y - distance * step / 10}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


@pytest.mark.parametrize("screen", ["portrait", "landscape"], indirect=True)
def test_a_finger_scrolls_the_page_outside_the_pad_but_never_on_it(screen):
    page = screen.page
    assert page.evaluate("getComputedStyle(document.querySelector('#canvas')).touchAction") == (
        "none"
    )
    pad = rect(page, "#canvas")
    swipe_up(page, pad["left"] + pad["width"] / 2, pad["top"] + pad["height"] / 2)
    assert settled_prediction(page) == "1"  # the pad keeps its touches: a stroke, no scroll
    assert page.evaluate("window.scrollY") == 0
    answer = rect(page, ".result")
    swipe_up(page, answer["left"] + answer["width"] / 2, answer["top"] + 20)
    page.wait_for_function("() => window.scrollY > 50")


def test_touch_targets_are_at_least_44_px_and_the_shortcuts_are_left_out(browser, live_url):
    with checked_page(browser, live_url, SCREENS["portrait"]) as watched:
        page = watched.page
        draw(page, FOUR)
        assert settled_prediction(page) == "4"
        page.get_by_role("button", name="I drew a 9").click()  # shows the correction's Undo too
        assert page.evaluate(SMALL_CONTROLS) == []
        assert page.locator(".shortcuts").is_hidden()
        page.locator("#correction-undo").click()  # nothing sent


def test_the_shortcuts_show_where_there_is_a_keyboard(browser, live_url):
    with checked_page(browser, live_url, SCREENS["desktop"]) as watched:
        assert watched.page.locator(".shortcuts").is_visible()


# Colours as the page computes them, each flattened onto what lies behind it.
COLOURS = """
() => {
  const parse = (c) => c.match(/[\\d.]+/g).map(Number);
  const style = (s) => getComputedStyle(document.querySelector(s));
  const resolve = (value) => {
    const probe = document.createElement('span');
    probe.style.color = value;
    document.body.append(probe);
    const colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  };
  const canvas = document.querySelector('#canvas');
  const inks = [...document.querySelectorAll('#pen-colour option')].map((o) =>
    [o.value, resolve(getComputedStyle(canvas).getPropertyValue(`--ink-${o.value}`))]);
  const bars = [...document.querySelectorAll('#probabilities li:not(.is-top) .fill')];
  return {
    pad: style('.pad').backgroundColor,
    card: style('.result').backgroundColor,
    surface: style('#pen-colour').backgroundColor,
    inks,
    edges: {
      pad: style('.pad').borderTopColor,
      select: style('#pen-colour').borderTopColor,
      secondary: style('#clear').borderTopColor,
      digit: style('.digit-choice').borderTopColor,
    },
    track: style('.bar').backgroundColor,
    bars: bars.map((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).opacity]),
  };
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_ink_edges_and_bars_contrast_at_least_3_to_1(browser, live_url, scheme):
    with checked_page(browser, live_url, SCREENS["desktop"], color_scheme=scheme) as watched:
        page = watched.page
        draw(page, FOUR)
        assert settled_prediction(page) == "4"
        colours = page.evaluate(COLOURS)
        ratios = {f"ink {name}": contrast(ink, colours["pad"]) for name, ink in colours["inks"]}
        for name, edge in colours["edges"].items():
            ratios[f"{name} edge"] = min(
                contrast(edge, colours["card"]), contrast(edge, colours["surface"])
            )
        for i, (fill, opacity) in enumerate(colours["bars"]):
            assert opacity == "1"
            ratios[f"bar {i}"] = min(
                contrast(fill, colours["track"]), contrast(fill, colours["card"])
            )
        print(f"\n{scheme}: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(ratios.items())))
        assert len(colours["inks"]) == 6 and len(colours["bars"]) == 9
        assert {k: v for k, v in ratios.items() if v < 3} == {}


LAID_OUT = [
    "#probabilities",
    ".model-input",
    "#correction-row",
    ".app-footer",
    "#draw-heading + .pad",
]


def positions(page) -> dict:
    return {s: rect(page, s)["top"] for s in LAID_OUT}


@pytest.mark.parametrize("screen", ["desktop", "portrait"], indirect=True)
def test_nothing_moves_when_an_answer_or_the_correction_row_appears(screen):
    page = screen.page
    empty = positions(page)
    assert page.locator(".placeholder").is_visible()  # words, not a grey skeleton
    draw(page, FOUR)
    assert settled_prediction(page) == "4"
    assert page.locator("#correction-row").is_visible() and page.locator(".placeholder").is_hidden()
    assert positions(page) == empty
    page.locator("#clear").click()
    draw_number(page, draw)
    assert settled_prediction(page) == NUMBER
    assert positions(page) == empty
