"""A number corrected digit by digit: `"digits": [...]` instead of `label`, one record per digit
read, each with its own 28x28, its box, the drawing's strokes and the number as corrected; and
training with corrections learns from each digit. Bad `digits` are 400s, a drawing that does not
read as that many digits a 422, always as JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa

from drawadigit.corrections.store import CorrectionStore
from drawadigit.training import datasets
from tests.support import SHIPPED_MODEL, corrections_config, data_url, number_drawing, sqlite_url

NUMBER = [(2, "curve"), (0, "oval"), (2, "curve"), (6, "curl")]  # 2026, read as such
STROKES = [[[10, 10], [30, 60]], [[40, 10], [60, 60]]]


@pytest.fixture(scope="module")
def shipped_app(tmp_path_factory):
    """The app around the shipped model (a number needs a model that reads digits), its
    corrections kept in an SQLite file of its own."""
    from drawadigit import web

    folder = tmp_path_factory.mktemp("numbers")
    config = {"MODEL_PATH": str(SHIPPED_MODEL), "TRAIN_IF_MISSING": False}
    app = web.create_app({**config, **corrections_config(sqlite_url(folder))})
    app.config["TEST_DATABASE"] = sqlite_url(folder)  # where the test reads it back
    yield app
    app.extensions["corrections_store"].close()


@pytest.fixture(scope="module")
def number_url() -> str:
    return data_url(number_drawing(NUMBER).png)


def stored_rows(app, ids: list[str]) -> list[sa.Row]:
    """The rows the server committed for `ids`, read back independently of it, in order."""
    engine = sa.create_engine(app.config["TEST_DATABASE"])
    query = sa.text("SELECT public_id, label, predicted, box, number, strokes FROM feedback")
    with engine.connect() as connection:
        rows = {r.public_id: r for r in connection.execute(query)}
    engine.dispose()
    return [rows[i] for i in ids]


def test_a_number_is_stored_digit_by_digit_with_boxes_and_strokes(shipped_app, number_url):
    client = shipped_app.test_client()
    reading = client.post("/predict", json={"image": number_url, "strokes": STROKES}).get_json()
    assert reading["reading"] == "number" and reading["number"] == "2026"
    body = {"image": number_url, "digits": [2, 0, 2, 7], "strokes": STROKES}
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["number"] == "2027" and answer["predicted"] == "2026"
    rows = stored_rows(shipped_app, answer["ids"])
    assert [(r.label, r.predicted) for r in rows] == [(2, 2), (0, 0), (2, 2), (7, 6)]
    assert [json.loads(r.box) for r in rows] == [d["box"] for d in reading["digits"]]
    assert {r.number for r in rows} == {"2027"}
    assert all(json.loads(r.strokes) == STROKES for r in rows)

    store = CorrectionStore(shipped_app.config["TEST_DATABASE"])
    ids, fields, labels = store.dataset()
    store.close()
    assert labels.tolist()[-4:] == [2, 0, 2, 7]  # each digit a training example of its own
    assert len({fields[i].tobytes() for i in range(-4, 0)}) == 4  # each its own 28x28
    corrections = datasets.load_corrections(shipped_app.config["TEST_DATABASE"])
    learned = np.concatenate([corrections.train.y, corrections.held_out.y])
    assert sorted(learned.tolist()) == [0, 2, 2, 7]  # the store holds this number only
    trained = datasets.with_corrections(datasets.Labelled(fields[:0], labels[:0]), corrections)
    assert len(trained.y) == len(corrections.train.y) * datasets.CORRECTION_REPEAT


@pytest.mark.parametrize(
    ("digits", "message"),
    [
        ("2027", "received a JSON string"),
        ([], "received a list of 0"),
        ([7], "received a list of 1"),
        ([2, 0, 2, 10], "received 10"),
        ([2, 0, 2, True], "received a JSON boolean"),
        ([2, 0, 2, "7"], "received '7'"),
        ([2, 0, 2, 7.5], "received 7.5"),
        ([1] * 65, "received a list of 65"),
    ],
)
def test_bad_digits_are_a_400_saying_what_was_expected(shipped_app, number_url, digits, message):
    response = shipped_app.test_client().post(
        "/api/feedback", json={"image": number_url, "digits": digits}
    )
    assert response.status_code == 400 and response.is_json
    error = response.get_json()["error"]
    assert error.startswith("Expected field 'digits' to be a list of 2 to 64 digits 0-9")
    assert message in error


def test_digits_that_do_not_match_the_reading_are_a_422(shipped_app, number_url):
    client = shipped_app.test_client()
    response = client.post("/api/feedback", json={"image": number_url, "digits": [2, 0, 2]})
    assert response.status_code == 422
    assert response.get_json()["error"] == (
        "Expected a drawing read as a number of 3 digits, one for each of 'digits'; "
        "it reads as a number of 4."
    )
    both = client.post("/api/feedback", json={"image": number_url, "digits": [1, 2], "label": 1})
    assert both.status_code == 400
    assert (
        both.get_json()["error"] == "Expected field 'label' or 'digits', not both; received both."
    )
