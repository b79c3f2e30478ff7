"""The pad's controls: Undo, Redo (Clear is one more step), Clear, Predict, by button and by key;
where Esc clears and where focus goes; every control found by its label, no inline script."""

from __future__ import annotations

from drawadigit.data import sketches
from tests.support import draw_with_mouse, settled_prediction

ONE = sketches.SKETCHES[(1, "stroke")]
CROSS = [[(0.0, 0.5), (1.0, 0.5)]]  # drawn over the 1: no longer a one
# True when no pixel of #canvas has any ink.
BLANK = """() => {
    const c = document.querySelector('#canvas');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i]) return false;
    return true;
}"""


def canvas_is_blank(page) -> bool:
    """True when no pixel of #canvas has any ink."""
    return page.evaluate(BLANK)


def focused(page) -> str:
    """The focused element, as `tag#id`."""
    return page.evaluate("`${document.activeElement.localName}#${document.activeElement.id}`")


def can_do(page, selector: str) -> bool:
    """Whether the pad's button says it would do something (aria-disabled, so it keeps focus)."""
    return page.locator(selector).get_attribute("aria-disabled") == "false"


def draw_a_one_then_a_cross(page) -> None:
    """Two strokes to undo: a 1 (read as 1), then a cross over it, each answered."""
    draw_with_mouse(page, ONE)
    assert settled_prediction(page) == "1"
    draw_with_mouse(page, CROSS)
    settled_prediction(page)


def test_undo_takes_back_the_last_stroke_by_keyboard_and_button(desktop):
    page = desktop.page
    draw_with_mouse(page, ONE)
    assert settled_prediction(page) == "1"
    assert page.locator("#undo").is_enabled()
    draw_with_mouse(page, CROSS)
    settled_prediction(page)
    page.keyboard.press("Control+z")
    assert settled_prediction(page) == "1"
    page.locator("#undo").click()
    assert canvas_is_blank(page)
    assert page.locator("#prediction").text_content() == ""
    assert page.locator("#status").text_content() == "Draw a digit or a number"
    assert not can_do(page, "#undo") and not can_do(page, "#clear")
    assert page.locator("#undo").is_disabled()  # to Playwright too, as to a screen reader


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


def test_clear_can_be_undone_and_redone_from_the_keyboard(desktop):
    page = desktop.page
    draw_a_one_then_a_cross(page)
    page.locator("#clear").click()
    assert canvas_is_blank(page)
    assert focused(page) == "button#clear"  # Clear can do nothing more, and keeps focus
    page.keyboard.press("Control+z")  # the drawing is back
    assert not canvas_is_blank(page) and page.locator("#clear").is_enabled()
    page.keyboard.press("Control+z")  # and the last stroke undone
    assert settled_prediction(page) == "1"
    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+y")  # redo: the cross, then the Clear
    assert canvas_is_blank(page) and page.locator("#prediction").text_content() == ""
    assert not can_do(page, "#redo") and page.locator("#redo").is_disabled()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert settled_prediction(page) == "1"


def test_undo_and_redo_keep_focus_when_they_can_do_no_more(desktop):
    page = desktop.page
    draw_a_one_then_a_cross(page)
    page.locator("#undo").focus()
    for _ in range(3):  # two strokes to take back, and one Enter too many
        page.keyboard.press("Enter")
    assert canvas_is_blank(page) and not can_do(page, "#undo")
    assert focused(page) == "button#undo"  # not Redo, where the next Enter would redo
    assert can_do(page, "#redo")  # the extra Enter did nothing
    page.locator("#redo").focus()
    for _ in range(3):
        page.keyboard.press("Enter")
    assert not can_do(page, "#redo") and can_do(page, "#undo")
    assert focused(page) == "button#redo"
    settled_prediction(page)
    page.keyboard.press("Tab")  # on from Redo, not back at the start of the page
    assert focused(page) == "button#clear"


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


def test_page_is_accessible_by_its_labels(desktop):
    page = desktop.page
    for label in ("Pen size", "Ink"):
        assert page.get_by_label(label).count() == 1
    for name in ("Undo", "Clear", "Predict"):
        assert page.get_by_role("button", name=name).count() == 1
    assert page.locator("[aria-live]").count() >= 1
    assert page.locator("script:not([src])").count() == 0  # no inline scripts
    assert page.locator("[onclick], [onload], [oninput]").count() == 0
