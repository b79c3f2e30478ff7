"""The page, the prediction API, the model card and the health check: the blueprint `main`
(endpoints `main.index`, `main.predict`, `main.card`, `main.healthz`).

Each view is thin: parse the request (`api`), ask the model (`reading`, `serving`), answer JSON.
The corrections and their review are `web.corrections`'.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, jsonify, render_template

from drawadigit import contract, reading
from drawadigit.web import api

logger = logging.getLogger(__name__)

main = Blueprint("main", __name__)


@main.app_context_processor
def model_contract() -> dict:
    """What every template may show of the model contract: a field's side, how many digits
    there are, and how a correction names "not a digit"."""
    return {
        "field_size": contract.SIZE,
        "digit_count": contract.DIGITS,
        "not_a_digit_name": contract.NOT_A_DIGIT_NAME,
    }


@main.get("/")
def index():
    """The page to draw on, told how large to send a drawing and what its strokes may hold."""
    return render_template(
        "index.html",
        upload_side=reading.UPLOAD_SIDE,
        max_strokes=api.MAX_STROKES,
        max_stroke_points=api.MAX_STROKE_POINTS,
    )


@main.post("/predict")
def predict():
    """What the drawing sent is: its `reading.Reading` as JSON, its strokes helping to read it."""
    started = time.perf_counter()
    data, strokes = api.sent_drawing()
    _, read = api.read_drawing(data, strokes)
    logger.debug(
        "predict: %d bytes, %d strokes -> %s %r in %.1f ms",
        len(data),
        len(strokes),
        read.reading,
        read.number,
        (time.perf_counter() - started) * 1000,
    )
    return jsonify(read.as_dict())


@main.get("/api/model")
def card():
    """The serving model's card."""
    return jsonify(api.model_service().describe())


@main.get("/healthz")
def healthz():
    """200 once a model serves, else 503; the state either way."""
    status = api.model_service().status()
    return jsonify(status), 200 if status["state"] == "ready" else 503


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(main)
