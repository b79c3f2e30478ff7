"""The page, the prediction API, the model card and the health check: a blueprint each.

Each view is thin: parse the request (`api`), ask the model (`answers`, `serving`), answer JSON.
The corrections and their review are `feedback_views`'.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, jsonify, render_template

from drawadigit.web.api import (
    MAX_STROKE_POINTS,
    MAX_STROKES,
    model_service,
    read_drawing,
    sent_drawing,
)

logger = logging.getLogger(__name__)

page = Blueprint("page", __name__)
predictions = Blueprint("predict", __name__)
model = Blueprint("model", __name__)
health = Blueprint("health", __name__)


@page.get("/")
def index():
    """The page to draw on, told what a drawing's strokes may hold."""
    return render_template(
        "index.html", max_strokes=MAX_STROKES, max_stroke_points=MAX_STROKE_POINTS
    )


@predictions.post("/predict")
def predict():
    """What the drawing sent is: `answers.answer` as JSON, its strokes helping to read it."""
    started = time.perf_counter()
    data, strokes = sent_drawing()
    answer = read_drawing(data, strokes)
    logger.debug(
        "predict: %d bytes, %d strokes -> %s %r in %.1f ms",
        len(data),
        len(strokes),
        answer.reading.reading,
        answer.reading.number,
        (time.perf_counter() - started) * 1000,
    )
    return jsonify(answer.as_dict())


@model.get("/api/model")
def card():
    """The serving model's card."""
    return jsonify(model_service().describe())


@health.get("/healthz")
def healthz():
    """200 once a model serves, else 503; the state either way."""
    status = model_service().status()
    return jsonify(status), 200 if status["state"] == "ready" else 503


def init_app(app: Flask) -> None:
    """Register the blueprints."""
    for blueprint in (page, predictions, model, health):
        app.register_blueprint(blueprint)
