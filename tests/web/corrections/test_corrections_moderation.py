"""A reviewer hides, shows and deletes corrections: from the review page's buttons (a form
token guards them) or as a Bearer client; hidden ones leave the stats, training and export.

Storage-backed tests run on both databases (conftest's `database_url`).
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from drawadigit.corrections.cli import export
from drawadigit.web.corrections import access
from tests.support import BASIC, BEARER, correction, form_token, post_correction


def moderate(client, public_id: str, action: str, token: str | None, headers=BASIC):
    """Press a review page button."""
    data = {"action": action} | ({"form_token": token} if token is not None else {})
    return client.post(f"/feedback/{public_id}", data=data, headers=headers)


def test_the_review_page_hides_shows_and_deletes_records(corrections_app, caplog):
    kept, hidden, deleted = (post_correction(corrections_app, label) for label in (7, 3, 5))
    client = corrections_app.test_client()
    page = client.get("/feedback", headers=BASIC).get_data(as_text=True)
    token = form_token(page)
    assert page.count('value="hide"') == 3 and page.count('value="delete"') == 3
    with caplog.at_level(logging.INFO, logger="drawadigit.web.corrections.review"):
        response = moderate(client, hidden, "hide", token)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/feedback?done=hide&record={hidden}"
        said = client.get(response.headers["Location"], headers=BASIC).get_data(as_text=True)
        assert f"Correction {hidden} is hidden" in said and 'value="show">Show it again' in said
        response = moderate(client, deleted, "delete", token)
        assert response.headers["Location"] == f"/feedback?done=delete&record={deleted}"
    assert f"correction {hidden} hidden by a reviewer" in caplog.text
    assert f"correction {deleted} deleted by a reviewer" in caplog.text

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
    "token",
    [None, "", "0" * 64, "é" * 64, "\u2603", access.form_token("another token")],
    ids=str,
)
def test_a_form_without_the_pages_token_changes_nothing(corrections_app, token):
    public_id = post_correction(corrections_app)
    client = corrections_app.test_client()
    for action in ("hide", "delete"):
        response = moderate(client, public_id, action, token)
        assert response.status_code == 403 and response.is_json
    (record,) = corrections_app.extensions["corrections_store"].recent()
    assert record["public_id"] == public_id and not record["hidden"]


def test_bearer_clients_moderate_without_the_form_and_get_json(corrections_app):
    public_id = post_correction(corrections_app)
    client = corrections_app.test_client()
    response = moderate(client, public_id, "hide", None, headers=BEARER)
    assert response.status_code == 200 and response.get_json() == {
        "id": public_id,
        "action": "hide",
    }
    assert moderate(client, public_id, "explode", None, headers=BEARER).status_code == 400
    assert moderate(client, "no-such-id", "delete", None, headers=BEARER).status_code == 404
    assert moderate(client, public_id, "hide", None, headers={}).status_code == 401


def test_hidden_records_are_left_out_of_stats_training_and_export(store, tmp_path):
    ids = [store.add(correction(label=d, predicted=d)) for d in (1, 2, 3)]
    assert store.set_hidden(ids[1], True)
    assert store.stats()["total"] == 2 and store.stats(include_hidden=True)["total"] == 3
    assert store.dataset()[2].tolist() == [1, 3]
    assert store.dataset(include_hidden=True)[2].tolist() == [1, 2, 3]
    split = store.split()
    assert sorted(np.concatenate([split["train"][1], split["held_out"][1]]).tolist()) == [1, 3]
    assert export(store, tmp_path / "out")[2] == 2
    assert export(store, tmp_path / "all", include_hidden=True)[2] == 3
    assert [r["public_id"] for r in store.recent()] == ids[::-1]  # the review still lists it
    assert [r["public_id"] for r in store.recent(include_hidden=False)] == [ids[2], ids[0]]
    assert store.delete(ids[0]) and not store.delete(ids[0])
    assert not store.set_hidden("no-such-id", True)
    assert store.count() == 2


@pytest.mark.parametrize(
    "query",
    ["done=hide", "record=abc", "done=explode&record=abc", "done=hide&record=<b>x</b>"],
)
def test_the_review_page_says_nothing_done_for_a_query_it_cannot_use(corrections_app, query):
    page = corrections_app.test_client().get(f"/feedback?{query}", headers=BASIC)
    assert page.status_code == 200
    assert "Correction " not in page.get_data(as_text=True)


def test_a_refused_login_is_a_page_for_a_browser_and_json_for_a_client(corrections_app):
    client = corrections_app.test_client()
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = client.get("/feedback", headers=browser)
    assert page.status_code == 401 and page.mimetype == "text/html"
    assert page.headers["WWW-Authenticate"].startswith("Basic ")
    assert page.headers["Cache-Control"] == "no-store"
    assert "<h1>Sign in to review corrections</h1>" in page.get_data(as_text=True)
    for accept in ({"Accept": "application/json"}, {"Accept": "*/*"}, {}):
        answer = client.get("/feedback", headers=accept)
        assert answer.status_code == 401 and answer.is_json, accept
        assert answer.get_json()["error"].startswith("Expected the review token")
    stats = client.get("/api/feedback/stats", headers=browser)  # Bearer only: JSON always
    assert stats.status_code == 401 and stats.is_json
