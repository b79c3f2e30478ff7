"""The floor for `python -m benchmarks.serve`: what any server of this model must at least do.

A bare WSGI app (no Flask) that reads the JSON body, decodes the PNG data URL, shrinks the
drawing's ink to 28x28 in one resize (no cropping, centring or reading of numbers) and calls
the same LiteRT model once. It reads drawings badly; only its speed counts: the production
server's time over the floor's is what reading and refusing add.

    gunicorn -c gunicorn.conf.py --worker-class gthread "benchmarks.floor:create_app()"
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
from PIL import Image

from drawadigit import settings
from drawadigit.model import lite


def create_app():
    """The WSGI callable, around the model converted once (in the cache folder)."""
    config = settings.load()
    path, _ = lite.converted(config.model_path, config.model_cache_dir)
    forward = lite.LiteForward(path)

    def app(environ, start_response):
        """POST /predict: {"digit": ...}; anything else (GET /healthz): 200 {}."""
        answer = {}
        if environ["PATH_INFO"] == "/predict":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(size))
            data = base64.b64decode(body["image"].partition(",")[2])
            image = Image.open(io.BytesIO(data)).convert("LA").getchannel("A")
            field = np.asarray(image.resize((28, 28), Image.Resampling.BOX), np.float32) / 255
            answer = {"digit": int(forward(field[None])[0][:10].argmax())}
        out = json.dumps(answer).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))]
        )
        return [out]

    return app
