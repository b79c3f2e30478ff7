"""A number on the page: looked into digit by digit (its chips), and corrected digit by digit
(a chip picked, then the digit it should be) or whole (typed, then Send); held a few seconds
like a digit's correction, sent as one digit per digit read, and stored digit by digit."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support import NUMBER, draw_number, settled_prediction, wait_for_text

CHIPS = "#digit-chips button.chip"


def send_now(page):
    """Send the held correction at once (as on `pagehide`): the server's response."""
    with page.expect_response("**/api/feedback") as answer:
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    return answer.value


def stored_digits(live_database: str, ids: list[str]) -> list[tuple]:
    """(label, predicted, number) of each record committed for `ids`, read back directly."""
    engine = sa.create_engine(live_database)
    query = sa.text("SELECT public_id, label, predicted, number, box FROM feedback")
    with engine.connect() as connection:
        rows = {r.public_id: r for r in connection.execute(query)}
    engine.dispose()
    return [(rows[i].label, rows[i].predicted, rows[i].number) for i in ids]


def test_a_number_is_corrected_digit_by_digit(desktop, live_database):
    page = desktop.page
    draw_number(page)
    assert settled_prediction(page) == NUMBER
    assert page.locator("#correction-row").is_visible()
    assert (
        page.locator("#correction-prompt").text_content()
        == "Wrong? Pick a digit, then tap the right one"
    )
    assert page.locator("#number-input").input_value() == NUMBER
    assert page.get_by_role("button", name="Not a digit").is_hidden()

    page.get_by_role("button", name="I drew a 7").click()  # which digit? it says so
    assert page.locator("#correction-status").text_content() == (
        "Pick the digit to correct above first, then tap what it should be."
    )
    page.locator(CHIPS).nth(3).click()  # the last digit: its bars and its 28x28 show
    page.wait_for_function("() => document.querySelector('#model-input').dataset.filled")
    page.get_by_role("button", name="I drew a 7").click()
    assert page.locator("#number-input").input_value() == "2027"
    assert page.locator("#correction-status").text_content() == "Sending 2027 in a few seconds."
    response = send_now(page)
    assert response.status == 201
    assert response.request.post_data_json["digits"] == [2, 0, 2, 7]
    assert "label" not in response.request.post_data_json
    wait_for_text(
        page, "#correction-status", "Thanks — saved as 2027 for review and future training."
    )
    stored = stored_digits(live_database, response.json()["ids"])
    assert stored == [(2, 2, "2027"), (0, 0, "2027"), (2, 2, "2027"), (7, 6, "2027")]


def test_a_number_is_corrected_whole_by_typing_it(desktop, live_database):
    page = desktop.page
    predictions = []
    page.on("request", lambda r: predictions.append(r) if r.url.endswith("/predict") else None)
    draw_number(page)
    assert settled_prediction(page) == NUMBER
    field = page.get_by_label("The number you drew")
    field.fill("202")
    page.get_by_role("button", name="Send").click()
    assert page.locator("#correction-status").text_content() == (
        "Type 4 digits, one for each digit read."
    )
    asked = len(predictions)
    field.fill("1026")
    field.press("Enter")  # sends the number; predicts nothing
    assert page.locator("#correction-status").text_content() == "Sending 1026 in a few seconds."
    page.locator("#correction-undo").click()  # taken back: the reading is back in the field
    assert field.input_value() == NUMBER
    assert page.evaluate("document.activeElement.id") == "number-input"
    field.fill("1026")
    field.press("Enter")
    response = send_now(page)
    assert response.status == 201 and response.json()["number"] == "1026"
    assert len(predictions) == asked
    stored = stored_digits(live_database, response.json()["ids"])
    assert [label for label, _, _ in stored] == [1, 0, 2, 6]
    assert page.evaluate("document.activeElement.id") == "number-input"  # focus kept
