"""What the page says and does: one live region, undo and redo through Clear, where Esc clears,
where focus goes, corrections that can be changed or taken back, and being offline."""

from __future__ import annotations

import pytest
import sketches
from test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    canvas_is_blank,
    canvas_points,
    draw_with_mouse,
    live_database,
    live_url,
    open_page,
    settled_prediction,
    seven_with_the_pen_down,
)

FOUR = sketches.SKETCHES[(4, "open")]  # two strokes
HOLD_S = 5  # how long the page holds a correction before sending it

# Every change to a live region, as (region, its text), counted by a MutationObserver.
WATCH_LIVE = """
() => {
  const live = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]';
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


@pytest.fixture
def desktop(browser, live_url):  # noqa: F811
    watched = open_page(browser, live_url, DESKTOP)
    yield watched
    watched.page.context.close()
    assert watched.foreign == [] and watched.errors == []


def focused(page) -> str:
    """The focused element, as `tag#id`."""
    return page.evaluate("`${document.activeElement.localName}#${document.activeElement.id}`")


def test_one_live_region_says_only_settled_answers(desktop):
    page = desktop.page
    live = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]'
    assert page.locator(live).count() == 1
    page.evaluate(WATCH_LIVE)
    page.locator("#pen-size").fill("20")  # a slider moving says nothing
    page.locator("#pen-size").press("ArrowLeft")
    assert page.evaluate("window.liveUpdates") == []

    first, second = canvas_points(page, FOUR)
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
    assert settled_prediction(page) == "4"
    page.wait_for_timeout(300)
    updates = page.evaluate("window.liveUpdates")
    print(f"\nlive-region updates for a two-stroke 4 with two pauses: {updates}")
    assert 1 <= len(updates) <= 2, updates
    assert updates[-1] == ["announcer", "Looks like a 4"]
    assert not any("Thinking" in text or "Reading" in text for _, text in updates)

    page.locator("#clear").click()  # a cleared answer is silent
    assert page.locator("#announcer").text_content() == ""
    assert page.locator("#answer-label").text_content() == ""


def test_clear_can_be_undone_and_redone_from_the_keyboard(desktop):
    page = desktop.page
    one, cross = sketches.SKETCHES[(1, "stroke")], [[(0.0, 0.5), (1.0, 0.5)]]
    draw_with_mouse(page, one)
    assert settled_prediction(page) == "1"
    draw_with_mouse(page, cross)
    settled_prediction(page)
    page.locator("#clear").click()
    assert canvas_is_blank(page)
    assert focused(page) == "button#undo"  # Clear disabled itself; focus went to Undo, not body
    page.keyboard.press("Control+z")  # the drawing is back
    assert not canvas_is_blank(page) and page.locator("#clear").is_enabled()
    page.keyboard.press("Control+z")  # and the last stroke undone
    assert settled_prediction(page) == "1"
    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+y")  # redo: the cross, then the Clear
    assert canvas_is_blank(page) and page.locator("#prediction").text_content() == ""
    assert page.locator("#redo").is_disabled()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert settled_prediction(page) == "1"


def test_the_last_undo_leaves_focus_on_a_control_not_the_body(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(7, "plain")])
    assert settled_prediction(page) == "7"
    page.locator("#undo").focus()
    page.keyboard.press("Enter")
    assert canvas_is_blank(page) and page.locator("#undo").is_disabled()
    assert focused(page) == "button#redo"
    page.keyboard.press("Enter")  # Redo brings the 7 back, and disables itself
    assert settled_prediction(page) == "7"
    assert focused(page) == "button#undo"


def test_escape_clears_from_the_pad_or_the_page_but_never_from_a_menu(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(3, "round")])
    assert settled_prediction(page) == "3"
    for control in ("#pen-colour", "#pen-size"):
        page.locator(control).focus()
        page.keyboard.press("Escape")  # closing the ink menu must not wipe the drawing
        assert not canvas_is_blank(page), control
    page.locator("h1").click()  # focus back on the page itself
    assert focused(page) == "body#"
    page.keyboard.press("Escape")
    assert canvas_is_blank(page)


def test_the_correction_row_waits_for_the_pen_to_lift_and_for_the_answer(desktop):
    page = desktop.page
    seven_with_the_pen_down(page)
    page.wait_for_function("() => document.querySelector('#prediction').textContent === '7'")
    assert page.locator("#feedback").is_hidden()  # a drawing still in progress
    page.mouse.up()
    assert settled_prediction(page) == "7"
    assert page.locator("#feedback").is_visible()

    held = []  # a new prediction of the same drawing, held back by the test
    page.route("**/predict", lambda route: held.append(route))
    page.locator("#predict").click()
    page.wait_for_function("() => document.querySelector('.result').hasAttribute('aria-busy')")
    assert page.get_by_role("button", name="I drew a 1").is_disabled()
    held[0].continue_()
    assert settled_prediction(page) == "7"
    assert page.get_by_role("button", name="I drew a 1").is_enabled()


def test_a_correction_can_be_changed_or_taken_back_before_it_is_sent(desktop):
    page = desktop.page
    sent = []
    page.on("request", lambda r: sent.append(r) if r.url.endswith("/api/feedback") else None)
    draw_with_mouse(page, sketches.SKETCHES[(7, "crossed")])
    assert settled_prediction(page) == "7"

    page.get_by_role("button", name="I drew a 1").click()
    assert page.locator("#feedback-status").text_content() == "Saved as a 1"
    page.locator("#feedback-undo").click()
    assert page.locator("#feedback-status").text_content() == "Taken back: nothing was sent."
    assert page.get_by_role("button", name="I drew a 1").get_attribute("aria-pressed") == "false"
    page.wait_for_timeout(HOLD_S * 1000 + 500)
    assert sent == []

    page.get_by_role("button", name="I drew a 1").click()
    page.get_by_role("button", name="I drew a 2").click()  # changed its mind
    page.wait_for_timeout(1000)
    assert sent == []
    assert page.get_by_role("button", name="I drew a 2").get_attribute("aria-pressed") == "true"
    with page.expect_response("**/api/feedback", timeout=(HOLD_S + 2) * 1000) as answer:
        pass
    assert answer.value.status == 201
    assert [r.post_data_json["label"] for r in sent] == [2]
    page.wait_for_function(
        "() => document.querySelector('#feedback-status').textContent.startsWith('Thanks')"
    )
    assert page.locator("#announcer").text_content() == (
        "Thanks — saved as a 2 for review and future training."
    )


def test_offline_says_so_and_answers_once_back_online(browser, live_url):  # noqa: F811
    watched = open_page(browser, live_url, DESKTOP)
    page = watched.page
    page.context.set_offline(True)
    draw_with_mouse(page, sketches.SKETCHES[(5, "hooked")])
    offline = "You're offline — will retry when you're back"
    page.wait_for_function(
        "(t) => document.querySelector('#status').textContent === t", arg=offline
    )
    assert page.locator("#announcer").text_content() == offline
    page.context.set_offline(False)
    assert settled_prediction(page) == "5"
    page.context.close()
    assert watched.foreign == []
    assert all("net::ERR_INTERNET_DISCONNECTED" in e for e in watched.errors), watched.errors
