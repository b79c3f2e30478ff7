"""Abusive corrections are bounded: junk is not stored, floods get 429, a full store gets 507."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from drawadigit.contract import NOT_A_DIGIT
from drawadigit.corrections.pictures import DRAWING_SIDE
from drawadigit.settings import Settings
from tests.support import (
    CORRECTION,
    SEVEN,
    SEVEN_URL,
    SHIPPED_MODEL,
    corrections_config,
    cross,
    data_url,
    free_port,
    model_reading,
    png_bytes,
    sqlite_url,
)

IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def on_disk(path) -> int:
    """Bytes an SQLite database takes on disk, its write-ahead log included."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def junk_chunk(size: int) -> bytes:
    """A PNG ancillary chunk of `size` random bytes, valid and ignored by decoders."""
    data = np.random.default_rng(0).integers(0, 256, size, np.uint8).tobytes()
    body = b"zjNK" + data
    return struct.pack(">I", size) + body + struct.pack(">I", zlib.crc32(body))


# --- only what was decoded is stored -----------------------------------------------------------


@pytest.mark.parametrize("where", ["after IEND", "in a chunk"])
def test_junk_carried_in_a_png_is_never_stored_or_served(make_app, tmp_path, where):
    junk = np.random.default_rng(1).integers(0, 256, 2_900_000, np.uint8).tobytes()
    if where == "after IEND":
        png = SEVEN.png + junk  # a zip inside would be a free file host
    else:
        png = SEVEN.png[:33] + junk_chunk(2_900_000) + SEVEN.png[33:]
    assert SEVEN.png.endswith(IEND)
    body = {"image": data_url(png), "label": 7}
    path = tmp_path / "feedback.sqlite3"
    app = make_app(**corrections_config(sqlite_url(tmp_path)))
    client = app.test_client()
    assert client.post("/api/feedback", json=CORRECTION).status_code == 201  # the file exists
    before = on_disk(path)
    ids = []
    for _ in range(60):
        response = client.post("/api/feedback", json=body)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    grown = on_disk(path) - before
    assert grown < 5_000_000, f"60 corrections grew the database by {grown:,} bytes"
    store = app.extensions["corrections_store"]
    served = store.image(ids[-1])
    assert len(served) < 50_000 and served.endswith(IEND) and junk[:64] not in served
    image = Image.open(io.BytesIO(served))
    assert image.mode == "L" and max(image.size) <= DRAWING_SIDE


def test_a_huge_drawing_is_stored_downscaled(make_app, tmp_path):
    big = Image.open(io.BytesIO(SEVEN.png)).resize((2000, 1000))
    body = {"image": data_url(png_bytes(big))}
    app = make_app(**corrections_config(sqlite_url(tmp_path)))
    response = app.test_client().post("/api/feedback", json={**body, "label": 7})
    assert response.status_code == 201
    served = app.extensions["corrections_store"].image(response.get_json()["id"])
    assert Image.open(io.BytesIO(served)).size == (
        DRAWING_SIDE,
        DRAWING_SIDE // 2,
    )


@pytest.mark.usefixtures("shipped_model")
def test_a_model_with_refusal_stores_not_a_digit_as_its_own_reading(make_app, tmp_path):
    url = data_url(cross(np.random.default_rng(0)))
    app = make_app(SHIPPED_MODEL, **corrections_config(sqlite_url(tmp_path)))
    client = app.test_client()
    said = model_reading(client, url)
    assert said == "not_a_digit"  # the shipped model refuses an X
    response = client.post("/api/feedback", json={"image": url, "label": 5, "predicted": 5})
    assert response.status_code == 201 and response.get_json()["predicted"] == "not_a_digit"
    (record,) = app.extensions["corrections_store"].recent()
    assert record["predicted"] == NOT_A_DIGIT


# --- rate limit per client -----------------------------------------------------------------------


def limited_app(make_app, url: str, limit: str | None, **extra):
    """The app with FEEDBACK_RATE_LIMIT `limit` (None: the default)."""
    config = corrections_config(url, **extra)
    if limit is None:
        del config["FEEDBACK_RATE_LIMIT"]
    else:
        config["FEEDBACK_RATE_LIMIT"] = limit
    return make_app(**config)


def test_a_thousand_rapid_corrections_from_one_client_get_429s(make_app, tmp_path):
    app = limited_app(make_app, sqlite_url(tmp_path), "5 per minute")
    client = app.test_client()
    responses = [client.post("/api/feedback", json=CORRECTION) for _ in range(1000)]
    statuses = [r.status_code for r in responses]
    assert statuses == [201] * 5 + [429] * 995
    refused = responses[-1]
    assert refused.is_json and "at most 5 per 1 minute" in refused.get_json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert app.extensions["corrections_store"].count() == 5
    # Another client is not held back, and predictions are never limited.
    other = client.post("/api/feedback", json=CORRECTION, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 201
    for _ in range(20):
        assert client.post("/predict", json={"image": SEVEN_URL}).status_code == 200


def test_only_corrections_pay_for_the_limiter(make_app, tmp_path, monkeypatch):
    app = limited_app(make_app, sqlite_url(tmp_path), "5 per minute")
    limiter = app.extensions["corrections_limiter"]
    checked = []
    identify = limiter.identify_request
    monkeypatch.setattr(limiter, "identify_request", lambda: checked.append(1) or identify())
    client = app.test_client()
    for _ in range(3):
        assert client.post("/predict", json={"image": SEVEN_URL}).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert checked == []  # no limit on predictions, so no bookkeeping either
    assert client.post("/api/feedback", json=CORRECTION).status_code == 201
    assert checked


def test_the_default_configuration_limits_corrections(make_app, tmp_path):
    app = limited_app(make_app, sqlite_url(tmp_path), None)
    assert app.extensions["settings"].feedback_rate_limit == "20 per minute;500 per day"
    assert app.extensions["settings"].ratelimit_storage_uri == "memory://"
    client = app.test_client()
    statuses = [client.post("/api/feedback", json=CORRECTION).status_code for _ in range(30)]
    assert statuses == [201] * 20 + [429] * 10


def test_rejected_requests_count_too_so_garbage_cannot_flood(make_app, tmp_path):
    app = limited_app(make_app, sqlite_url(tmp_path), "3 per minute")
    client = app.test_client()
    statuses = [client.post("/api/feedback", json={"label": 7}).status_code for _ in range(5)]
    assert statuses == [400] * 3 + [429] * 2


def test_two_instances_sharing_redis_share_the_count(make_app, tmp_path, redis_server):
    apps = [
        limited_app(
            make_app,
            sqlite_url(tmp_path),
            "6 per minute",
            RATELIMIT_STORAGE_URI=redis_server,
        )
        for _ in range(2)
    ]
    first, second = (app.test_client() for app in apps)
    statuses = []
    for _ in range(4):
        statuses.append(first.post("/api/feedback", json=CORRECTION).status_code)
        statuses.append(second.post("/api/feedback", json=CORRECTION).status_code)
    assert statuses == [201] * 6 + [429] * 2
    # Without the shared store, each process counts on its own: that is what memory:// means.
    alone = limited_app(make_app, sqlite_url(tmp_path), "6 per minute")
    assert alone.test_client().post("/api/feedback", json=CORRECTION).status_code == 201


def test_an_unreachable_redis_does_not_take_corrections_down(make_app, tmp_path):
    uri = f"redis://127.0.0.1:{free_port()}"
    app = limited_app(make_app, sqlite_url(tmp_path), "2 per minute", RATELIMIT_STORAGE_URI=uri)
    client = app.test_client()
    statuses = [client.post("/api/feedback", json=CORRECTION).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]  # the limit still holds, in this process's memory
    assert client.post("/predict", json={"image": SEVEN_URL}).status_code == 200


# --- storage cap ---------------------------------------------------------------------------------


def test_a_full_store_answers_507_until_records_are_deleted(make_app, database_url):
    app = make_app(**corrections_config(database_url, FEEDBACK_MAX_RECORDS=3))
    client = app.test_client()
    ids = [client.post("/api/feedback", json=CORRECTION).get_json()["id"] for _ in range(3)]
    full = client.post("/api/feedback", json=CORRECTION)
    assert full.status_code == 507 and full.is_json
    assert full.get_json()["error"] == (
        "The store holds its maximum of 3 corrections. No more are taken until some are "
        "deleted or FEEDBACK_MAX_RECORDS is raised."
    )
    store = app.extensions["corrections_store"]
    assert store.count() == 3
    assert store.delete(ids[0])
    assert client.post("/api/feedback", json=CORRECTION).status_code == 201


def test_the_default_cap_is_set(app):
    assert app.extensions["settings"].feedback_max_records == Settings().feedback_max_records
    assert app.extensions["corrections_store"].max_records == 50_000
