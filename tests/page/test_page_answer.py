"""What the page answers: the bars and the model's input, a hedge when the model is unsure, a
refusal said plainly, a clear message for every state of the server (training, unreachable,
offline, an error, an answer it cannot read), and one live region that says only settled answers.
"""

from __future__ import annotations

import contextlib

import pytest

from drawadigit.data import sketches
from tests.support import (
    DESKTOP,
    REFUSAL,
    bar_probabilities,
    canvas_points,
    checked_page,
    draw_with_mouse,
    fulfil,
    settled_prediction,
    wait_for_text,
)

# The pixels of the model's 28x28 input that are lit.
LIT = """() => {
    const c = document.querySelector('#model-input');
    const data = c.getContext('2d').getImageData(0, 0, 28, 28).data;
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 128) lit += 1;
    return lit;
}"""
LIVE = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]'
# Every change to a live region, as (region, its text), counted by a MutationObserver.
WATCH_LIVE = """
(live) => {
  window.liveUpdates = [];
  new MutationObserver((records) => {
    const regions = new Set(records.map((r) => {
      const node = r.target.nodeType === Node.ELEMENT_NODE ? r.target : r.target.parentElement;
      return node && node.closest(live);
    }).filter(Boolean));
    for (const region of regions) window.liveUpdates.push([region.id, region.textContent]);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}
"""


def answer(digit: int, probs: list[float], kind: str, number: str, digits: list, **more) -> dict:
    """A /predict answer of `kind` whose whole drawing reads as `digit`, with its probability."""
    return {
        "digit": digit,
        "confidence": probs[digit],
        "probabilities": probs,
        "reading": kind,
        "number": number,
        "digits": digits,
        **more,
    }


@contextlib.contextmanager
def answered_by(browser, live_url, handler, *, tolerated: str = ""):
    """The checked desktop page, with /predict answered by `handler` instead of the server."""
    with checked_page(browser, live_url, DESKTOP, tolerated=tolerated) as watched:
        watched.page.route("**/predict", handler)
        yield watched.page


def test_probabilities_and_the_model_input_preview_render(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(3, "round")])
    assert settled_prediction(page) == "3"
    bars = page.locator("#probabilities > li")
    assert bars.count() == 10
    probs = bar_probabilities(page)
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
    assert 30 < page.evaluate(LIT) < 400  # the digit's strokes, white on black, as the model saw
    assert page.locator("#model-info").is_hidden()  # figures for whoever opens the details
    page.get_by_text("About the model").click()
    assert "A neural network (cnn)" in page.locator("#model-info").text_content()


def test_nothing_drawn_says_so_without_asking_the_server(desktop):
    page = desktop.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.url.endswith("/predict") else None)
    page.locator("#predict").click()
    assert page.locator("#status").text_content() == "Draw a digit first"
    assert requests == []


STATES = [
    pytest.param(
        lambda route: route.abort(),
        "Can't reach the server; check your connection.",
        "error",
        id="unreachable",
    ),
    pytest.param(
        fulfil(503, {"error": "still training", "progress": {"epoch": 3, "epochs": 12}}),
        "Model is training… (epoch 3 of 12)",
        "busy",
        id="training",
    ),
    pytest.param(
        fulfil(413, {"error": "Expected an image of at most 4 MB."}),
        "That drawing is too big to read; clear some of it and try again.",
        "error",
        id="413",
    ),
    pytest.param(
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "15"},
            json={"error": "Expected at most 20 per 1 minute requests; received more."},
        ),
        "Too many drawings read from here for now; try again in 15 s.",
        "error",
        id="429",
    ),
    pytest.param(
        fulfil(400, {"error": "Expected field 'image'; received fields []."}),
        "This page sent something the server could not read; reload the page and try again.",
        "error",
        id="400",
    ),
    pytest.param(
        fulfil(500, {"error": "Internal error while handling the request; it has been logged."}),
        "Something went wrong on the server; please try again.",
        "error",
        id="500",
    ),
    pytest.param(
        fulfil(200, {"unexpected": True}),
        "The server sent an answer this page does not understand.",
        "error",
        id="malformed",
    ),
    pytest.param(
        # A number without its digits.
        fulfil(200, answer(1, [0.0, 0.9, 0.1] + [0.0] * 7, "number", "12", [])),
        "The server sent an answer this page does not understand.",
        "error",
        id="malformed-number",
    ),
]


@pytest.mark.parametrize(("handler", "expected", "tone"), STATES)
def test_every_server_state_has_a_clear_message(browser, live_url, handler, expected, tone):
    # Chromium itself logs failed and 4xx/5xx fetches; the page adds no error of its own.
    with answered_by(browser, live_url, handler, tolerated="Failed to load resource") as page:
        draw_with_mouse(page, sketches.SKETCHES[(1, "stroke")])
        wait_for_text(page, "#status", expected)
        assert page.locator("#status").get_attribute("data-tone") == tone
        assert page.locator("#prediction").text_content() == ""


def test_an_unsure_answer_is_hedged_not_asserted(browser, live_url):
    probs = [0.0, 0.0, 0.0, 0.0, 0.46, 0.0, 0.0, 0.0, 0.0, 0.54]
    digits = [{"digit": 9, "confidence": 0.54, "box": [8, 8, 60, 120]}]
    body = answer(9, probs, "digit", "9", digits, model_input="")
    with answered_by(browser, live_url, fulfil(200, body)) as page:
        draw_with_mouse(page, sketches.SKETCHES[(9, "straight")])
        wait_for_text(page, "#prediction", "9")
        assert page.locator("#status").text_content() == "Not sure: a 9, or maybe a 4?"
        assert "not sure" in page.locator("#confidence").text_content()
        assert "is-unsure" in page.locator(".result").get_attribute("class")


@pytest.mark.parametrize(
    ("reason", "message"),
    [("too_small", "Too small to read — draw bigger"), ("not_a_digit", REFUSAL)],
)
def test_a_refusal_shows_no_digit_and_no_hedge(browser, live_url, reason, message):
    # The whole drawing read as one digit is an unsure 4 or 9; a refusal must not show it.
    probs = [0.0, 0.0, 0.0, 0.0, 0.51, 0.0, 0.0, 0.0, 0.0, 0.49]
    body = answer(4, probs, "not_a_digit", "", [], model_input="", not_a_digit=0.93, reason=reason)
    with answered_by(browser, live_url, fulfil(200, body)) as page:
        draw_with_mouse(page, sketches.SKETCHES[(4, "open")])
        assert settled_prediction(page) == ""
        assert page.locator("#status").text_content() == message
        assert page.locator("#status").get_attribute("data-tone") == "warn"
        assert page.locator("#confidence").text_content() == message
        assert "is-unsure" not in page.locator(".result").get_attribute("class")
        assert bar_probabilities(page) == [0.0] * 10
        assert page.locator("#model-input").get_attribute("data-filled") is None
        assert page.locator("#correction-row").is_visible()  # "Not a digit" confirms


def draw_a_four_with_two_pauses(page) -> None:
    """A two-stroke 4: the pen rests mid-stroke once, and is up a while between the strokes."""
    first, second = canvas_points(page, sketches.SKETCHES[(4, "open")])
    page.mouse.move(*first[0])
    page.mouse.down()
    page.mouse.move(*first[1], steps=4)
    page.wait_for_timeout(600)  # pause one: the pen rests mid-stroke, and live answers come
    for point in first[2:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()
    page.wait_for_timeout(600)  # pause two: the pen is up
    page.mouse.move(*second[0])
    page.mouse.down()
    for point in second[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def test_one_live_region_says_only_settled_answers(desktop):
    page = desktop.page
    assert page.locator(LIVE).count() == 1
    page.evaluate(WATCH_LIVE, LIVE)
    page.locator("#pen-size").fill("20")  # a slider moving says nothing
    page.locator("#pen-size").press("ArrowLeft")
    assert page.evaluate("window.liveUpdates") == []

    draw_a_four_with_two_pauses(page)
    assert settled_prediction(page) == "4"
    page.wait_for_timeout(300)  # no event to wait for: the check is that no update comes late
    updates = page.evaluate("window.liveUpdates")
    print(f"\nlive-region updates for a two-stroke 4 with two pauses: {updates}")
    assert 1 <= len(updates) <= 2, updates
    assert updates[-1] == ["announcer", "Looks like a 4"]
    assert not any("Thinking" in text or "Reading" in text for _, text in updates)

    page.locator("#clear").click()  # a cleared answer is silent
    assert page.locator("#announcer").text_content() == ""
    assert page.locator("#answer-label").text_content() == ""


def test_offline_says_so_and_answers_once_back_online(browser, live_url):
    tolerated = "net::ERR_INTERNET_DISCONNECTED"
    with checked_page(browser, live_url, DESKTOP, tolerated=tolerated) as watched:
        page = watched.page
        page.context.set_offline(True)
        draw_with_mouse(page, sketches.SKETCHES[(5, "hooked")])
        offline = "You're offline — will retry when you're back"
        wait_for_text(page, "#status", offline)
        assert page.locator("#announcer").text_content() == offline
        page.context.set_offline(False)
        assert settled_prediction(page) == "5"
