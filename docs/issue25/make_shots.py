"""The closing note's screenshots for issue 25, from a running server's page (before or after).

    python -m docs.issue25.make_shots --url http://127.0.0.1:5099 \
        --token <review token> --name after

Saves, into docs/issue25/: NAME-pressed.png (a correction chosen, the pointer still on it, light
and dark), NAME-number-digit.png (2026 with its third digit picked), NAME-number-corrected.png
(2026 corrected as 2027, as far as the page allows) and NAME-review-delete.png (the review page
as Delete is pressed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from drawadigit.data import sketches
from tests.support.page import draw_number, draw_with_mouse, settled_prediction

OUT = Path(__file__).parent
SCREEN = {"viewport": {"width": 1280, "height": 800}, "reduced_motion": "reduce"}


def clip(page, *selectors: str) -> dict:
    """The box around every element of `selectors`, with a margin."""
    boxes = [page.locator(s).bounding_box() for s in selectors]
    left, top = min(b["x"] for b in boxes) - 12, min(b["y"] for b in boxes) - 12
    right = max(b["x"] + b["width"] for b in boxes) + 12
    bottom = max(b["y"] + b["height"] for b in boxes) + 12
    return {"x": left, "y": top, "width": right - left, "height": bottom - top}


def pressed(browser, url: str, name: str) -> None:
    """A 7 corrected as a 1, the pointer left on the 1: light and dark, side by side."""
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme, **SCREEN)
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        draw_with_mouse(page, sketches.SKETCHES[(7, "crossed")])
        settled_prediction(page)
        page.get_by_role("button", name="I drew a 1").click()
        shot = OUT / f"{name}-pressed-{scheme}.png"
        page.screenshot(path=shot, clip=clip(page, "#correction-row"))
        context.close()


def number(browser, url: str, name: str) -> None:
    """2026 with its third digit picked; then corrected as 2027 where the page allows it."""
    context = browser.new_context(**SCREEN)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    draw_number(page)
    settled_prediction(page)
    page.locator("#digit-chips button.chip").nth(2).click()
    page.wait_for_function("() => document.querySelector('#model-input').dataset.filled")
    page.screenshot(path=OUT / f"{name}-number-digit.png")
    page.locator("#digit-chips button.chip").nth(3).click()
    if page.locator("#correction-row").is_visible():
        page.get_by_role("button", name="I drew a 7").click()
        with page.expect_response("**/api/feedback"):
            page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
        page.wait_for_function(
            "() => document.querySelector('#correction-status').textContent.startsWith('Thanks')"
        )
    page.screenshot(path=OUT / f"{name}-number-corrected.png")
    context.close()


def review(browser, url: str, token: str, name: str) -> None:
    """The review page as Delete is pressed on the newest record."""
    credentials = {"username": "reviewer", "password": token}
    context = browser.new_context(http_credentials=credentials, **SCREEN)
    page = context.new_page()
    page.goto(url + "/feedback", wait_until="networkidle")
    first = page.locator("li.correction").first
    summary = first.locator("summary")
    if summary.count():  # asks first
        summary.click()
        page.screenshot(path=OUT / f"{name}-review-delete.png")
        first.get_by_role("button", name="Delete for good").click()
        page.screenshot(path=OUT / f"{name}-review-deleted.png")
    else:  # gone at once
        page.screenshot(path=OUT / f"{name}-review-delete.png")
        first.get_by_role("button", name="Delete").click()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / f"{name}-review-deleted.png")
    context.close()


def main() -> None:
    """Take every screenshot of the note from the server at --url."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True, help="the server's FLASK_REVIEW_TOKEN")
    parser.add_argument("--name", required=True, help="before or after")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox"], headless=True
        )
        pressed(browser, args.url, args.name)
        number(browser, args.url, args.name)
        review(browser, args.url, args.token, args.name)
        browser.close()


if __name__ == "__main__":
    main()
