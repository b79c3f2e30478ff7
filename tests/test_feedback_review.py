"""The review of corrections is private: a token, hiding and deleting, random public ids.

Storage tests run on both databases (conftest's `database_url`).
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from datetime import UTC, datetime, timedelta, timezone

import feedback
import feedback_views
import flaskapp
import numpy as np
import pytest
import sqlalchemy as sa
from feedback import FeedbackStore
from PIL import Image
from support import SEVEN, SEVEN_URL
from test_feedback import (  # noqa: F401  (feedback_app: a fixture)
    BASIC,
    BEARER,
    TOKEN,
    app_config,
    correction,
    feedback_app,
    seven_as_served,
)

CORRECTION = {"image": SEVEN_URL, "label": 7}


@pytest.fixture
def review_app(feedback_app):  # noqa: F811 (the fixture imported above)
    """The app with REVIEW_TOKEN set (test_feedback's app_config sets it)."""
    return feedback_app


@pytest.fixture
def open_app(tiny_model_path, tmp_path):
    """The app without REVIEW_TOKEN."""
    config = app_config(tiny_model_path, f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    del config["REVIEW_TOKEN"]
    return flaskapp.create_app(config)


def post(app, label: int = 7) -> str:
    """Post a correction; its public id."""
    response = app.test_client().post("/api/feedback", json={"image": SEVEN_URL, "label": label})
    assert response.status_code == 201
    return response.get_json()["id"]


def review_urls(public_id: str) -> list[str]:
    """The routes a reviewer reads."""
    return [
        "/feedback",
        "/api/feedback/stats",
        f"/api/feedback/{public_id}/image.png",
        f"/api/feedback/{public_id}/field.png",
    ]


def basic(password: str, user: str = "anyone") -> dict:
    """An HTTP Basic Authorization header."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# --- who may read -------------------------------------------------------------------------------


def test_without_review_token_the_review_routes_are_not_served(open_app):
    public_id = post(open_app)  # corrections themselves stay open
    client = open_app.test_client()
    for url in review_urls(public_id):
        for headers in ({}, BEARER, BASIC):
            response = client.get(url, headers=headers)
            assert response.status_code == 404 and response.is_json, url
            assert "not served" in response.get_json()["error"]
    response = client.post(f"/feedback/{public_id}", data={"action": "delete"}, headers=BEARER)
    assert response.status_code == 404
    assert open_app.extensions["feedback_store"].count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN}x"},
        basic("wrong"),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": TOKEN},
    ],
    ids=["none", "wrong bearer", "longer bearer", "wrong basic", "broken basic", "bare token"],
)
def test_a_missing_or_wrong_credential_gets_401_with_a_challenge(review_app, headers):
    public_id = post(review_app)
    client = review_app.test_client()
    for url in review_urls(public_id):
        response = client.get(url, headers=headers)
        assert response.status_code == 401 and response.is_json, url
        assert "Expected the review token" in response.get_json()["error"]
        scheme = "Bearer" if url.endswith("stats") else "Basic"
        assert response.headers["WWW-Authenticate"].startswith(f'{scheme} realm="corrections"')


def test_the_token_opens_the_review_as_bearer_or_basic(review_app):
    public_id = post(review_app)
    client = review_app.test_client()
    for url in review_urls(public_id):
        assert client.get(url, headers=BEARER).status_code == 200, url
    for url in review_urls(public_id):  # a browser: any user name, the token as password
        status = client.get(url, headers=basic(TOKEN, user="reviewer")).status_code
        assert status == (401 if url.endswith("stats") else 200), url


@pytest.mark.parametrize("token", ["from-the-environment", "1e5", "007"])
def test_the_review_token_comes_from_flask_review_token(
    tiny_model_path, tmp_path, monkeypatch, token
):
    # Taken as written: "1e5" or "007" would be numbers to Flask's JSON-parsing env loader.
    monkeypatch.setenv("MODEL_PATH", str(tiny_model_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    monkeypatch.setenv("FLASK_TRAIN_IF_MISSING", "false")
    monkeypatch.setenv("FLASK_REVIEW_TOKEN", token)
    client = flaskapp.create_app().test_client()
    assert client.get("/feedback").status_code == 401
    assert client.get("/feedback", headers=basic(token)).status_code == 200
    authorised = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/feedback/stats", headers=authorised).status_code == 200


def test_public_ids_are_random_and_sequential_ids_open_nothing(review_app):
    ids = [post(review_app) for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", i) for i in ids)
    client = review_app.test_client()
    for guess in ("1", "2", "3", "0"):
        response = client.get(f"/api/feedback/{guess}/image.png", headers=BEARER)
        assert response.status_code == 404
    page = client.get("/feedback", headers=BASIC).get_data(as_text=True)
    assert all(f'data-id="{i}"' in page for i in ids)


# --- hiding and deleting ------------------------------------------------------------------------


def form_token(page: str) -> str:
    """The form token the review page carries."""
    return re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)


def moderate(client, public_id: str, action: str, token: str | None, headers=BASIC):
    """Press a review page button."""
    data = {"action": action} | ({"form_token": token} if token is not None else {})
    return client.post(f"/feedback/{public_id}", data=data, headers=headers)


def test_the_review_page_hides_shows_and_deletes_records(review_app, caplog):
    kept, hidden, deleted = post(review_app, 7), post(review_app, 3), post(review_app, 5)
    client = review_app.test_client()
    page = client.get("/feedback", headers=BASIC).get_data(as_text=True)
    token = form_token(page)
    assert page.count('value="hide"') == 3 and page.count('value="delete"') == 3
    with caplog.at_level(logging.INFO, logger="feedback_views"):
        response = moderate(client, hidden, "hide", token)
        assert response.status_code == 303 and response.headers["Location"] == "/feedback"
        assert moderate(client, deleted, "delete", token).status_code == 303
    assert f"feedback {hidden} hidden by a reviewer" in caplog.text
    assert f"feedback {deleted} deleted by a reviewer" in caplog.text

    page = client.get("/feedback", headers=BASIC).get_data(as_text=True)
    assert f'data-id="{deleted}"' not in page
    assert re.search(rf'is-hidden" data-id="{hidden}"', page) and 'value="show"' in page
    assert "1 hidden, not counted" in page and "1 in all" in page
    stats = client.get("/api/feedback/stats", headers=BEARER).get_json()
    assert stats["total"] == 1 and stats["per_digit"]["7"]["total"] == 1
    assert client.get(f"/api/feedback/{deleted}/image.png", headers=BASIC).status_code == 404
    assert client.get(f"/api/feedback/{hidden}/image.png", headers=BASIC).status_code == 200

    assert moderate(client, hidden, "show", token).status_code == 303
    assert client.get("/api/feedback/stats", headers=BEARER).get_json()["total"] == 2
    assert kept  # untouched throughout


@pytest.mark.parametrize(
    "token", [None, "", "0" * 64, feedback_views.form_token("another token")], ids=str
)
def test_a_form_without_the_pages_token_changes_nothing(review_app, token):
    public_id = post(review_app)
    client = review_app.test_client()
    for action in ("hide", "delete"):
        response = moderate(client, public_id, action, token)
        assert response.status_code == 403 and response.is_json
    (record,) = review_app.extensions["feedback_store"].recent()
    assert record["public_id"] == public_id and not record["hidden"]


def test_bearer_clients_moderate_without_the_form_and_get_json(review_app):
    public_id = post(review_app)
    client = review_app.test_client()
    response = moderate(client, public_id, "hide", None, headers=BEARER)
    assert response.status_code == 200 and response.get_json() == {
        "id": public_id,
        "action": "hide",
    }
    assert moderate(client, public_id, "explode", None, headers=BEARER).status_code == 400
    assert moderate(client, "no-such-id", "delete", None, headers=BEARER).status_code == 404
    assert moderate(client, public_id, "hide", None, headers={}).status_code == 401


def test_hidden_records_are_left_out_of_stats_training_and_export(store_pair, tmp_path):
    store = store_pair
    ids = [store.add(correction(label=d, predicted=d)) for d in (1, 2, 3)]
    assert store.set_hidden(ids[1], True)
    assert store.stats()["total"] == 2 and store.stats(include_hidden=True)["total"] == 3
    assert store.dataset()[2].tolist() == [1, 3]
    assert store.dataset(include_hidden=True)[2].tolist() == [1, 2, 3]
    split = store.split()
    assert sorted(np.concatenate([split["train"][1], split["held_out"][1]]).tolist()) == [1, 3]
    assert feedback.export(store, tmp_path / "out")[2] == 2
    assert feedback.export(store, tmp_path / "all", include_hidden=True)[2] == 3
    assert [r["public_id"] for r in store.recent()] == ids[::-1]  # the review still lists it
    assert [r["public_id"] for r in store.recent(include_hidden=False)] == [ids[2], ids[0]]
    assert store.delete(ids[0]) and not store.delete(ids[0])
    assert not store.set_hidden("no-such-id", True)
    assert store.count() == 2


@pytest.fixture
def store_pair(database_url):
    """An empty store on each kind of database."""
    store = FeedbackStore(database_url)
    yield store
    store.close()


# --- the migration from version 1 ---------------------------------------------------------------


def version_1_database(url: str, n: int) -> None:
    """A database as the first release left it: schema version 1 and `n` corrections."""
    engine = sa.create_engine(feedback.database_url(url))
    sent = SEVEN.png + b"junk after IEND"  # version 1 kept the bytes as sent
    with engine.begin() as connection:
        feedback.schema_version.create(connection)
        feedback._create_v1(connection)
        connection.execute(feedback.schema_version.insert().values(version=1))
        field = feedback.field_bytes(correction().field)
        for label in range(n):
            row = {
                "created": datetime.now(UTC),
                "label": label,
                "predicted": 7,
                "probabilities": "[0.1]",
                "model_version": "cnn-0000000000000000",
                "image_png": b"no longer decodable" if label == 0 else sent,
                "field": field,
            }
            connection.execute(feedback.corrections.insert().values(**row))
    engine.dispose()


def test_a_version_1_database_is_migrated_and_every_record_gets_a_public_id(database_url):
    version_1_database(database_url, 3)
    store = FeedbackStore(database_url)
    assert store.version() == 2
    records = store.recent()
    ids = [r["public_id"] for r in records]
    assert len(set(ids)) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{16}", i) for i in ids)
    assert [r["label"] for r in records] == [2, 1, 0] and not any(r["hidden"] for r in records)
    assert store.image(ids[0]) == seven_as_served()  # old drawings re-encoded, junk dropped
    oldest = Image.open(io.BytesIO(store.image(ids[2])))  # drawn again from its 28x28 field
    assert oldest.size == (28, 28) and oldest.mode == "L"
    assert store.stats()["total"] == 3 and store.dataset()[0].tolist() == [1, 2, 3]
    new = store.add(correction())
    assert new not in ids and store.count() == 4
    store.close()
    again = FeedbackStore(database_url)  # a second start finds it done
    assert again.version() == 2 and [r["public_id"] for r in again.recent()][1:] == ids
    again.close()


# --- paging and the filter (storage) ------------------------------------------------------------


def walk_older(store: FeedbackStore, limit: int, **filters) -> list[feedback.Page]:
    """Every page from the newest, following the oldest id shown, as the Older link does."""
    pages = [store.page(limit, **filters)]
    while pages[-1].has_older:
        pages.append(store.page(limit, before=pages[-1].records[-1]["id"], **filters))
        assert len(pages) < 100, "paging does not end"
    return pages


def public_ids(pages: list[feedback.Page]) -> list[str]:
    """The public ids the pages show, in order."""
    return [record["public_id"] for page in pages for record in page.records]


def test_pages_walk_every_record_newest_first_once_with_their_positions(store_pair):
    store = store_pair
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


def test_an_exact_multiple_of_the_page_size_ends_without_an_empty_page(store_pair):
    store = store_pair
    ids = [store.add(correction()) for _ in range(6)]
    pages = walk_older(store, 3)
    assert len(pages) == 2 and public_ids(pages) == ids[::-1] and not pages[-1].has_older


def test_pages_neither_skip_nor_repeat_when_records_are_added_or_deleted_meanwhile(store_pair):
    store = store_pair
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


def test_the_wrong_only_filter_pages_through_records_the_model_read_wrong(store_pair):
    store = store_pair
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


def test_a_page_past_either_end_is_empty_and_points_back(store_pair):
    store = store_pair
    assert store.page(5) == feedback.Page([], 0, 0, False, False)
    ids = [store.add(correction()) for _ in range(3)]
    newest, oldest = store.page(5).records[0]["id"], store.page(5).records[-1]["id"]
    past_oldest = store.page(5, before=oldest)
    assert (past_oldest.records, past_oldest.has_newer, past_oldest.has_older) == ([], True, False)
    past_newest = store.page(5, after=newest)
    assert (past_newest.records, past_newest.has_newer, past_newest.has_older) == ([], False, True)
    assert past_newest.total == len(ids) and past_newest.first == past_newest.last == 0
    with pytest.raises(ValueError, match="at most one of before and after"):
        store.page(5, before=newest, after=oldest)


# --- paging, the filters and the times (the page) -----------------------------------------------


def link(page: str, rel: str) -> str | None:
    """The href of the page's first link with `rel` (first, prev, next), or None."""
    found = re.search(rf'href="([^"]+)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def shown(page: str) -> list[str]:
    """The public ids of the records a review page lists, in order."""
    return re.findall(r'<li class="correction[^"]*" data-id="([^"]+)"', page)


def get_page(client, url: str) -> str:
    """A review page's HTML, fetched through HTTP Basic."""
    response = client.get(url, headers=BASIC)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_the_review_page_pages_through_every_record_with_newer_and_older_links(review_app):
    store = review_app.extensions["feedback_store"]
    ids = [store.add(correction()) for _ in range(7)]
    client = review_app.test_client()
    first = get_page(client, "/feedback?limit=3")
    assert shown(first) == ids[:-4:-1] and "Showing 1-3 of 7." in first
    assert link(first, "prev") is None and link(first, "first") is None
    second = get_page(client, link(first, "next"))
    assert shown(second) == ids[-4:-7:-1] and "Showing 4-6 of 7." in second
    last = get_page(client, link(second, "next"))
    assert shown(last) == ids[:1] and "Showing 7-7 of 7." in last and link(last, "next") is None
    assert shown(get_page(client, link(last, "prev"))) == shown(second)
    assert link(last, "first") == "/feedback?limit=3"
    for url in (link(first, "next"), link(second, "next"), link(last, "prev")):
        assert "limit=3" in url  # the page size is kept
    assert 'start="4"' in second  # the list numbers its records by position


def test_the_paging_cursor_is_opaque_and_checked(review_app):
    store = review_app.extensions["feedback_store"]
    for _ in range(3):
        store.add(correction())
    client = review_app.test_client()
    older = link(get_page(client, "/feedback?limit=1"), "next")
    cursor = re.fullmatch(r"/feedback\?limit=1&before=([A-Za-z0-9_-]{22})", older).group(1)
    oldest_shown = store.page(1).records[0]["id"]
    key = feedback_views.cursor_key(TOKEN)
    assert feedback_views.decode_cursor(cursor, key) == oldest_shown
    neighbours = {feedback_views.encode_cursor(i, key) for i in range(1, 50)}
    assert len({c[:4] for c in neighbours}) > 40  # neighbouring ids share no visible prefix
    other = feedback_views.cursor_key("another token")
    assert feedback_views.decode_cursor(cursor, other) is None


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("before=3", "Expected ?before= to be a cursor from the review page's own links"),
        ("after=" + "A" * 22, "Expected ?after= to be a cursor"),
        ("before=%E2%9C%93", "Expected ?before= to be a cursor"),
        ("before=" + feedback_views.encode_cursor(1, b"another key"), "another REVIEW_TOKEN"),
        ("before={c}&after={c}", "Expected ?before= or ?after=, not both"),
        ("limit=ten", "Expected ?limit= to be a whole number 1-500; received 'ten'"),
        ("limit=-5", "Expected ?limit= to be a whole number"),
        ("wrong=yes", "Expected ?wrong= to be 0 or 1; received 'yes'"),
        ("hidden=2", "Expected ?hidden= to be 0 or 1"),
    ],
    ids=["id", "forged", "not ascii", "other key", "both", "word", "negative", "flag", "hidden"],
)
def test_review_query_parameters_that_cannot_be_used_get_400(review_app, query, message):
    store = review_app.extensions["feedback_store"]
    store.add(correction())
    cursor = feedback_views.encode_cursor(1, feedback_views.cursor_key(TOKEN))
    client = review_app.test_client()
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


def test_without_review_token_bad_review_parameters_still_get_404(open_app):
    response = open_app.test_client().get("/feedback?before=3&limit=x", headers=BASIC)
    assert response.status_code == 404 and "not served" in response.get_json()["error"]


@pytest.mark.parametrize(("asked", "listed"), [("1", 1), ("500", 5), ("100000", 5), ("0", 1)])
def test_the_page_size_is_kept_between_1_and_500(review_app, asked, listed):
    store = review_app.extensions["feedback_store"]
    for _ in range(5):
        store.add(correction())
    page = get_page(review_app.test_client(), f"/feedback?limit={asked}")
    assert len(shown(page)) == listed


def test_the_wrong_only_filter_lists_what_the_model_read_wrong_and_is_kept_across_pages(
    review_app,
):
    store = review_app.extensions["feedback_store"]
    made = [(7, 7), (3, 5), (4, 4), (1, 7), (10, 10), (10, 2), (2, 10)]
    ids = [store.add(correction(label=label, predicted=said)) for label, said in made]
    wrong = [i for i, (label, said) in zip(ids, made, strict=True) if label != said]
    client = review_app.test_client()
    everything = get_page(client, "/feedback")
    assert shown(everything) == ids[::-1]
    toggle = re.search(r'href="([^"]+)">Wrong only</a>', everything).group(1)
    assert html.unescape(toggle) == "/feedback?wrong=1"
    assert re.search(r'aria-current="true">All answers</a>', everything)
    first = get_page(client, "/feedback?wrong=1&limit=2")
    assert shown(first) == wrong[:-3:-1] and "Showing 1-2 of 4 the model read wrong." in first
    assert re.search(r'aria-current="true">Wrong only</a>', first)
    assert "is-wrong" in first and all(i in wrong for i in shown(first))
    second = get_page(client, link(first, "next"))
    assert "wrong=1" in link(first, "next") and shown(second) == wrong[-3::-1]
    back = re.search(r'href="([^"]+)">All answers</a>', second).group(1)
    assert html.unescape(back) == "/feedback?limit=2"  # a toggle starts again from the newest
    store.set_hidden(wrong[-1], True)
    listed = get_page(client, "/feedback?wrong=1")
    assert shown(listed) == wrong[::-1] and "1 hidden, not counted" in listed
    left_out = get_page(client, "/feedback?wrong=1&hidden=0")
    assert shown(left_out) == wrong[-2::-1]
    assert "of 3 the model read wrong, hidden ones left out." in left_out
    for right in [i for i in ids if i not in wrong]:
        assert store.delete(right)
    for i in wrong[:-1]:
        store.set_hidden(i, True)
    assert "None: every correction is hidden." in get_page(client, "/feedback?hidden=0")


def test_the_review_page_says_when_the_model_read_every_record_right(review_app):
    review_app.extensions["feedback_store"].add(correction(label=4, predicted=4))
    page = get_page(review_app.test_client(), "/feedback?wrong=1")
    assert "None: the model read every record right." in page and shown(page) == []


def test_times_are_shown_in_utc_and_say_so(review_app):
    store = review_app.extensions["feedback_store"]
    public_id = store.add(correction())
    moment = datetime(2026, 12, 1, 10, 31, 5, tzinfo=UTC)
    with store.engine().begin() as connection:
        connection.execute(
            feedback.records.update()
            .where(feedback.records.c.public_id == public_id)
            .values(created=moment)
        )
    page = get_page(review_app.test_client(), "/feedback")
    assert '<time datetime="2026-12-01T10:31:05Z">2026-12-01 10:31 UTC</time>' in page
    # An aware time in another zone is shown as the same moment in UTC.
    in_tokyo = moment.astimezone(timezone(timedelta(hours=9)))
    assert feedback_views.utc_text(in_tokyo) == "2026-12-01 10:31 UTC"
    assert feedback_views.utc_iso(in_tokyo) == "2026-12-01T10:31:05Z"


def test_a_moderation_button_returns_to_the_page_it_was_on(review_app):
    store = review_app.extensions["feedback_store"]
    ids = [store.add(correction(label=3, predicted=5)) for _ in range(5)]
    client = review_app.test_client()
    second = get_page(client, link(get_page(client, "/feedback?limit=2&wrong=1"), "next"))
    token = form_token(second)
    action = html.unescape(
        re.search(r'<form class="moderate" method="post" action="([^"]+)"', second).group(1)
    )
    here = action.split("?", 1)[1]
    assert action.startswith(f"/feedback/{ids[2]}?") and "before=" in here
    response = client.post(action, data={"action": "hide", "form_token": token}, headers=BASIC)
    assert response.status_code == 303 and response.headers["Location"] == f"/feedback?{here}"
    again = get_page(client, response.headers["Location"])
    assert shown(again) == [ids[2], ids[1]] and f'is-hidden" data-id="{ids[2]}"' in again
