"""The corrections API and review page: `POST /api/feedback`, its stats, `/feedback`.

The page sends `{"image": <data URL>, "label": 0-9, "predicted": 0-9}` when a person says which
digit they drew, or `"label": "not_a_digit"` when what they drew is no digit (stored as label
`NOT_A_DIGIT`, 10, the model's own class for it; `"predicted"` takes that value too). The
drawing is checked like a prediction (decoded within the same limits and normalised; a blank one
is refused), read again by the serving model for its probabilities, and stored with the model's
version; the answer is 201 with the stored id once it is committed.
"""

from __future__ import annotations

import io
import logging

import preprocessing
import sqlalchemy as sa
from api import MISSING, APIError, json_object, json_type, require_json
from feedback import NOT_A_DIGIT, Correction, FeedbackError, FeedbackStore, default_url
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

logger = logging.getLogger(__name__)

bp = Blueprint("feedback", __name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXAMPLE = '{"image": "data:image/png;base64,...", "label": 4, "predicted": 9}'
REVIEW_LIMIT = 60
NOT_A_DIGIT_NAME = "not_a_digit"


def store() -> FeedbackStore:
    """The app's feedback store."""
    return current_app.extensions["feedback_store"]


@bp.errorhandler(sa.exc.OperationalError)
@bp.errorhandler(sa.exc.InterfaceError)
def database_unavailable(exc):
    """The database is down or unreachable: 503, and the server keeps going."""
    logger.error("feedback database unavailable: %s", exc)
    message = "The feedback database is unavailable; please try again later."
    return jsonify({"error": message}), 503


def label_field(payload: dict, name: str) -> int:
    """A required label from the request body: a digit 0-9, or "not_a_digit" (NOT_A_DIGIT)."""
    value = payload.get(name, MISSING)
    expected = f'a digit 0-9 or "{NOT_A_DIGIT_NAME}"'
    if value is MISSING:
        received = f"received fields {sorted(payload)}"
        raise APIError(400, f"Expected field '{name}', {expected}; {received}.")
    if value == NOT_A_DIGIT_NAME:
        return NOT_A_DIGIT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        if type(value) in (int, float):
            shown = value
        elif isinstance(value, str):
            shown = f"the string {value[:20]!r}"
        else:
            shown = f"a JSON {json_type(value)}"
        raise APIError(400, f"Expected field '{name}' to be {expected}; received {shown}.")
    return value


def label_name(label: int) -> int | str:
    """A stored label as the API spells it."""
    return NOT_A_DIGIT_NAME if label == NOT_A_DIGIT else label


def as_png(data: bytes, image) -> bytes:
    """The drawing as PNG: the bytes sent when they are a PNG, else the decoded image re-encoded."""
    if data.startswith(PNG_SIGNATURE):
        return data
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def model_version(card: dict) -> str:
    """The serving model as the card names it: architecture and the model file's hash."""
    sha256 = card.get("file", {}).get("sha256", "")
    return f"{card.get('architecture', 'model')}-{sha256[:16]}"


@bp.post("/api/feedback")
def add_feedback():
    require_json("with the drawing and the digit drawn")
    payload = json_object(EXAMPLE)
    image_text = payload.get("image", MISSING)
    if not isinstance(image_text, str):
        received = "none" if image_text is MISSING else f"a JSON {json_type(image_text)}"
        expected = "Expected field 'image', the drawing as a PNG data URL"
        raise APIError(400, f"{expected}; received {received}.")
    label = label_field(payload, "label")
    predicted = label_field(payload, "predicted")
    data = preprocessing.decode_data_url(image_text)
    image = preprocessing.decode(data)
    try:
        field = preprocessing.normalise(image)
    except preprocessing.NothingDrawn as exc:
        raise APIError(400, f"{exc} There is nothing to learn from a blank drawing.") from exc
    service = current_app.extensions["digit_model"]
    answer = service.predict(field)
    correction = Correction(
        label=label,
        predicted=predicted,
        probabilities=answer.probabilities,
        model_version=model_version(service.describe()),
        image_png=as_png(data, image),
        field=field,
    )
    record_id = store().add(correction)
    logger.info("feedback %d stored: drawn %d, model said %d", record_id, label, predicted)
    response = jsonify(
        {"id": record_id, "label": label_name(label), "predicted": label_name(predicted)}
    )
    response.headers["Location"] = url_for("feedback.image", record_id=record_id)
    return response, 201


@bp.get("/api/feedback/stats")
def stats():
    return jsonify(store().stats())


@bp.get("/api/feedback/<int:record_id>/image.png")
def image(record_id: int):
    data = store().image(record_id)
    if data is None:
        raise APIError(404, f"No correction {record_id}.")
    return Response(data, mimetype="image/png")


@bp.get("/api/feedback/<int:record_id>/field.png")
def field(record_id: int):
    normalised = store().field(record_id)
    if normalised is None:
        raise APIError(404, f"No correction {record_id}.")
    return Response(preprocessing.to_png(normalised), mimetype="image/png")


@bp.get("/feedback")
def review():
    limit = request.args.get("limit", REVIEW_LIMIT, type=int)
    records = store().recent(max(1, min(limit, 500)))
    return render_template("feedback.html", records=records, stats=store().stats())


def init_app(app) -> None:
    """Open (lazily) the store DATABASE_URL names, else SQLite in the instance folder."""
    url = app.config["DATABASE_URL"] or default_url(app.instance_path)
    try:
        app.extensions["feedback_store"] = FeedbackStore(url)
    except FeedbackError as exc:
        raise FeedbackError(f"DATABASE_URL: {exc}") from exc
    app.register_blueprint(bp)
