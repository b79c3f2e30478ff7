"""Paging through corrections: the store's pages (newest first, a filter for what the model
read wrong, hidden ones kept or left out) and the review page's links, cursor and query.

Storage-backed tests run on both databases (conftest's `database_url`).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from drawadigit.corrections.listing import Page
from drawadigit.corrections.schema import records
from drawadigit.corrections.store import CorrectionStore
from drawadigit.web.corrections import paging, review
from tests.support import (
    BASIC,
    BEARER,
    TOKEN,
    correction,
    form_token,
    listed_ids,
    page_link,
    review_page,
)

# --- the store's pages -----------------------------------------------------------------------


def walk_older(store: CorrectionStore, limit: int, **filters) -> list[Page]:
    """Every page from the newest, following the oldest id shown, as the Older link does."""
    pages = [store.page(limit, **filters)]
    while pages[-1].has_older:
        pages.append(store.page(limit, before=pages[-1].records[-1]["id"], **filters))
        assert len(pages) < 100, "paging does not end"
    return pages


def public_ids(pages: list[Page]) -> list[str]:
    """The public ids the pages show, in order."""
    return [record["public_id"] for page in pages for record in page.records]


def test_pages_walk_every_record_newest_first_once_with_their_positions(store):
    ids = [store.add(correction()) for _ in range(12)]
    pages = walk_older(store, 5)
    assert public_ids(pages) == ids[::-1]
    assert [(p.first, p.last, p.total) for p in pages] == [(1, 5, 12), (6, 10, 12), (11, 12, 12)]
    flags = [(p.has_newer, p.has_older) for p in pages]
    assert flags == [(False, True), (True, True), (True, False)]
    back = [pages[-1]]  # and back again, following the newest id shown, as Newer does
    while back[-1].has_newer:
        back.append(store.page(5, after=back[-1].records[0]["id"]))
    assert [p.records for p in back] == [
        store.page(5, before=pages[1].records[-1]["id"]).records,
        pages[1].records,
        pages[0].records,
    ]
    assert all(r["created"].tzinfo is UTC for p in pages for r in p.records)


def test_an_exact_multiple_of_the_page_size_ends_without_an_empty_page(store):
    ids = [store.add(correction()) for _ in range(6)]
    pages = walk_older(store, 3)
    assert len(pages) == 2 and public_ids(pages) == ids[::-1] and not pages[-1].has_older


def test_pages_neither_skip_nor_repeat_when_records_are_added_or_deleted_meanwhile(store):
    ids = [store.add(correction()) for _ in range(10)]
    seen = []
    page = store.page(3)
    while True:
        seen += [r["public_id"] for r in page.records]
        added = store.add(correction())  # arrives while the reviewer reads: newer than all
        if not page.has_older:
            break
        unseen = [i for i in ids[::-1] if i not in seen]
        if len(unseen) > 3:
            assert store.delete(unseen[-1])  # the oldest, which the reviewer has not reached
            ids.remove(unseen[-1])
        page = store.page(3, before=page.records[-1]["id"])
    assert seen == ids[::-1]
    assert added not in seen and store.page(3).records[0]["public_id"] == added
    # Positions count what is there now: the newest records that arrived push the rest down.
    assert store.page(3, before=store.page(3).records[-1]["id"]).first == 4


def test_the_wrong_only_filter_pages_through_records_the_model_read_wrong(store):
    made = [(d, d if d % 3 else (d + 1) % 10) for d in range(10)] * 2  # every third one wrong
    ids = [store.add(correction(label=label, predicted=said)) for label, said in made]
    wrong = [i for i, (label, said) in zip(ids, made, strict=True) if label != said]
    assert len(wrong) == 8
    pages = walk_older(store, 3, wrong_only=True)
    assert public_ids(pages) == wrong[::-1] and {p.total for p in pages} == {8}
    assert all(r["label"] != r["predicted"] for p in pages for r in p.records)
    assert store.set_hidden(wrong[-1], True) and store.set_hidden(ids[1], True)
    shown = walk_older(store, 3, wrong_only=True, include_hidden=False)
    assert public_ids(shown) == wrong[-2::-1] and shown[0].total == 7
    assert public_ids(walk_older(store, 3, include_hidden=False)) == [
        i for i in ids[::-1] if i not in (wrong[-1], ids[1])
    ]
    assert store.count(hidden=True) == 2 and store.count(hidden=False) == 18
    assert store.count() == 20


def test_a_page_past_either_end_is_empty_and_points_back(store):
    assert store.page(5) == Page([], 0, 0, False, False)
    ids = [store.add(correction()) for _ in range(3)]
    newest, oldest = store.page(5).records[0]["id"], store.page(5).records[-1]["id"]
    past_oldest = store.page(5, before=oldest)
    assert (past_oldest.records, past_oldest.has_newer, past_oldest.has_older) == ([], True, False)
    past_newest = store.page(5, after=newest)
    assert (past_newest.records, past_newest.has_newer, past_newest.has_older) == ([], False, True)
    assert past_newest.total == len(ids) and past_newest.first == past_newest.last == 0
    with pytest.raises(ValueError, match="at most one of before and after"):
        store.page(5, before=newest, after=oldest)


# --- the review page ------------------------------------------------------------------------


def test_the_review_page_pages_through_every_record_with_newer_and_older_links(corrections_app):
    store = corrections_app.extensions["corrections_store"]
    ids = [store.add(correction()) for _ in range(7)]
    client = corrections_app.test_client()
    first = review_page(client, "/feedback?limit=3")
    assert listed_ids(first) == ids[:-4:-1] and "Showing 1-3 of 7." in first
    assert page_link(first, "prev") is None and page_link(first, "first") is None
    second = review_page(client, page_link(first, "next"))
    assert listed_ids(second) == ids[-4:-7:-1] and "Showing 4-6 of 7." in second
    last = review_page(client, page_link(second, "next"))
    assert listed_ids(last) == ids[:1] and "Showing 7-7 of 7." in last
    assert page_link(last, "next") is None
    assert listed_ids(review_page(client, page_link(last, "prev"))) == listed_ids(second)
    assert page_link(last, "first") == "/feedback?limit=3"
    for url in (page_link(first, "next"), page_link(second, "next"), page_link(last, "prev")):
        assert "limit=3" in url  # the page size is kept
    assert 'start="4"' in second  # the list numbers its records by position


def test_the_paging_cursor_is_opaque_and_checked(corrections_app):
    store = corrections_app.extensions["corrections_store"]
    for _ in range(3):
        store.add(correction())
    client = corrections_app.test_client()
    older = page_link(review_page(client, "/feedback?limit=1"), "next")
    cursor = re.fullmatch(r"/feedback\?limit=1&before=([A-Za-z0-9_-]{22})", older).group(1)
    oldest_shown = store.page(1).records[0]["id"]
    key = paging.cursor_key(TOKEN)
    assert paging.decode_cursor(cursor, key) == oldest_shown
    neighbours = {paging.encode_cursor(i, key) for i in range(1, 50)}
    assert len({c[:4] for c in neighbours}) > 40  # neighbouring ids share no visible prefix
    other = paging.cursor_key("another token")
    assert paging.decode_cursor(cursor, other) is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("before=3", "Expected ?before= to be a cursor from the review page's own links"),
        ("after=" + "A" * 22, "Expected ?after= to be a cursor"),
        ("before=%E2%9C%93", "Expected ?before= to be a cursor"),
        ("before=" + paging.encode_cursor(1, b"another key"), "another REVIEW_TOKEN"),
        ("before={c}&after={c}", "Expected ?before= or ?after=, not both"),
        ("limit=ten", "Expected ?limit= to be a whole number 1-500; received 'ten'"),
        ("limit=-5", "Expected ?limit= to be a whole number"),
        ("wrong=yes", "Expected ?wrong= to be 0 or 1; received 'yes'"),
        ("hidden=2", "Expected ?hidden= to be 0 or 1"),
    ],
    ids=["id", "forged", "not ascii", "other key", "both", "word", "negative", "flag", "hidden"],
)
def test_review_query_parameters_that_cannot_be_used_get_400(corrections_app, query, message):
    store = corrections_app.extensions["corrections_store"]
    store.add(correction())
    cursor = paging.encode_cursor(1, paging.cursor_key(TOKEN))
    client = corrections_app.test_client()
    url = "/feedback?" + query.format(c=cursor)
    response = client.get(url, headers=BASIC)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert client.get(url).status_code == 401  # the credential is checked first
    moderated = client.post(
        url.replace("/feedback", f"/feedback/{store.page(1).records[0]['public_id']}"),
        data={"action": "delete"},
        headers=BEARER,
    )
    assert moderated.status_code == 400 and store.count() == 1  # refused before acting


@pytest.mark.parametrize(("asked", "listed"), [("1", 1), ("500", 5), ("100000", 5), ("0", 1)])
def test_the_page_size_is_kept_between_1_and_500(corrections_app, asked, listed):
    store = corrections_app.extensions["corrections_store"]
    for _ in range(5):
        store.add(correction())
    page = review_page(corrections_app.test_client(), f"/feedback?limit={asked}")
    assert len(listed_ids(page)) == listed


def test_the_wrong_only_filter_lists_what_the_model_read_wrong_and_is_kept_across_pages(
    corrections_app,
):
    store = corrections_app.extensions["corrections_store"]
    made = [(7, 7), (3, 5), (4, 4), (1, 7), (10, 10), (10, 2), (2, 10)]
    ids = [store.add(correction(label=label, predicted=said)) for label, said in made]
    wrong = [i for i, (label, said) in zip(ids, made, strict=True) if label != said]
    client = corrections_app.test_client()
    everything = review_page(client, "/feedback")
    assert listed_ids(everything) == ids[::-1]
    toggle = re.search(r'href="([^"]+)">Wrong only</a>', everything).group(1)
    assert html.unescape(toggle) == "/feedback?wrong=1"
    assert re.search(r'aria-current="true">All answers</a>', everything)
    first = review_page(client, "/feedback?wrong=1&limit=2")
    assert listed_ids(first) == wrong[:-3:-1] and "Showing 1-2 of 4 the model read wrong." in first
    assert re.search(r'aria-current="true">Wrong only</a>', first)
    assert "is-wrong" in first and all(i in wrong for i in listed_ids(first))
    second = review_page(client, page_link(first, "next"))
    assert "wrong=1" in page_link(first, "next") and listed_ids(second) == wrong[-3::-1]
    back = re.search(r'href="([^"]+)">All answers</a>', second).group(1)
    assert html.unescape(back) == "/feedback?limit=2"  # a toggle starts again from the newest
    store.set_hidden(wrong[-1], True)
    listed = review_page(client, "/feedback?wrong=1")
    assert listed_ids(listed) == wrong[::-1] and "1 hidden, not counted" in listed
    left_out = review_page(client, "/feedback?wrong=1&hidden=0")
    assert listed_ids(left_out) == wrong[-2::-1]
    assert "of 3 the model read wrong, hidden ones left out." in left_out
    for right in [i for i in ids if i not in wrong]:
        assert store.delete(right)
    for i in wrong[:-1]:
        store.set_hidden(i, True)
    assert "None: every correction is hidden." in review_page(client, "/feedback?hidden=0")


def test_the_review_page_says_when_the_model_read_every_record_right(corrections_app):
    corrections_app.extensions["corrections_store"].add(correction(label=4, predicted=4))
    page = review_page(corrections_app.test_client(), "/feedback?wrong=1")
    assert "None: the model read every record right." in page and listed_ids(page) == []


def test_times_are_shown_in_utc_and_say_so(corrections_app):
    store = corrections_app.extensions["corrections_store"]
    public_id = store.add(correction())
    moment = datetime(2026, 12, 1, 10, 31, 5, tzinfo=UTC)
    with store.engine().begin() as connection:
        connection.execute(
            records.update().where(records.c.public_id == public_id).values(created=moment)
        )
    page = review_page(corrections_app.test_client(), "/feedback")
    assert '<time datetime="2026-12-01T10:31:05Z">2026-12-01 10:31 UTC</time>' in page
    # An aware time in another zone is shown as the same moment in UTC.
    in_tokyo = moment.astimezone(timezone(timedelta(hours=9)))
    assert review.utc_text(in_tokyo) == "2026-12-01 10:31 UTC"
    assert review.utc_iso(in_tokyo) == "2026-12-01T10:31:05Z"


def test_a_moderation_button_returns_to_the_page_it_was_on(corrections_app):
    store = corrections_app.extensions["corrections_store"]
    ids = [store.add(correction(label=3, predicted=5)) for _ in range(5)]
    client = corrections_app.test_client()
    first = review_page(client, "/feedback?limit=2&wrong=1")
    second = review_page(client, page_link(first, "next"))
    token = form_token(second)
    action = html.unescape(
        re.search(r'<form class="moderate" method="post" action="([^"]+)"', second).group(1)
    )
    here = action.split("?", 1)[1]
    assert action.startswith(f"/feedback/{ids[2]}?") and "before=" in here
    response = client.post(action, data={"action": "hide", "form_token": token}, headers=BASIC)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/feedback?{here}&done=hide&record={ids[2]}"
    again = review_page(client, response.headers["Location"])
    assert listed_ids(again) == [ids[2], ids[1]] and f'is-hidden" data-id="{ids[2]}"' in again
