"""Every button readable in every state, in both themes: at rest, under the pointer, pressed
down, focused, pressed (aria-pressed) with the pointer still on it, and disabled; WCAG AA's
4.5:1 for the words, from the colours Chromium computes (issue 25: a pressed correction button
went white on light grey under the pointer)."""

from __future__ import annotations

import pytest

from drawadigit.data import sketches
from tests.support import (
    DESKTOP,
    checked_page,
    draw_number,
    draw_with_mouse,
    settled_prediction,
    text_contrasts,
)

AA = 4.5
FOUR = sketches.SKETCHES[(4, "open")]


def name(button) -> str:
    """A button as a failure names it: its id, else its accessible label or words."""
    return button.evaluate(
        "(b) => '#' + b.id + ' ' + (b.getAttribute('aria-label') || b.textContent.trim())"
    )


def measure(page, button, state: str, seen: dict) -> None:
    """Note the button's lowest text contrast in `state` (and any opacity or filter)."""
    for ratio, altered in text_contrasts(button):
        key = f"{name(button)} {state}"
        seen[key] = min(ratio, seen.get(key, ratio))
        assert altered == [], (key, altered)


def away(page) -> None:
    """The pointer off every control, and focus on none."""
    page.mouse.move(1, 1)
    page.evaluate("document.activeElement && document.activeElement.blur()")


def every_state(page, button, seen: dict) -> None:
    """At rest, hovered, pressed down (the button held, then let go elsewhere), focused."""
    away(page)
    measure(page, button, "at rest", seen)
    button.hover()
    measure(page, button, "hovered", seen)
    page.mouse.down()
    measure(page, button, "held down", seen)
    page.mouse.move(1, 1)  # let go off the button: no click
    page.mouse.up()
    button.focus()
    measure(page, button, "focused", seen)
    away(page)


def visible_buttons(page) -> list:
    """The buttons the page shows now."""
    found = page.locator("button")
    return [found.nth(i) for i in range(found.count()) if found.nth(i).is_visible()]


def digit_states(page, seen: dict) -> None:
    """A 4, every button in every state; then a correction chosen, pressed under the pointer,
    sent, and the row left disabled with the choice pressed."""
    for button in visible_buttons(page):  # before drawing: Undo, Redo and Clear disabled
        every_state(page, button, seen)
    draw_with_mouse(page, FOUR)
    assert settled_prediction(page) == "4"
    for button in visible_buttons(page):
        every_state(page, button, seen)
    one = page.get_by_role("button", name="I drew a 1")
    one.click()  # the pointer stays on it
    assert one.get_attribute("aria-pressed") == "true"
    measure(page, one, "pressed, hovered", seen)
    measure(page, page.locator("#correction-undo"), "shown", seen)
    with page.expect_response("**/api/feedback"):
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    page.wait_for_function("() => document.querySelector('#correction-status').textContent")
    measure(page, one, "pressed, sent, hovered", seen)
    for button in visible_buttons(page):
        every_state(page, button, seen)


def chip_states(page, seen: dict) -> None:
    """A number's chips in every state, the picked one under the pointer, and its Send."""
    page.locator("#clear").click()
    draw_number(page)
    settled_prediction(page)
    chips = page.locator("button.chip")
    assert chips.count() == 4
    for i in range(4):
        every_state(page, chips.nth(i), seen)
    chips.nth(1).click()
    assert chips.nth(1).get_attribute("aria-pressed") == "true"
    measure(page, chips.nth(1), "pressed, hovered", seen)
    away(page)
    measure(page, chips.nth(1), "pressed", seen)
    send = page.get_by_role("button", name="Send")  # the number's own correction controls
    assert send.is_visible()
    every_state(page, send, seen)
    measure(page, page.locator("#number-input"), "typed in", seen)
    assert "#number-input  typed in" in seen  # its value was measured


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_button_reads_at_4_5_to_1_in_every_state(browser, live_url, scheme):
    # Reduced motion: no colour caught half-way through its transition.
    options = {"color_scheme": scheme, "reduced_motion": "reduce"}
    with checked_page(browser, live_url, DESKTOP, **options) as watched:
        seen: dict[str, float] = {}
        digit_states(watched.page, seen)
        chip_states(watched.page, seen)
    print(f"\n{scheme}: lowest {min(seen.values()):.2f} of {len(seen)} states")
    assert any("pressed, hovered" in key for key in seen)
    assert any("disabled" in key or "#redo" in key for key in seen)
    assert {key: round(ratio, 2) for key, ratio in seen.items() if ratio < AA} == {}
