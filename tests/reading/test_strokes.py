"""The drawing's pen strokes beside its image: POST /predict and POST /api/feedback take them
(JSON, or JSON text in a form field), refuse bad ones with a 400 or 413 naming the problem,
hand them to the reading as arrays in the image's pixels, and the corrections keep them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from drawadigit import reading
from drawadigit.web import api
from tests.support import SEVEN_URL, STROKES, stored_total

SIDE = 280  # SEVEN's canvas
BOX = (0.2, 0.15, 0.8, 0.85)  # where `sketches.stroke_drawing` put its strokes


def seven_strokes(with_time: bool = False) -> list[list[list[float]]]:
    """SEVEN's strokes in its own pixels, as the page sends them; `t` 8 ms apart if asked."""
    x0, y0, x1, y1 = BOX
    strokes, t = [], 0.0
    for stroke in STROKES[7]:
        points = []
        for x, y in stroke:
            point = [(x0 + x * (x1 - x0)) * SIDE, (y0 + y * (y1 - y0)) * SIDE]
            points.append([*point, t] if with_time else point)
            t += 8.0
        strokes.append(points)
    return strokes


def many_points(n: int) -> list[list[list[float]]]:
    """One long stroke of `n` points across the drawing."""
    return [[[20.0 + 200.0 * i / n, 140.0] for i in range(n)]]


BAD_STROKES = [
    pytest.param({"x": 1}, 400, "Expected field 'strokes' to be a list", id="not-a-list"),
    pytest.param("[[1, 2]]", 400, "received a JSON string", id="a-string"),
    pytest.param([[[1, 2]], 7], 400, "Expected strokes[1] to be a list", id="stroke-not-a-list"),
    pytest.param(
        [[]],
        400,
        "strokes[0] to be a list of [x, y] or [x, y, t] points; received an empty list",
        id="empty-stroke",
    ),
    pytest.param([[[1, 2], [3]]], 400, "strokes[0][1] to be a point", id="one-number"),
    pytest.param([[[1, 2, 3, 4]]], 400, "received a list of 4 values", id="four-numbers"),
    pytest.param([[[1, "2"]]], 400, "received a list holding a JSON string", id="string-number"),
    pytest.param([[[1, True]]], 400, "received a list holding a JSON boolean", id="boolean"),
    pytest.param([[[1, 2], 5]], 400, "strokes[0][1] to be a point", id="point-not-a-list"),
    pytest.param([[[1, 2, 0], [3, 4]]], 400, "[x, y, t] like strokes[0][0]", id="time-mixed"),
    pytest.param([[[10, 10], [SIDE + 281, 10]]], 400, "strokes[0][1] at (561, 10)", id="far-right"),
    pytest.param([[[10, -300]]], 400, "at most 280 (its longer side) outside", id="far-above"),
    pytest.param([[[1, 2]]] * (api.MAX_STROKES + 1), 413, "at most 512 strokes", id="strokes"),
    pytest.param(many_points(api.MAX_STROKE_POINTS + 1), 413, "at most 20,000 points", id="points"),
]


@pytest.mark.parametrize("path", ["/predict", "/api/feedback"])
@pytest.mark.parametrize(("strokes", "status", "message"), BAD_STROKES)
def test_bad_strokes_are_refused_naming_the_problem(sqlite_app, path, strokes, status, message):
    body = {"image": SEVEN_URL, "label": 7, "strokes": strokes}
    response = sqlite_app.test_client().post(path, json=body)
    assert response.status_code == status and response.is_json
    assert message in response.get_json()["error"]
    assert stored_total(sqlite_app) == 0


@pytest.mark.parametrize("path", ["/predict", "/api/feedback"])
@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("NaN", "received NaN, which is not JSON"),
        ("Infinity", "received Infinity, which is not JSON"),
        (
            "1e999",
            "strokes[0][0] to be a point [x, y] or [x, y, t] of finite numbers; received "
            "a list holding inf",
        ),
    ],
)
def test_numbers_that_are_not_finite_are_refused(sqlite_app, path, number, message):
    body = json.dumps({"image": SEVEN_URL, "label": 7, "strokes": [[[1.0, 2.5]]]})
    response = sqlite_app.test_client().post(
        path, data=body.replace("2.5", number), content_type="application/json"
    )
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_the_limits_themselves_are_accepted(client):
    at_limit = [[[20.0, 20.0]]] * (api.MAX_STROKES - 1) + many_points(
        api.MAX_STROKE_POINTS - api.MAX_STROKES + 1
    )
    assert sum(map(len, at_limit)) == api.MAX_STROKE_POINTS and len(at_limit) == api.MAX_STROKES
    response = client.post("/predict", json={"image": SEVEN_URL, "strokes": at_limit})
    assert response.status_code == 200


@pytest.fixture
def seen_strokes(monkeypatch) -> list:
    """The strokes `reading.read` is handed, request after request."""
    seen = []
    original = reading.read

    def read(image, classify, policy, strokes=None):
        seen.append(strokes)
        return original(image, classify, policy, strokes)

    monkeypatch.setattr(reading, "read", read)
    return seen


@pytest.mark.parametrize("with_time", [False, True], ids=["xy", "xyt"])
def test_predict_hands_the_strokes_to_the_reading_as_arrays(client, seen_strokes, with_time):
    sent = seven_strokes(with_time)
    response = client.post("/predict", json={"image": SEVEN_URL, "strokes": sent})
    assert response.status_code == 200
    (strokes,) = seen_strokes
    assert len(strokes) == len(sent)
    for array, stroke in zip(strokes, sent, strict=True):
        assert array.dtype == np.float64 and array.shape == (len(stroke), 3 if with_time else 2)
        np.testing.assert_array_equal(array, stroke)
    # The strokes do not change what the image alone reads today.
    alone = client.post("/predict", json={"image": SEVEN_URL}).get_json()
    assert response.get_json()["probabilities"] == alone["probabilities"]


@pytest.mark.parametrize("strokes", [[], None], ids=["empty", "null"])
def test_an_empty_or_null_strokes_field_means_no_strokes(client, seen_strokes, strokes):
    response = client.post("/predict", json={"image": SEVEN_URL, "strokes": strokes})
    assert response.status_code == 200
    assert seen_strokes == [None]


def test_points_a_little_outside_the_image_are_accepted(client):
    # A pen dragged past the pad's edge: within the image's longer side of it.
    strokes = [[[-270.0, 10.0], [SIDE + 270.0, SIDE + 270.0]]]
    assert client.post("/predict", json={"image": SEVEN_URL, "strokes": strokes}).status_code == 200


def test_a_form_post_carries_strokes_as_json_text(client, seen_strokes):
    form = {"imageBase64": SEVEN_URL, "strokes": json.dumps(seven_strokes(True))}
    response = client.post("/predict", data=form)
    assert response.status_code == 200
    (strokes,) = seen_strokes
    assert [s.shape for s in strokes] == [(len(s), 3) for s in STROKES[7]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[1, 2", "as JSON text; received 6 characters that are not valid JSON"),
        ("[[[1, NaN]]]", "received NaN, which is not JSON"),
        ('{"a": 1}', "received a JSON object"),
        ("[[[1, 2, 3, 4]]]", "received a list of 4 values"),
    ],
)
def test_a_form_posts_bad_strokes_text_get_a_400(client, text, message):
    response = client.post("/predict", data={"imageBase64": SEVEN_URL, "strokes": text})
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize("with_time", [False, True], ids=["xy", "xyt"])
def test_a_correction_keeps_its_strokes(corrections_app, seen_strokes, with_time):
    sent = seven_strokes(with_time)
    client = corrections_app.test_client()
    response = client.post("/api/feedback", json={"image": SEVEN_URL, "label": 7, "strokes": sent})
    assert response.status_code == 201
    assert len(seen_strokes) == 1 and len(seen_strokes[0]) == len(sent)  # read with them
    stored = corrections_app.extensions["corrections_store"].strokes(response.get_json()["id"])
    assert [s.shape for s in stored] == [(len(s), 3 if with_time else 2) for s in sent]
    for array, stroke in zip(stored, sent, strict=True):
        np.testing.assert_allclose(array, stroke, atol=0.005)


def test_a_correction_without_strokes_keeps_none(corrections_app):
    client = corrections_app.test_client()
    response = client.post("/api/feedback", json={"image": SEVEN_URL, "label": 7})
    assert response.status_code == 201
    store = corrections_app.extensions["corrections_store"]
    assert store.strokes(response.get_json()["id"]) == []
    assert store.strokes("no-such-id") is None


def test_the_drawing_itself_is_unchanged_by_its_strokes(sqlite_app):
    store = sqlite_app.extensions["corrections_store"]
    client = sqlite_app.test_client()
    ids = [
        client.post("/api/feedback", json={"image": SEVEN_URL, "label": 7, **extra}).get_json()[
            "id"
        ]
        for extra in ({}, {"strokes": seven_strokes()})
    ]
    assert store.image(ids[0]) == store.image(ids[1])
