"""Corrections from the page: "Wrong? Tap the digit you drew", offered once an answer has settled,
held a few seconds so it can be changed or taken back, then stored where the review page shows
it; a failed one says why and can be sent again; a scribble can be confirmed as no digit."""

from __future__ import annotations

import base64
import math

import numpy as np

from drawadigit.corrections.pictures import drawing_png
from drawadigit.corrections.store import CorrectionStore
from drawadigit.data import sketches
from drawadigit.reading import preprocessing
from tests.support import (
    DESKTOP,
    REFUSAL,
    REVIEW_TOKEN,
    bar_probabilities,
    checked_page,
    draw_with_mouse,
    fulfil,
    settled_prediction,
    seven_with_the_pen_down,
    wait_for_text,
)

HOLD_S = 5  # how long the page holds a correction before sending it


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


def stored(live_database: str, public_id: str) -> dict:
    """The correction the server committed, read back independently of it."""
    store = CorrectionStore(live_database)
    (record,) = [r for r in store.recent(500) if r["public_id"] == public_id]
    store.close()
    return record


def send_now(page) -> None:
    """Send a held correction at once, as the page does when it is left (`pagehide`)."""
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")


def sent_now(page):
    """Send the held correction at once: the server's response to it."""
    with page.expect_response("**/api/feedback") as answer:
        send_now(page)
    return answer.value


def thanks(page) -> str:
    """The correction row's status line, once it thanks the person."""
    page.wait_for_function(
        "() => document.querySelector('#correction-status').textContent.startsWith('Thanks')"
    )
    return page.locator("#correction-status").text_content()


def focused(page) -> str:
    """The focused element's accessible label, else its id ("" for the page itself)."""
    return page.evaluate(
        "() => document.activeElement.getAttribute('aria-label') || document.activeElement.id"
    )


def pressed(page, name: str) -> str:
    """The correction button `name`'s aria-pressed."""
    return page.get_by_role("button", name=name).get_attribute("aria-pressed")


def correct_a_seven_as_a_one(page):
    """Draw a 7, say it is a 1, and send that at once: the server's response."""
    assert page.locator("#correction-row").is_hidden()  # nothing to correct yet
    draw_with_mouse(page, sketches.SKETCHES[(7, "crossed")])
    assert settled_prediction(page) == "7"
    assert page.locator("#correction-prompt").text_content() == "Wrong? Tap the digit you drew"
    choices = page.locator("#correction-row button[data-label]")  # ten digits and "Not a digit"
    assert choices.count() == 11 and page.get_by_role("button", name="I drew a 1").is_enabled()
    page.get_by_role("button", name="I drew a 1").click()
    response = sent_now(page)
    sent = response.request.post_data_json
    assert response.status == 201
    assert sent["label"] == 1 and "predicted" not in sent  # the server reads the drawing itself
    assert response.json()["predicted"] == 7
    assert thanks(page) == "Thanks — saved as a 1 for review and future training."
    assert all(choices.nth(i).get_attribute("aria-disabled") == "true" for i in range(11))
    assert all(choices.nth(i).is_disabled() for i in range(11))
    assert pressed(page, "I drew a 1") == "true"
    assert focused(page) == "I drew a 1"  # the button tapped keeps focus once it is sent
    return response


def assert_stored_as_sent(live_database: str, response) -> None:
    """The server committed the correction, with its own reading and the ink it found."""
    store = CorrectionStore(live_database)  # what the server committed, read back independently
    record_id = response.json()["id"]
    (record,) = [r for r in store.recent(500) if r["public_id"] == record_id]
    assert (record["label"], record["predicted"]) == (1, 7)  # 7: the server's own reading
    assert record["model_version"].startswith("cnn-")
    assert record["probabilities"].index(max(record["probabilities"])) == 7
    png = base64.b64decode(response.request.post_data_json["image"].split(",", 1)[1])
    ink = preprocessing.ink(preprocessing.decode(png))
    assert store.image(record_id) == drawing_png(ink)  # the ink it found, re-encoded
    store.close()


def assert_reviewed_and_hidden(browser, live_url: str, live_database: str, record_id) -> None:
    """The review page shows the correction, with both thumbnails, and can hide it."""
    # A browser answers the Basic challenge with the token as password; the images follow.
    credentials = {"username": "reviewer", "password": REVIEW_TOKEN}
    with checked_page(browser, live_url, DESKTOP, http_credentials=credentials) as reviewer:
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


def test_a_correction_goes_from_the_page_to_the_database(desktop, browser, live_url, live_database):
    response = correct_a_seven_as_a_one(desktop.page)
    assert_stored_as_sent(live_database, response)
    assert desktop.page.request.get(live_url + "/feedback").status == 401  # private, no token
    assert_reviewed_and_hidden(browser, live_url, live_database, response.json()["id"])


def test_a_correction_is_offered_again_for_each_new_drawing_and_hidden_on_clear(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(4, "open")])
    assert settled_prediction(page) == "4"
    page.get_by_role("button", name="I drew a 4").click()
    sent_now(page)
    assert thanks(page) == "Thanks for confirming it is a 4."
    page.locator("#clear").click()
    assert page.locator("#correction-row").is_hidden()
    draw_with_mouse(page, sketches.SKETCHES[(2, "curve")])
    assert settled_prediction(page) == "2"
    assert page.locator("#correction-row").is_visible()
    assert page.locator("#correction-status").text_content() == ""
    assert pressed(page, "I drew a 4") == "false"


def test_a_failed_correction_says_why_and_can_be_sent_again(browser, live_url):
    tolerated = "Failed to load resource"
    with checked_page(browser, live_url, DESKTOP, tolerated=tolerated) as watched:
        page = watched.page
        message = "The corrections database is unavailable; please try again later."
        page.route("**/api/feedback", fulfil(503, {"error": message}))
        draw_with_mouse(page, sketches.SKETCHES[(3, "round")])
        assert settled_prediction(page) == "3"
        page.get_by_role("button", name="I drew an 8").click()
        send_now(page)
        wait_for_text(
            page,
            "#correction-status",
            "Not saved: corrections cannot be kept just now; try again in a minute.",
        )
        assert page.locator("#correction-status").get_attribute("data-tone") == "error"
        assert page.get_by_role("button", name="I drew an 8").is_enabled()
        page.unroute("**/api/feedback")
        page.get_by_role("button", name="I drew an 8").click()
        assert sent_now(page).status == 201


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
    response = sent_now(page)
    assert response.status == 201
    assert response.request.post_data_json["label"] == "not_a_digit"
    assert (response.json()["label"], response.json()["predicted"]) == ("not_a_digit",) * 2
    assert thanks(page) == "Thanks for confirming it is not a digit."
    record = stored(live_database, response.json()["id"])
    assert (record["label"], record["predicted"]) == (10, 10)  # the model's eleventh class


def test_a_digit_can_be_corrected_to_not_a_digit(desktop, live_database):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(4, "closed")])
    assert settled_prediction(page) == "4"
    assert page.locator("#boxes").get_attribute("data-boxes") == "1"  # a digit has its box too
    page.get_by_role("button", name="Not a digit").click()
    response = sent_now(page)
    assert response.status == 201
    assert response.request.post_data_json["label"] == "not_a_digit"
    assert (response.json()["label"], response.json()["predicted"]) == ("not_a_digit", 4)
    assert thanks(page) == "Thanks — saved as not a digit for review and future training."
    assert pressed(page, "Not a digit") == "true"
    assert pressed(page, "I drew a 4") == "false"
    record = stored(live_database, response.json()["id"])
    assert (record["label"], record["predicted"]) == (10, 4)


def test_the_correction_row_waits_for_the_pen_to_lift_and_for_the_answer(desktop):
    page = desktop.page
    seven_with_the_pen_down(page)
    wait_for_text(page, "#prediction", "7")
    assert page.locator("#correction-row").is_hidden()  # a drawing still in progress
    page.mouse.up()
    assert settled_prediction(page) == "7"
    assert page.locator("#correction-row").is_visible()

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
    assert page.locator("#correction-status").text_content() == "Sending a 1 in a few seconds."
    page.locator("#correction-undo").click()
    assert page.locator("#correction-status").text_content() == "Taken back: nothing was sent."
    assert pressed(page, "I drew a 1") == "false"
    page.wait_for_timeout(HOLD_S * 1000 + 500)  # past the hold: the check is that nothing is sent
    assert sent == []

    page.get_by_role("button", name="I drew a 1").click()
    page.get_by_role("button", name="I drew a 2").click()  # changed its mind
    page.wait_for_timeout(1000)  # the check is that nothing is sent meanwhile: no event to wait for
    assert sent == []
    assert pressed(page, "I drew a 2") == "true"
    with page.expect_response("**/api/feedback", timeout=(HOLD_S + 2) * 1000) as answer:
        pass
    assert answer.value.status == 201
    assert [r.post_data_json["label"] for r in sent] == [2]
    thanks(page)
    assert page.locator("#announcer").text_content() == (
        "Thanks — saved as a 2 for review and future training."
    )


def test_focus_stays_in_the_correction_row_when_it_is_sent_or_taken_back(desktop):
    page = desktop.page
    draw_with_mouse(page, sketches.SKETCHES[(7, "crossed")])
    assert settled_prediction(page) == "7"
    page.get_by_role("button", name="I drew a 1").focus()
    page.keyboard.press("Enter")
    page.locator("#correction-undo").focus()
    page.keyboard.press("Enter")  # taken back: Undo goes, focus goes to the choice undone
    assert focused(page) == "I drew a 1"
    page.keyboard.press("Enter")
    page.locator("#correction-undo").focus()
    sent_now(page)  # sent while focus is on Undo, which goes away
    thanks(page)
    assert focused(page) == "I drew a 1"
    page.keyboard.press("Tab")  # on through the row, not back at the top of the page
    assert focused(page) == "I drew a 2"
    page.keyboard.press("Control+z")  # the drawing changes: the row goes, focus to the pad
    assert page.locator("#correction-row").is_hidden()
    assert page.evaluate("document.activeElement.id") == "canvas"


# Every text the correction row's status line shows, in order.
WATCH_STATUS = """() => {
  window.statusTexts = [];
  const line = document.querySelector('#correction-status');
  new MutationObserver(() => window.statusTexts.push(line.textContent))
    .observe(line, { childList: true, characterData: true, subtree: true });
}"""


def test_a_rate_limited_correction_says_so_in_words_and_never_saved_first(browser, live_url):
    api_text = (
        "Expected at most 20 per 1 minute corrections from one address; received more. "
        "Try again in 15 s."
    )
    with checked_page(browser, live_url, DESKTOP, tolerated="Failed to load resource") as watched:
        page = watched.page
        page.route(
            "**/api/feedback",
            lambda route: route.fulfill(
                status=429, headers={"Retry-After": "15"}, json={"error": api_text}
            ),
        )
        draw_with_mouse(page, sketches.SKETCHES[(7, "crossed")])
        assert settled_prediction(page) == "7"
        page.evaluate(WATCH_STATUS)
        page.get_by_role("button", name="I drew a 1").click()
        send_now(page)
        expected = "Not saved: too many corrections from here for now; try again in 15 s."
        wait_for_text(page, "#correction-status", expected)
        assert page.locator("#announcer").text_content() == expected
        shown = page.evaluate("window.statusTexts")
        assert not any(text.startswith("Saved") for text in shown), shown
        assert api_text not in page.locator("body").inner_text()
