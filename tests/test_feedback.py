"""People's corrections: the API, the storage (SQLite and PostgreSQL), durability, export, learning.

Every storage test runs twice through the `database_url` fixture: against an SQLite file and
against a real PostgreSQL server (conftest's `postgres_server`).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import feedback
import feedback_views
import flaskapp
import kerasModel
import mnist
import numpy as np
import preprocessing
import pytest
import sqlalchemy as sa
from feedback import Correction, FeedbackError, FeedbackStore
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from sketches import stroke_drawing
from support import ROOT, SEVEN, SEVEN_URL, free_port, png_bytes, request, started_server
from test_robustness import HYPOTHESIS, json_values


def data_url(png: bytes) -> str:
    """PNG bytes as a data URL, as the page sends them."""
    return "data:image/png;base64," + base64.b64encode(png).decode()


def correction(label: int = 7, predicted: int = 1, png: bytes = SEVEN.png) -> Correction:
    """A correction as the API builds one."""
    coverage = preprocessing.ink(preprocessing.decode(png))
    field = preprocessing.normalise_ink(coverage)
    probabilities = [0.05] * 10
    return Correction(label, predicted, probabilities, "cnn-0123456789abcdef", coverage, field)


TOKEN = "review-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
BASIC = {"Authorization": "Basic " + base64.b64encode(f"anyone:{TOKEN}".encode()).decode()}
# Route tests post more corrections than the default rate limit allows; its own tests lower it.
OPEN_LIMIT = "100000 per minute"


def app_config(model_path, database_url: str, **extra) -> dict:
    """The test configuration of an app around `model_path` storing into `database_url`."""
    return {
        "MODEL_PATH": str(model_path),
        "TRAIN_IF_MISSING": False,
        "DATABASE_URL": database_url,
        "REVIEW_TOKEN": TOKEN,
        "FEEDBACK_RATE_LIMIT": OPEN_LIMIT,
        **extra,
    }


def stored_total(app) -> int:
    """How many corrections the app's store holds, read directly."""
    return app.extensions["feedback_store"].count()


def seven_as_served() -> bytes:
    """What the store keeps of SEVEN: its ink, black on white, as a bounded greyscale PNG."""
    return feedback.drawing_png(preprocessing.ink(preprocessing.decode(SEVEN.png)))


@pytest.fixture
def store(database_url):
    """An empty store on each kind of database."""
    store = FeedbackStore(database_url)
    yield store
    store.close()


@pytest.fixture
def feedback_app(tiny_model_path, database_url):
    """The app around the tiny model, its corrections going to `database_url`."""
    app = flaskapp.create_app(app_config(tiny_model_path, database_url))
    yield app
    app.extensions["feedback_store"].close()


@pytest.fixture
def sqlite_app(tiny_model_path, tmp_path):
    """The app around the tiny model with an SQLite file of its own."""
    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    app = flaskapp.create_app(app_config(tiny_model_path, url))
    yield app
    app.extensions["feedback_store"].close()


# --- storage, on both databases ------------------------------------------------------------


def test_schema_is_created_on_first_use_and_versioned(store, database_url):
    engine = sa.create_engine(feedback.database_url(database_url))
    assert sa.inspect(engine).get_table_names() == []  # nothing before first use
    assert store.version() == len(feedback.MIGRATIONS) == 2
    assert set(sa.inspect(engine).get_table_names()) == {"feedback", "schema_version"}
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version FROM schema_version")).all()
    assert versions == [(1,), (2,)]
    columns = {c["name"] for c in sa.inspect(engine).get_columns("feedback")}
    assert {"public_id", "hidden"} <= columns
    engine.dispose()


def test_a_new_migration_runs_once_on_an_existing_database(store, database_url, monkeypatch):
    public_id = store.add(correction())
    store.close()
    ran = []

    def add_notes(connection):
        ran.append(True)
        connection.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"))

    monkeypatch.setattr(feedback, "MIGRATIONS", [*feedback.MIGRATIONS, add_notes])
    for _ in range(2):  # a second instance starting later finds it done
        later = FeedbackStore(database_url)
        assert later.version() == 3
        later.close()
    assert ran == [True]
    again = FeedbackStore(database_url)
    assert [r["public_id"] for r in again.recent()] == [public_id]  # the data survived
    again.close()


def test_a_correction_is_stored_whole_and_read_back(store):
    stored = correction(label=7, predicted=1)
    public_id = store.add(stored)
    assert isinstance(public_id, str) and len(public_id) >= 16
    assert store.image(public_id) == seven_as_served()
    np.testing.assert_allclose(store.field(public_id), stored.field, atol=0.5 / 255)
    (record,) = store.recent()
    assert record["public_id"] == public_id and record["hidden"] is False
    assert (record["label"], record["predicted"]) == (7, 1)
    assert record["probabilities"] == [0.05] * 10
    assert record["model_version"] == "cnn-0123456789abcdef"
    assert record["created"].utcoffset().total_seconds() == 0  # UTC, on both databases
    assert store.image(public_id + "x") is None and store.field(public_id + "x") is None
    assert store.image(str(record["id"])) is None  # the sequential id opens nothing


def test_stats_count_per_digit_drawn_and_how_often_the_model_was_right(store):
    for label, predicted in [(7, 1), (7, 7), (7, 7), (3, 8), (0, 0), (10, 4), (10, 10)]:
        store.add(correction(label, predicted))
    stats = store.stats()
    assert stats["total"] == 7 and stats["model_right"] == 4
    assert stats["model_accuracy"] == 0.5714
    assert stats["not_a_digit"] == {"total": 2, "model_right": 1, "model_accuracy": 0.5}
    assert stats["per_digit"]["7"] == {"total": 3, "model_right": 2, "model_accuracy": 0.6667}
    assert stats["per_digit"]["3"] == {"total": 1, "model_right": 0, "model_accuracy": 0.0}
    assert stats["per_digit"]["5"] == {"total": 0, "model_right": 0, "model_accuracy": None}
    assert sorted(stats["per_digit"]) == [str(d) for d in range(10)]


def test_recent_lists_newest_first_within_the_limit(store):
    ids = [store.add(correction(label=d)) for d in range(5)]
    assert [r["public_id"] for r in store.recent(3)] == ids[::-1][:3]


def test_threads_and_instances_write_to_one_database_without_losing_any(store, database_url):
    other = FeedbackStore(database_url)  # a second app instance on the same database
    errors = []

    def add_many(target, label):
        try:
            for _ in range(10):
                target.add(correction(label=label))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=add_many, args=(s, i)) for i, s in enumerate([store, other] * 3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids, _, labels = other.dataset()
    assert len(set(ids.tolist())) == 60 and store.stats()["total"] == 60
    assert np.bincount(labels).tolist() == [10] * 6
    other.close()


def test_dataset_and_export_as_mnist_gz_idx(store, tmp_path):
    for label in (4, 2, 9):
        store.add(correction(label=label))
    images_path, labels_path, n = feedback.export(store, tmp_path / "out")
    assert n == 3
    assert images_path.name == "feedback-images-idx3-ubyte.gz"
    assert labels_path.name == "feedback-labels-idx1-ubyte.gz"
    images = gzip.decompress(images_path.read_bytes())
    labels = gzip.decompress(labels_path.read_bytes())
    # MNIST's own header: magic number, then each dimension, big-endian.
    assert int.from_bytes(images[:4], "big") == mnist.IMAGES_MAGIC
    assert [int.from_bytes(images[i : i + 4], "big") for i in (4, 8, 12)] == [3, 28, 28]
    assert int.from_bytes(labels[:4], "big") == mnist.LABELS_MAGIC
    assert int.from_bytes(labels[4:8], "big") == 3 and list(labels[8:]) == [4, 2, 9]
    _, fields, _ = store.dataset()
    assert np.frombuffer(images[16:], np.uint8).reshape(3, 28, 28).tolist() == fields.tolist()
    assert fields.max() == 255  # ink at full strength, like MNIST


def test_held_out_share_is_stable_per_id():
    held = [feedback.is_held_out(i) for i in range(1, 2001)]
    assert 0.17 < np.mean(held) < 0.23
    assert held == [feedback.is_held_out(i) for i in range(1, 2001)]


def test_sqlite_runs_in_wal_mode_with_synced_commits(tmp_path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'sub' / 'f.sqlite3'}")
    store.add(correction())
    with store.engine().connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()


@pytest.mark.parametrize("url", ["mysql://db/x", "feedback.sqlite3", "sqlite://", ""])
def test_unsupported_database_urls_are_refused_with_the_reason(url):
    with pytest.raises(FeedbackError, match="sqlite:///"):
        FeedbackStore(url).version()


def test_the_app_refuses_to_start_with_a_bad_database_url(tiny_model_path):
    config = {"MODEL_PATH": str(tiny_model_path), "DATABASE_URL": "mysql://db/x"}
    with pytest.raises(FeedbackError, match="DATABASE_URL"):
        flaskapp.create_app(config)


# --- the API ---------------------------------------------------------------------------------


def model_reading(client, url: str = SEVEN_URL) -> int | str:
    """What /predict answers for a drawing, as the feedback API spells a label."""
    answer = client.post("/predict", json={"image": url}).get_json()
    return "not_a_digit" if answer["reading"] == "not_a_digit" else answer["digit"]


def test_post_feedback_stores_the_drawing_and_answers_201(feedback_app):
    client = feedback_app.test_client()
    response = client.post("/api/feedback", json={"image": SEVEN_URL, "label": 7, "predicted": 1})
    assert response.status_code == 201
    body = response.get_json()
    # The server's own reading, not the client's "predicted": 1.
    assert body == {"id": body["id"], "label": 7, "predicted": model_reading(client)}
    assert isinstance(body["id"], str) and len(body["id"]) >= 16
    assert response.headers["Location"] == f"/api/feedback/{body['id']}/image.png"

    store = feedback_app.extensions["feedback_store"]
    (record,) = store.recent()
    model = client.get("/api/model").get_json()
    assert record["model_version"] == f"{model['architecture']}-{model['file']['sha256'][:16]}"
    answer = client.post("/predict", json={"image": SEVEN_URL}).get_json()
    np.testing.assert_allclose(record["probabilities"], answer["probabilities"], atol=1e-5)
    assert store.image(body["id"]) == seven_as_served()
    expected = preprocessing.normalise_bytes(SEVEN.png)
    np.testing.assert_allclose(store.field(body["id"]), expected, atol=0.5 / 255)


def test_other_formats_are_stored_as_a_bounded_greyscale_png(sqlite_app):
    flat = Image.open(io.BytesIO(SEVEN.png)).convert("RGBA")
    white = Image.new("RGB", flat.size, "white")
    white.paste(flat, mask=flat.getchannel("A"))
    jpeg = base64.b64encode(png_bytes(white, "JPEG")).decode()
    client = sqlite_app.test_client()
    response = client.post("/api/feedback", json={"image": jpeg, "label": 7})
    assert response.status_code == 201
    stored = sqlite_app.extensions["feedback_store"].image(response.get_json()["id"])
    image = Image.open(io.BytesIO(stored))
    assert stored.startswith(b"\x89PNG") and image.mode == "L"
    assert max(image.size) == feedback.DRAWING_SIDE and image.size[0] == image.size[1]
    grey = np.asarray(image)
    assert grey.max() == 255 and grey.min() < 40  # white paper, dark ink


BLANK_URL = data_url(png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0))))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"image": SEVEN_URL, "predicted": 1},
            "Expected field 'label', a digit 0-9 or \"not_a_digit\"",
        ),
        (
            {"image": SEVEN_URL, "label": 10, "predicted": 1},
            "'label' to be a digit 0-9 or \"not_a_digit\"; received 10",
        ),
        ({"image": SEVEN_URL, "label": -1, "predicted": 1}, "received -1"),
        ({"image": SEVEN_URL, "label": "7", "predicted": 1}, "received the string '7'"),
        ({"image": SEVEN_URL, "label": "not a digit", "predicted": 1}, "received the string"),
        ({"image": SEVEN_URL, "label": True, "predicted": 1}, "received a JSON boolean"),
        ({"image": SEVEN_URL, "label": 7.0, "predicted": 1}, "received 7.0"),
        ({"image": SEVEN_URL, "label": None, "predicted": 1}, "received a JSON null"),
        ({"label": 7, "predicted": 1}, "Expected field 'image'"),
        ({"image": 42, "label": 7, "predicted": 1}, "received a JSON number"),
        ({"image": "not base64!", "label": 7, "predicted": 1}, "base64"),
        ({"image": data_url(b"GIF89a nonsense"), "label": 7, "predicted": 1}, "image"),
        ({"image": BLANK_URL, "label": 7, "predicted": 1}, "nothing to learn from a blank"),
        ([1, 2], "received a JSON array"),
    ],
)
def test_bad_corrections_get_400_and_nothing_is_stored(sqlite_app, body, message):
    client = sqlite_app.test_client()
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 400 and response.is_json
    assert message in response.get_json()["error"]
    assert stored_total(sqlite_app) == 0


ABSENT = object()


@pytest.mark.parametrize("predicted", [ABSENT, 1, 12, "x", None, [7]])
def test_the_clients_predicted_is_optional_and_ignored(sqlite_app, predicted):
    client = sqlite_app.test_client()
    body = {"image": SEVEN_URL, "label": 7}
    if predicted is not ABSENT:
        body["predicted"] = predicted
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201
    assert response.get_json()["predicted"] == model_reading(client)
    (record,) = sqlite_app.extensions["feedback_store"].recent()
    assert feedback_views.label_name(record["predicted"]) == model_reading(client)


feedback_bodies = (
    st.dictionaries(
        st.sampled_from(["image", "label", "predicted", "x"]),
        json_values
        | st.integers(-2, 12)
        | st.sampled_from([SEVEN_URL, BLANK_URL, "data:,", "not_a_digit"]),
        max_size=4,
    )
    | json_values
)


@HYPOTHESIS
@given(payload=feedback_bodies)
def test_random_corrections_always_get_a_json_answer_and_only_valid_ones_are_kept(
    sqlite_app, payload
):
    client = sqlite_app.test_client()
    before = stored_total(sqlite_app)
    body = json.dumps(payload)  # `json=None` would send no body at all
    response = client.post("/api/feedback", data=body, content_type="application/json")
    assert response.status_code in (201, 400) and response.is_json, response.data[:200]
    label = payload.get("label") if isinstance(payload, dict) else None
    valid = (
        isinstance(payload, dict)
        and payload.get("image") == SEVEN_URL
        and ((type(label) is int and 0 <= label <= 9) or label == "not_a_digit")
    )
    assert (response.status_code == 201) == valid, response.get_json()
    assert stored_total(sqlite_app) == before + valid


def test_feedback_needs_a_json_body(sqlite_app):
    client = sqlite_app.test_client()
    response = client.post("/api/feedback", data="label=7", content_type="text/plain")
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]
    response = client.post("/api/feedback", data="{", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["error"]
    response = client.post("/api/feedback", json={"image": "x" * (5 << 20), "label": 1})
    assert response.status_code == 413 and response.is_json
    assert stored_total(sqlite_app) == 0


def test_stats_count_how_often_the_servers_own_reading_was_right(feedback_app):
    client = feedback_app.test_client()
    said = model_reading(client)  # whatever the tiny model reads SEVEN as
    other = next(d for d in range(10) if d != said)
    # Clients claim the model said what was drawn: the stats never believe them.
    for label in (said, other, other):
        body = {"image": SEVEN_URL, "label": label, "predicted": label}
        assert client.post("/api/feedback", json=body).status_code == 201
    stats = client.get("/api/feedback/stats", headers=BEARER).get_json()
    assert stats["total"] == 3 and stats["model_right"] == 1
    assert stats["per_digit"][str(said)] == {"total": 1, "model_right": 1, "model_accuracy": 1.0}
    assert stats["per_digit"][str(other)] == {
        "total": 2,
        "model_right": 0,
        "model_accuracy": 0.0,
    }


def test_review_page_lists_recent_corrections_with_both_thumbnails(feedback_app):
    client = feedback_app.test_client()
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


def test_an_unreachable_database_gives_503_and_predictions_go_on(tiny_model_path):
    url = f"postgresql://digits@127.0.0.1:{free_port()}/nowhere"
    client = flaskapp.create_app(app_config(tiny_model_path, url)).test_client()
    body = {"image": SEVEN_URL, "label": 7}
    for _ in range(2):
        response = client.post("/api/feedback", json=body)
        assert response.status_code == 503
        assert response.get_json() == {
            "error": "The feedback database is unavailable; please try again later."
        }
        assert int(response.headers["Retry-After"]) > 0
    assert client.get("/api/feedback/stats", headers=BEARER).status_code == 503
    assert client.post("/predict", json={"image": SEVEN_URL}).status_code == 200


# --- durability ------------------------------------------------------------------------------


def test_an_acknowledged_correction_survives_sigkill_right_after_the_answer(
    database_url, shipped_model
):
    with started_server({"DATABASE_URL": database_url}) as (url, process):
        status, body = request(
            url + "/api/feedback", {"image": SEVEN_URL, "label": 4, "predicted": 7}
        )
        os.kill(process.pid, signal.SIGKILL)  # no shutdown, no flushing, nothing
        process.wait(10)
    assert status == 201
    store = FeedbackStore(database_url)
    _, fields, labels = store.dataset()
    (record,) = store.recent()
    store.close()
    assert record["public_id"] == body["id"] and labels.tolist() == [4]
    assert fields[0].max() == 255


def test_two_gunicorn_workers_share_one_database_without_losing_a_correction(
    database_url, shipped_model
):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEB_CONCURRENCY": "2",
        "FLASK_FEEDBACK_RATE_LIMIT": OPEN_LIMIT,
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    server = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read()
            assert time.monotonic() < deadline, "gunicorn did not become healthy within 60 s"
            try:
                if request(url + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        # Both workers open the database on their first correction, at the same moment.
        bodies = [{"image": SEVEN_URL, "label": i % 10, "predicted": 7} for i in range(80)]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda b: request(url + "/api/feedback", b), bodies))
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert [status for status, _ in answers] == [201] * 80
    assert len({body["id"] for _, body in answers}) == 80
    store = FeedbackStore(database_url)
    stats = store.stats()
    assert stats["total"] == 80 and stats["per_digit"]["7"]["model_right"] == 8
    assert store.version() == len(feedback.MIGRATIONS) and len(store.dataset()[0]) == 80
    store.close()


# --- learning --------------------------------------------------------------------------------


def cross(rng: np.random.Generator) -> bytes:
    """An X, drawn a little differently each time: a shape no MNIST digit has."""
    a, b = rng.uniform(-0.08, 0.08, 2)
    strokes = [[(0.0 + a, 0.0), (1.0, 1.0 + b)], [(1.0 - b, 0.0), (0.0, 1.0 + a)]]
    left, top = rng.uniform(0.1, 0.3, 2)
    box = (left, top, left + rng.uniform(0.4, 0.6), top + rng.uniform(0.5, 0.6))
    return stroke_drawing(strokes, 5, box=box, pen_width=float(rng.uniform(10, 18))).png


def dollar(rng: np.random.Generator) -> bytes:
    """A dollar sign: an S with a bar through it, which our negatives never include."""
    s = [(0.8, 0.2), (0.5, 0.05), (0.2, 0.25), (0.5, 0.5), (0.8, 0.75), (0.5, 0.95), (0.2, 0.8)]
    shift = rng.uniform(-0.05, 0.05)
    strokes = [[(x + shift, y) for x, y in s], [(0.5, -0.1), (0.5 + shift, 1.1)]]
    left, top = rng.uniform(0.1, 0.3, 2)
    box = (left, top, left + rng.uniform(0.3, 0.45), top + rng.uniform(0.5, 0.6))
    return stroke_drawing(strokes, 5, box=box, pen_width=float(rng.uniform(10, 18))).png


@pytest.mark.parametrize(
    ("draw", "label", "most_before"),
    # A model with refusal already refuses some dollar signs: it learns to refuse them all.
    [(cross, 5, 0.2), (dollar, "not_a_digit", 0.6)],
    ids=["an X said to be a 5", "a $ said to be no digit"],
)
def test_training_with_feedback_learns_the_corrections_and_evaluates_on_held_out_ones(
    tmp_path, tiny_model_path, mnist_dir, draw, label, most_before
):
    # People draw a shape and say what it is (a writer's private shorthand for a 5, or "that
    # is no digit"): 40 times.
    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    app = flaskapp.create_app(app_config(tiny_model_path, url))
    client, rng = app.test_client(), np.random.default_rng(0)
    for _ in range(40):
        body = {"image": data_url(draw(rng)), "label": label, "predicted": 8}
        answer = client.post("/api/feedback", json=body)
        assert answer.status_code == 201 and answer.get_json()["label"] == label
    app.extensions["feedback_store"].close()

    model_path = tmp_path / "model.h5"
    kerasModel.train_and_save(model_path, mnist_dir, arch="dense", epochs=2, limit=3000)
    _, metrics = kerasModel.train_and_save(
        model_path, mnist_dir, arch="dense", epochs=2, limit=3000, feedback_url=url
    )
    held_out = [i for i in range(1, 41) if feedback.is_held_out(i)]
    card = json.loads(kerasModel.card_path(model_path).read_text())
    used = card["training"]["feedback"]
    assert used["held_out"] == len(held_out) > 0 and used["train"] == 40 - len(held_out)
    assert used["repeat"] == kerasModel.FEEDBACK_REPEAT
    assert card["training"]["digits"] == 3000 + used["train"] * kerasModel.FEEDBACK_REPEAT
    stored = set(FeedbackStore(url).dataset()[2].tolist())
    assert stored == {label if label != "not_a_digit" else feedback.NOT_A_DIGIT}
    before = metrics["feedback_held_out_accuracy_before"]
    after = metrics["feedback_held_out_accuracy"]
    assert before == used["held_out_accuracy_before"]
    assert before <= most_before and after >= 0.8 and after > before, (before, after)
    assert card["metrics"]["feedback_held_out_accuracy"] == after
    assert metrics["mnist_test_accuracy"] >= 0.8  # the digits were not forgotten


def test_export_command_writes_the_idx_files(tmp_path):
    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    store = FeedbackStore(url)
    store.add(correction(label=6))
    store.close()
    assert feedback.main(["export", "--database-url", url, "--to", str(tmp_path / "out")]) == 0
    out = Path(tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == [
        "feedback-images-idx3-ubyte.gz",
        "feedback-labels-idx1-ubyte.gz",
    ]
