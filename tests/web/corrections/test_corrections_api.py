"""The corrections API: POST /api/feedback stores what was drawn with the server's own reading,
refuses what it cannot use with a JSON answer, and says when its database is away."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from drawadigit.corrections.pictures import DRAWING_SIDE
from drawadigit.reading import preprocessing
from drawadigit.web.corrections import submit
from tests.support import (
    BEARER,
    HYPOTHESIS,
    SEVEN,
    SEVEN_URL,
    corrections_config,
    data_url,
    free_port,
    json_values,
    model_reading,
    png_bytes,
    seven_as_served,
    stored_total,
)

BLANK_URL = data_url(png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0))))
ABSENT = object()


def test_posting_a_correction_stores_the_drawing_and_answers_201(corrections_app):
    client = corrections_app.test_client()
    response = client.post("/api/feedback", json={"image": SEVEN_URL, "label": 7, "predicted": 1})
    assert response.status_code == 201
    body = response.get_json()
    # The server's own reading, not the client's "predicted": 1.
    assert body == {"id": body["id"], "label": 7, "predicted": model_reading(client)}
    assert isinstance(body["id"], str) and len(body["id"]) >= 16
    assert response.headers["Location"] == f"/api/feedback/{body['id']}/image.png"

    store = corrections_app.extensions["corrections_store"]
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
    stored = sqlite_app.extensions["corrections_store"].image(response.get_json()["id"])
    image = Image.open(io.BytesIO(stored))
    assert stored.startswith(b"\x89PNG") and image.mode == "L"
    assert max(image.size) == DRAWING_SIDE and image.size[0] == image.size[1]
    grey = np.asarray(image)
    assert grey.max() == 255 and grey.min() < 40  # white paper, dark ink


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
        ([1, 2], "received a JSON array"),
    ],
)
def test_bad_corrections_get_400_and_nothing_is_stored(sqlite_app, body, message):
    client = sqlite_app.test_client()
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 400 and response.is_json
    assert message in response.get_json()["error"]
    assert stored_total(sqlite_app) == 0


def test_a_blank_correction_gets_422_as_on_predict_and_nothing_is_stored(sqlite_app):
    client = sqlite_app.test_client()
    response = client.post("/api/feedback", json={"image": BLANK_URL, "label": 7})
    assert response.status_code == 422 and response.is_json
    assert "nothing to learn from a blank" in response.get_json()["error"]
    assert client.post("/predict", json={"image": BLANK_URL}).status_code == 422
    assert stored_total(sqlite_app) == 0


@pytest.mark.parametrize("predicted", [ABSENT, 1, 12, "x", None, [7]])
def test_the_clients_predicted_is_optional_and_ignored(sqlite_app, predicted):
    client = sqlite_app.test_client()
    body = {"image": SEVEN_URL, "label": 7}
    if predicted is not ABSENT:
        body["predicted"] = predicted
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201
    assert response.get_json()["predicted"] == model_reading(client)
    (record,) = sqlite_app.extensions["corrections_store"].recent()
    assert submit.label_name(record["predicted"]) == model_reading(client)


correction_bodies = (
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
@given(payload=correction_bodies)
def test_random_corrections_always_get_a_json_answer_and_only_valid_ones_are_kept(
    sqlite_app, payload
):
    client = sqlite_app.test_client()
    before = stored_total(sqlite_app)
    body = json.dumps(payload)  # `json=None` would send no body at all
    response = client.post("/api/feedback", data=body, content_type="application/json")
    assert response.status_code in (201, 400, 422) and response.is_json, response.data[:200]
    label = payload.get("label") if isinstance(payload, dict) else None
    valid = (
        isinstance(payload, dict)
        and payload.get("image") == SEVEN_URL
        and ((type(label) is int and 0 <= label <= 9) or label == "not_a_digit")
    )
    assert (response.status_code == 201) == valid, response.get_json()
    assert stored_total(sqlite_app) == before + valid


def test_a_correction_needs_a_json_body(sqlite_app):
    client = sqlite_app.test_client()
    response = client.post("/api/feedback", data="label=7", content_type="text/plain")
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]
    response = client.post("/api/feedback", data="{", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["error"]
    response = client.post("/api/feedback", json={"image": "x" * (5 << 20), "label": 1})
    assert response.status_code == 413 and response.is_json
    assert stored_total(sqlite_app) == 0


def test_stats_count_how_often_the_servers_own_reading_was_right(corrections_app):
    client = corrections_app.test_client()
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


def test_an_unreachable_database_gives_503_and_predictions_go_on(make_app):
    url = f"postgresql://digits@127.0.0.1:{free_port()}/nowhere"
    client = make_app(**corrections_config(url)).test_client()
    body = {"image": SEVEN_URL, "label": 7}
    for _ in range(2):
        response = client.post("/api/feedback", json=body)
        assert response.status_code == 503
        assert response.get_json() == {
            "error": "The corrections database is unavailable; please try again later."
        }
        assert int(response.headers["Retry-After"]) > 0
    assert client.get("/api/feedback/stats", headers=BEARER).status_code == 503
    assert client.post("/predict", json={"image": SEVEN_URL}).status_code == 200
