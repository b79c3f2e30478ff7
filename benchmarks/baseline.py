"""The naive baseline for `benchmarks.serve`: the same app, but `model.predict` per request.

Keras' `predict` builds a data pipeline and runs a loop for every call: fine for batches, slow
for one drawing. Only inference differs from the production app, so the ratio measures it.
"""

from __future__ import annotations

from drawadigit import web
from drawadigit.model import tf_runtime


def create_app():
    """The production app with its compiled forward pass swapped for `model.predict`."""
    app = web.create_app()
    service = app.extensions["digit_model"]
    model = tf_runtime.load(service.model_path)
    service._forward = lambda fields: model.predict(
        tf_runtime.as_model_input(model, fields), verbose=0
    )
    return app
