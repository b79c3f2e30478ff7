"""The HTTP contract of /predict, /healthz and the page, through Flask's test client."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from drawadigit import reading
from drawadigit.model import modelfile
from drawadigit.reading import preprocessing
from drawadigit.web import api
from tests import support
from tests.support import SEVEN, SEVEN_URL, png_bytes


def assert_prediction(body: dict) -> None:
    """A 200 body keeps the documented shape."""
    assert set(body) >= {"digit", "confidence", "probabilities", "model_input"}
    assert isinstance(body["digit"], int) and 0 <= body["digit"] <= 9
    probs = body["probabilities"]
    assert len(probs) == 10 and all(0.0 <= p <= 1.0 for p in probs)
    assert sum(probs) == pytest.approx(1.0, abs=1e-6)
    assert body["digit"] == int(np.argmax(probs))
    assert body["confidence"] == pytest.approx(max(probs))
    assert body["model_input"].startswith("data:image/png;base64,")
    preview = Image.open(io.BytesIO(base64.b64decode(body["model_input"].split(",", 1)[1])))
    assert preview.size == (28, 28)
    # What was read: a digit, a number or not a digit, and each digit with its box.
    assert body["reading"] in ("digit", "number", "not_a_digit")
    assert 0.0 <= body["not_a_digit"] <= 1.0
    if body["reading"] == "not_a_digit":
        assert body["number"] == "" and body["digits"] == []
        assert body["reason"] in ("too_small", "not_a_digit")
    else:
        assert body["number"] == "".join(str(d["digit"]) for d in body["digits"])
        assert (len(body["digits"]) == 1) == (body["reading"] == "digit")
    for entry in body["digits"]:
        assert set(entry) == {
            "digit",
            "confidence",
            "probabilities",
            "not_a_digit",
            "box",
            "model_input",
        }
        assert entry["digit"] == int(np.argmax(entry["probabilities"]))
        digit_input = base64.b64decode(entry["model_input"].split(",", 1)[1])
        assert Image.open(io.BytesIO(digit_input)).size == (28, 28)
        x0, y0, x1, y1 = entry["box"]
        assert 0 <= x0 < x1 and 0 <= y0 < y1


def test_index_serves_the_drawing_page(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for element_id in ("canvas", "predict", "clear", "prediction"):
        assert f'id="{element_id}"' in html


def test_index_loads_nothing_from_other_hosts(client):
    html = client.get("/").get_data(as_text=True)
    assert "https://" not in html and "http://" not in html.replace("http://www.w3.org/", "")


def test_predict_json_data_url_answers_digit_and_probabilities(client):
    response = client.post("/predict", json={"image": SEVEN_URL})
    assert response.status_code == 200
    assert response.is_json
    assert_prediction(response.get_json())


def test_predict_keeps_the_single_digit_answer_older_clients_read(client):
    body = client.post("/predict", json={"image": SEVEN_URL}).get_json()
    assert body["reading"] == "digit" and body["number"] == str(body["digit"])
    (only,) = body["digits"]
    # The old fields are the one digit's, and model_input is the whole drawing normalised.
    assert only["digit"] == body["digit"] and only["probabilities"] == body["probabilities"]
    assert only["confidence"] == body["confidence"]
    field = preprocessing.normalise_bytes(SEVEN.png)
    assert body["model_input"] == preprocessing.to_data_url(preprocessing.to_png(field))
    ink = preprocessing.ink(preprocessing.decode(SEVEN.png))
    rows, cols = np.nonzero(ink >= preprocessing.BBOX_THRESHOLD)
    assert only["box"] == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]


@pytest.fixture
def reader(make_app):
    """An app around the shipped model: a number is read only when its digits read surely
    (an untrained model's doubtful digits refuse it)."""
    return make_app(support.SHIPPED_MODEL)


def test_predict_reads_two_digits_apart_as_a_number_with_boxes_left_to_right(reader):
    client = reader.test_client()
    two = support.number_drawing([(4, "open"), (1, "stroke")], size=(400, 200))
    body = client.post("/predict", json={"image": support.data_url(two.png)}).get_json()
    assert_prediction(body)
    assert body["reading"] == "number" and len(body["number"]) == 2
    left, right = (entry["box"] for entry in body["digits"])
    assert left[2] <= right[0]  # ordered left to right, not overlapping
    assert right[2] <= 400 and max(left[3], right[3]) <= 200  # in the posted image's pixels


def test_each_digit_of_a_number_carries_the_28x28_it_was_read_from(reader):
    app, client = reader, reader.test_client()
    two = support.number_drawing([(4, "open"), (1, "stroke")], size=(400, 200))
    body = client.post("/predict", json={"image": support.data_url(two.png)}).get_json()
    model = app.extensions["digit_model"]
    read = reading.read_bytes(two.png, model.classify, model.policy)
    assert body["reading"] == "number" and len(read.digits) == 2
    shown = [entry["model_input"] for entry in body["digits"]]
    assert shown == [preprocessing.to_data_url(preprocessing.to_png(d.field)) for d in read.digits]
    assert len(set(shown)) == 2 and body["model_input"] not in shown  # each digit's own field


def test_the_answer_is_a_plain_function_of_the_image_bytes(app, client):
    with app.test_request_context():
        image, read = api.read_drawing(SEVEN.png, [])
    assert read.as_dict() == client.post("/predict", json={"image": SEVEN_URL}).get_json()
    assert image.size == Image.open(io.BytesIO(SEVEN.png)).size


def test_predict_accepts_bare_base64(client):
    bare = base64.b64encode(SEVEN.png).decode()
    a = client.post("/predict", json={"image": bare}).get_json()
    b = client.post("/predict", json={"image": SEVEN_URL}).get_json()
    assert a["probabilities"] == b["probabilities"]


def test_predict_form_field_imagebase64_gives_the_same_answer_as_json(client):
    form = client.post("/predict", data={"imageBase64": SEVEN_URL})
    json_ = client.post("/predict", json={"image": SEVEN_URL})
    assert form.status_code == 200
    assert form.get_json() == json_.get_json()


def test_predict_tolerates_form_posts_whose_plus_signs_became_spaces(client):
    mangled = SEVEN_URL.replace("+", " ")
    response = client.post(
        "/predict",
        data="imageBase64=" + mangled.replace(" ", "%20").replace("/", "%2F"),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.get_json() == client.post("/predict", json={"image": SEVEN_URL}).get_json()


def test_predict_accepts_a_multipart_file_upload(client):
    response = client.post(
        "/predict",
        data={"image": (io.BytesIO(SEVEN.png), "seven.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert_prediction(response.get_json())


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"json": {}}, "received fields none"),
        ({"json": {"picture": SEVEN_URL}}, "received fields ['picture']"),
        ({"json": [SEVEN_URL]}, "received a JSON array"),
        ({"json": "just a string"}, "received a JSON string"),
        ({"json": {"image": 42}}, "received a JSON number"),
        ({"json": {"image": None}}, "received a JSON null"),
        ({"json": {"image": True}}, "received a JSON boolean"),
        ({"json": {"imageBase64": 1.5}}, "received a JSON number"),
        ({"json": {"image": {"a": 1}}}, "received a JSON object"),
        ({"data": "{not json", "content_type": "application/json"}, "not valid JSON"),
        ({"data": "", "content_type": "application/json"}, "not valid JSON"),
        ({"json": {"image": ""}}, "empty"),
        ({"json": {"image": "data:image/png;base64,"}}, "empty"),
        ({"json": {"image": "%%%not base64%%%"}}, "not valid base64"),
        ({"json": {"image": "data:image/png,rawtext"}}, "data URL"),
        ({"json": {"image": base64.b64encode(b"hello, world").decode()}}, "not an image"),
        ({"json": {"image": base64.b64encode(b"<svg></svg>").decode()}}, "not an image"),
        ({"json": {"image": base64.b64encode(SEVEN.png[:60]).decode()}}, "complete PNG image"),
        ({"data": {"something": "else"}}, "received fields ['something']"),
    ],
)
def test_predict_rejects_malformed_requests_with_400(client, kwargs, expected):
    response = client.post("/predict", **kwargs)
    assert response.status_code == 400
    assert response.is_json
    assert expected in response.get_json()["error"]


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/plain", "received 'text/plain'"),
        ("image/png", "received 'image/png'"),
        (None, "no Content-Type"),
    ],
)
def test_predict_rejects_unsupported_content_types_with_415(client, content_type, expected):
    response = client.post("/predict", data=SEVEN.png, content_type=content_type)
    assert response.status_code == 415
    body = response.get_json()
    assert expected in body["error"] and "application/json" in body["error"]


def test_predict_rejects_a_body_over_the_limit_with_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/predict", json={"image": "A" * (limit + 10)})
    assert response.status_code == 413
    assert f"at most {limit:,} bytes" in response.get_json()["error"]


def test_predict_rejects_a_large_form_field_with_413_too(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/predict", data={"imageBase64": "A" * (limit + 10)})
    assert response.status_code == 413
    assert response.is_json


@pytest.mark.parametrize("side", [9_000, 20_000])
def test_predict_refuses_huge_image_dimensions_with_413_before_decoding(client, side):
    huge = png_bytes(Image.new("1", (side, side)))  # a few kB that would decode to side**2 px
    response = client.post("/predict", json={"image": base64.b64encode(huge).decode()})
    assert response.status_code == 413
    assert "Expected an image of at most 8192x8192 pixels" in response.get_json()["error"]


@pytest.mark.parametrize(
    "blank",
    [
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),  # a cleared canvas
        Image.new("RGB", (280, 280), (255, 255, 255)),
        Image.new("L", (100, 60), 0),
        Image.new("RGBA", (280, 280), (255, 255, 255, 3)),  # ink too faint to be a stroke
    ],
    ids=["transparent", "white", "black", "faint"],
)
def test_predict_rejects_blank_canvas_with_422(client, blank):
    response = client.post("/predict", json={"image": base64.b64encode(png_bytes(blank)).decode()})
    assert response.status_code == 422
    assert "blank" in response.get_json()["error"]


def test_a_blank_drawing_is_422_on_predict_and_on_corrections_alike(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    client = app.test_client()
    blank = preprocessing.to_data_url(png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0))))
    predicted = client.post("/predict", json={"image": blank})
    corrected = client.post("/api/feedback", json={"image": blank, "label": 7})
    assert predicted.status_code == corrected.status_code == 422
    assert "blank" in predicted.get_json()["error"]
    assert corrected.get_json()["error"].startswith(predicted.get_json()["error"])
    assert "nothing to learn from a blank drawing" in corrected.get_json()["error"]
    assert app.extensions["corrections_store"].count() == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_predict_with_wrong_method_gives_json_405(client, method):
    response = client.open("/predict", method=method)
    assert response.status_code == 405
    assert response.get_json() == {
        "error": f"Expected OPTIONS, POST for /predict; received {method}."
    }


def test_unknown_route_gives_json_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_model_route_reads_the_facts_from_the_file_when_it_has_no_card(client, tiny_model_path):
    response = client.get("/api/model")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["parameters"] == 784 * 10 + 10
    assert body["input"]["shape"] == [None, 784]
    assert body["file"]["sha256"] == modelfile.file_sha256(tiny_model_path)
    assert "was not found" in body["note"]


def test_healthz_reports_ready_with_a_loaded_model(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["state"] == "ready"


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "WEBP", "BMP"])
def test_predict_reads_other_image_formats(client, fmt):
    image = Image.open(io.BytesIO(SEVEN.png)).convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    response = client.post(
        "/predict", json={"image": base64.b64encode(png_bytes(flat, fmt)).decode()}
    )
    assert response.status_code == 200
    assert_prediction(response.get_json())
