"""The review of corrections is private: only REVIEW_TOKEN opens it, as a Bearer token or as an
HTTP Basic password; without one set it is not served at all; public ids give nothing away.

Storage-backed tests run on both databases (conftest's `database_url`).
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from drawadigit import web
from tests.support import (
    BASIC,
    BEARER,
    SEVEN_URL,
    TOKEN,
    basic,
    model_reading,
    post_correction,
    seven_as_served,
    sqlite_url,
)


def review_urls(public_id: str) -> list[str]:
    """The routes a reviewer reads."""
    return [
        "/feedback",
        "/api/feedback/stats",
        f"/api/feedback/{public_id}/image.png",
        f"/api/feedback/{public_id}/field.png",
    ]


def test_without_review_token_the_review_routes_are_not_served(open_app):
    public_id = post_correction(open_app)  # corrections themselves stay open
    client = open_app.test_client()
    for url in review_urls(public_id):
        for headers in ({}, BEARER, BASIC):
            response = client.get(url, headers=headers)
            assert response.status_code == 404 and response.is_json, url
            assert "not served" in response.get_json()["error"]
    response = client.post(f"/feedback/{public_id}", data={"action": "delete"}, headers=BEARER)
    assert response.status_code == 404
    assert open_app.extensions["corrections_store"].count() == 1


def test_without_review_token_bad_review_parameters_still_get_404(open_app):
    response = open_app.test_client().get("/feedback?before=3&limit=x", headers=BASIC)
    assert response.status_code == 404 and "not served" in response.get_json()["error"]


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
def test_a_missing_or_wrong_credential_gets_401_with_a_challenge(corrections_app, headers):
    public_id = post_correction(corrections_app)
    client = corrections_app.test_client()
    for url in review_urls(public_id):
        response = client.get(url, headers=headers)
        assert response.status_code == 401 and response.is_json, url
        assert "Expected the review token" in response.get_json()["error"]
        scheme = "Bearer" if url.endswith("stats") else "Basic"
        assert response.headers["WWW-Authenticate"].startswith(f'{scheme} realm="corrections"')


def test_the_token_opens_the_review_as_bearer_or_basic(corrections_app):
    public_id = post_correction(corrections_app)
    client = corrections_app.test_client()
    for url in review_urls(public_id):
        assert client.get(url, headers=BEARER).status_code == 200, url
    for url in review_urls(public_id):  # a browser: any user name, the token as password
        status = client.get(url, headers=basic(TOKEN, user="reviewer")).status_code
        assert status == (401 if url.endswith("stats") else 200), url


@pytest.mark.parametrize("token", ["from-the-environment", "1e5000000000000000", "0" * 15 + "7"])
def test_the_review_token_comes_from_flask_review_token(
    tiny_model_path, tmp_path, monkeypatch, token
):
    # Taken as written: "1e5..." or "0...7" would be numbers to Flask's JSON-parsing env loader.
    monkeypatch.setenv("MODEL_PATH", str(tiny_model_path))
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path))
    monkeypatch.setenv("FLASK_TRAIN_IF_MISSING", "false")
    monkeypatch.setenv("FLASK_REVIEW_TOKEN", token)
    app = web.create_app()  # no test mapping: the configuration comes from the environment
    client = app.test_client()
    assert client.get("/feedback").status_code == 401
    assert client.get("/feedback", headers=basic(token)).status_code == 200
    authorised = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/feedback/stats", headers=authorised).status_code == 200
    app.extensions["corrections_store"].close()


def test_review_answers_are_never_cached_and_images_stay_on_this_origin(corrections_app):
    public_id = post_correction(corrections_app)
    client = corrections_app.test_client()
    for url in review_urls(public_id):
        response = client.get(url, headers=BEARER)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        if url.endswith(".png"):
            assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin", url
    moderated = client.post(f"/feedback/{public_id}", data={"action": "hide"}, headers=BEARER)
    assert moderated.status_code == 200 and moderated.headers["Cache-Control"] == "no-store"


def test_public_ids_are_random_and_sequential_ids_open_nothing(corrections_app):
    ids = [post_correction(corrections_app) for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", i) for i in ids)
    client = corrections_app.test_client()
    for guess in ("1", "2", "3", "0"):
        response = client.get(f"/api/feedback/{guess}/image.png", headers=BEARER)
        assert response.status_code == 404
    page = client.get("/feedback", headers=BASIC).get_data(as_text=True)
    assert all(f'data-id="{i}"' in page for i in ids)


def test_review_page_lists_recent_corrections_with_both_thumbnails(corrections_app):
    client = corrections_app.test_client()
    empty = client.get("/feedback", headers=BASIC)
    assert empty.status_code == 200 and b"No corrections yet" in empty.data
    ids = []
    said = model_reading(client)
    labels = [d for d in range(10) if d != said][:2]
    for label in labels:
        body = {"image": SEVEN_URL, "label": label}
        ids.append(client.post("/api/feedback", json=body).get_json()["id"])
    page = client.get("/feedback", headers=BASIC).get_data(as_text=True)
    assert page.index(f'data-id="{ids[1]}"') < page.index(f'data-id="{ids[0]}"')  # newest first
    for public_id in ids:
        drawing = client.get(f"/api/feedback/{public_id}/image.png", headers=BASIC)
        assert drawing.status_code == 200 and drawing.mimetype == "image/png"
        assert drawing.data == seven_as_served()
        assert f"/api/feedback/{public_id}/image.png" in page
        field = client.get(f"/api/feedback/{public_id}/field.png", headers=BASIC)
        assert field.status_code == 200 and field.mimetype == "image/png"
        assert Image.open(io.BytesIO(field.data)).size == (28, 28)
        assert f"/api/feedback/{public_id}/field.png" in page
    assert "2 in all; the model was right on 0" in page
    missing = client.get("/api/feedback/nothing-here/image.png", headers=BASIC)
    assert missing.status_code == 404 and missing.get_json() == {
        "error": "No correction nothing-here."
    }
