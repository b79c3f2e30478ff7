"""Live reading waits for a drawing to settle before it refuses: the first stroke of a 7 is no
digit yet, so a refusal shows only once the pen has been still a while (or on Predict), digits
at once; and the one live region still says one answer per drawing."""

from __future__ import annotations

import json

from tests.support import DESKTOP, REFUSAL, checked_page, draw_with_mouse, settled_prediction

PAUSE_MS = 1500  # the pen still this long before a live reading may refuse (app.js)
BAR = [[(0.1, 0.0), (0.9, 0.0)]]  # a 7's first stroke
STEM = [[(0.9, 0.0), (0.4, 1.0)]]  # and its second
REFUSED = {
    "digit": 1,
    "confidence": 0.4,
    "probabilities": [0.05, 0.4] + [0.0688] * 8,
    "reading": "not_a_digit",
    "number": "",
    "digits": [],
    "model_input": "",
    "not_a_digit": 0.9,
    "reason": "not_a_digit",
}
# When the pen last lifted, when the status line first said REFUSAL, and what the one live
# region said, each change, in order (performance.now() times).
WATCH = """(refusal) => {
  window.seen = { up: [], refused: null, clicked: null, said: [] };
  const canvas = document.querySelector('#canvas');
  canvas.addEventListener('pointerup', () => window.seen.up.push(performance.now()));
  document.querySelector('#predict').addEventListener(
    'click', () => { window.seen.clicked = performance.now(); });
  const status = document.querySelector('#status');
  new MutationObserver(() => {
    if (status.textContent === refusal && window.seen.refused === null) {
      window.seen.refused = performance.now();
    }
  }).observe(status, { childList: true, characterData: true, subtree: true });
  const announcer = document.querySelector('#announcer');
  new MutationObserver(() => window.seen.said.push(announcer.textContent))
    .observe(announcer, { childList: true, characterData: true, subtree: true });
}"""


def refuse_first(route_log: list):
    """A /predict handler: the first drawing refused, the later ones read by the server."""

    def handle(route):
        route_log.append(route.request.url)
        if len(route_log) == 1:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(REFUSED))
        else:
            route.continue_()

    return handle


def refuse_all(route):
    route.fulfill(status=200, content_type="application/json", body=json.dumps(REFUSED))


def bar_read_live(page, handler) -> None:
    """/predict answered by `handler`, the page watched (WATCH), and a 7's first stroke drawn
    and read live."""
    page.route("**/predict", handler)
    page.evaluate(WATCH, REFUSAL)
    with page.expect_response("**/predict"):
        draw_with_mouse(page, BAR)


def test_the_first_stroke_of_a_seven_is_not_refused_and_the_seven_is_said_once(browser, live_url):
    with checked_page(browser, live_url, DESKTOP) as watched:
        page = watched.page
        asked: list[str] = []
        bar_read_live(page, refuse_first(asked))  # refused, but the pen may come back
        draw_with_mouse(page, STEM)
        assert settled_prediction(page) == "7"
        seen = page.evaluate("window.seen")
        assert len(asked) >= 2 and seen["refused"] is None  # the refusal never showed
        assert [text for text in seen["said"] if text] == ["Looks like a 7"], seen["said"]


def test_a_refusal_shows_after_the_pen_has_been_still_a_while(browser, live_url):
    with checked_page(browser, live_url, DESKTOP) as watched:
        page = watched.page
        bar_read_live(page, refuse_all)
        assert page.locator(".result").get_attribute("data-reading") is None  # not yet
        assert settled_prediction(page) == ""
        seen = page.evaluate("window.seen")
        assert seen["refused"] - seen["up"][-1] >= PAUSE_MS - 50  # timer granularity
        assert [text for text in seen["said"] if text] == [REFUSAL]


def test_predict_refuses_at_once(browser, live_url):
    with checked_page(browser, live_url, DESKTOP) as watched:
        page = watched.page
        bar_read_live(page, refuse_all)
        with page.expect_response("**/predict"):
            page.locator("#predict").click()
        page.wait_for_function("() => window.seen.refused !== null")
        seen = page.evaluate("window.seen")
        # Pressed well within the pause, and answered at once, not at its end.
        assert seen["clicked"] - seen["up"][-1] < PAUSE_MS / 2
        assert 0 <= seen["refused"] - seen["clicked"] < PAUSE_MS / 2
