"""The review page in a real browser: Playwright driving Debian's Chromium, through HTTP Basic.

At phone sizes the page never scrolls sideways and its buttons are touch-sized; its Newer, Older
and filter links lead where they say; it asks no other host for anything and logs no error.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from playwright.sync_api import expect

from drawadigit.corrections.store import Correction, CorrectionStore
from tests.support import TOKEN, sqlite_url, started_gunicorn, text_contrasts

RECORDS = 130  # three pages of the default 60
WRONG = 45  # of them, the model read wrong
PHONES = {
    "390x844": {"width": 390, "height": 844},
    "320x640": {"width": 320, "height": 640},
}


def bar_correction(label: int, predicted: int) -> Correction:
    """A small correction: a bar of ink, read as `predicted`."""
    drawing = np.zeros((40, 30))
    drawing[5:35, 13:17] = 1.0
    field = np.zeros((28, 28), np.float32)
    field[4:24, 12:16] = 1.0
    return Correction(label, predicted, [0.1] * 10, "cnn-0123456789abcdef", drawing, field)


@pytest.fixture(scope="module")
def review_url(tiny_model_path, tmp_path_factory):
    """`make run`'s server (one worker) around the tiny model, its store holding RECORDS
    corrections, WRONG of them wrong, the newest hidden, and the review open to TOKEN."""
    folder = tmp_path_factory.mktemp("review")
    database = sqlite_url(folder)
    store = CorrectionStore(database)
    for n in range(RECORDS):
        label = n % 10
        store.add(bar_correction(label, (label + 1) % 10 if n < WRONG else label))
    store.set_hidden(store.recent(1)[0]["public_id"], True)
    store.close()
    env = {
        "MODEL_PATH": str(tiny_model_path),
        "DATABASE_URL": database,
        "FLASK_REVIEW_TOKEN": TOKEN,
        "FLASK_MODEL_CACHE_DIR": str(folder / "models"),
        "WEB_CONCURRENCY": "1",
    }
    with started_gunicorn(folder, env=env) as (url, _, _):
        yield url


@pytest.fixture(params=list(PHONES), ids=list(PHONES))
def phone(request, browser, review_url):
    """A phone-sized, touch page signed in as a reviewer; what it asked elsewhere and logged."""
    context = browser.new_context(
        viewport=PHONES[request.param],
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        http_credentials={"username": "reviewer", "password": TOKEN},
    )
    page = context.new_page()
    watched = {"foreign": [], "errors": []}
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith((review_url, "data:")) else watched["foreign"].append(r.url)
        ),
    )
    page.on("console", lambda m: watched["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: watched["errors"].append(str(exc)))
    yield page, watched
    context.close()
    assert watched["foreign"] == [] and watched["errors"] == []


def assert_fits(page) -> None:
    """No sideways scroll: the page is no wider than the viewport."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


def load_images(page) -> None:
    """Scroll every thumbnail into view and wait until each has loaded."""
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.images].every((i) => i.complete)")
    assert page.evaluate("() => [...document.images].every((i) => i.naturalWidth > 0)")


def test_the_review_page_fits_a_phone_and_pages_through_every_record(phone, review_url):
    page, _ = phone
    page.goto(review_url + "/feedback", wait_until="networkidle")
    assert page.evaluate("() => matchMedia('(pointer: coarse)').matches")
    position = page.locator(".page-position")
    expect(position).to_have_text(f"Showing 1-60 of {RECORDS}.")
    assert_fits(page)
    for button in page.locator(".pager .button, .moderate .button, .review-toggle a").all():
        if button.is_visible():  # "Delete for good" shows only once Delete is asked
            assert button.bounding_box()["height"] >= 44
    table = page.locator("table.per-digit")
    assert table.evaluate("(t) => t.scrollWidth <= t.parentElement.clientWidth")
    first = page.locator("li.correction").first
    assert (
        first.locator(".drawing").bounding_box()["y"] < first.locator(".about").bounding_box()["y"]
    )
    load_images(page)
    assert_fits(page)  # the thumbnails in place change nothing

    seen = page.locator("li.correction").evaluate_all("(items) => items.map((i) => i.dataset.id)")
    page.get_by_role("link", name="Older").first.click()
    expect(position).to_have_text(f"Showing 61-120 of {RECORDS}.")
    assert_fits(page)
    seen += page.locator("li.correction").evaluate_all("(items) => items.map((i) => i.dataset.id)")
    page.get_by_role("link", name="Older").first.click()
    expect(position).to_have_text(f"Showing 121-{RECORDS} of {RECORDS}.")
    assert page.get_by_role("link", name="Older").count() == 0
    seen += page.locator("li.correction").evaluate_all("(items) => items.map((i) => i.dataset.id)")
    assert len(seen) == len(set(seen)) == RECORDS  # every record once
    page.get_by_role("link", name="Newer").first.click()
    expect(position).to_have_text(f"Showing 61-120 of {RECORDS}.")
    page.get_by_role("link", name="Newest").first.click()
    expect(position).to_have_text(f"Showing 1-60 of {RECORDS}.")


def test_the_wrong_only_filter_is_kept_across_pages_in_the_browser(phone, review_url):
    page, _ = phone
    page.goto(review_url + "/feedback?limit=20", wait_until="networkidle")
    page.get_by_role("link", name="Wrong only").click()
    position = page.locator(".page-position")
    expect(position).to_have_text(f"Showing 1-20 of {WRONG} the model read wrong.")
    expect(page.get_by_role("link", name="Wrong only")).to_have_attribute("aria-current", "true")
    assert_fits(page)
    page.get_by_role("link", name="Older").first.click()
    expect(position).to_have_text(f"Showing 21-40 of {WRONG} the model read wrong.")
    assert page.locator("li.correction:not(.is-wrong)").count() == 0
    page.get_by_role("link", name="Hidden left out").click()
    expect(position).to_have_text(
        f"Showing 1-20 of {WRONG} the model read wrong, hidden ones left out."
    )  # the newest record is right, so hiding it leaves the wrong ones as they were
    page.get_by_role("link", name="All answers").click()
    expect(position).to_have_text(f"Showing 1-20 of {RECORDS - 1}, hidden ones left out.")
    assert_fits(page)


def test_times_on_the_review_page_name_their_zone(phone, review_url):
    page, _ = phone
    page.goto(review_url + "/feedback?limit=5", wait_until="networkidle")
    times = page.locator("li.correction time")
    assert times.count() == 5
    for element in times.all():
        stamp = element.get_attribute("datetime")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs(datetime.now(UTC) - moment) < timedelta(hours=1)
        assert element.text_content() == moment.strftime("%Y-%m-%d %H:%M UTC")


def test_a_refused_login_shows_a_page_not_json(browser, review_url):
    # A wrong password, then the prompt given up: what the browser shows is the 401's body.
    context = browser.new_context(http_credentials={"username": "me", "password": "guess"})
    page = context.new_page()
    response = page.goto(review_url + "/feedback")
    assert response.status == 401 and response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to review corrections")
    expect(page.get_by_role("link", name="Draw a digit")).to_be_visible()
    assert "{" not in page.locator("body").inner_text()
    context.close()


def test_hide_show_and_delete_say_what_they_did_and_delete_asks_first(phone, review_url):
    page, _ = phone
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    page.goto(review_url + "/feedback?limit=5", wait_until="networkidle")
    done = page.get_by_role("status")
    first = page.locator("li.correction:not(.is-hidden)").first
    record = first.get_attribute("data-id")
    first.get_by_role("button", name="Hide").click()
    expect(done).to_contain_text(
        f"Correction {record} is hidden: it is left out of the counts and of training."
    )
    expect(page.locator(f'li.correction.is-hidden[data-id="{record}"]')).to_have_count(1)
    done.get_by_role("button", name="Show it again").click()
    expect(done).to_have_text(f"Correction {record} is shown again, and counted.")
    item = page.locator(f'li.correction[data-id="{record}"]')
    expect(item).not_to_have_class(re.compile("is-hidden"))

    posted.clear()
    item.get_by_text("Delete…").click()  # asks first: nothing sent yet
    confirm = item.get_by_role("button", name="Delete for good")
    expect(confirm).to_be_visible()
    expect(item.get_by_text("Delete this correction for good?")).to_be_visible()
    assert posted == []
    item.get_by_text("Delete…").click()  # changed its mind: closed again, still nothing sent
    expect(confirm).to_be_hidden()
    assert posted == [] and item.count() == 1
    item.get_by_text("Delete…").click()
    confirm.click()
    expect(done).to_have_text(f"Correction {record} is deleted for good.")
    expect(page.locator(f'li.correction[data-id="{record}"]')).to_have_count(0)
    assert len(posted) == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_review_control_reads_at_4_5_to_1_at_rest_hovered_and_focused(
    browser, review_url, scheme
):
    context = browser.new_context(
        color_scheme=scheme,
        reduced_motion="reduce",
        http_credentials={"username": "reviewer", "password": TOKEN},
    )
    page = context.new_page()
    page.goto(review_url + "/feedback?limit=4", wait_until="networkidle")
    page.locator("li.correction summary").first.click()  # "Delete for good" shown too
    controls = page.locator(".moderate .button, .pager .button, .review-toggle a, summary")
    seen = {}
    for control in [c for c in controls.all() if c.is_visible()]:
        label = control.text_content().strip()
        for state, act in [
            ("at rest", None),
            ("hovered", control.hover),
            ("focused", control.focus),
        ]:
            page.mouse.move(1, 1)
            if act:
                act()
            for ratio, altered in text_contrasts(control):
                assert altered == [], (label, state, altered)
                key = f"{label} {state}"
                seen[key] = min(ratio, seen.get(key, ratio))
    context.close()
    assert any(key.startswith("Delete for good") for key in seen)
    assert {key: round(ratio, 2) for key, ratio in seen.items() if ratio < 4.5} == {}
