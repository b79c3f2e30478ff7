"""One version's /predict answers, for `benchmarks.same_answers`: run by `versions.run` from
that version's FlaskApp folder, never imported.

    python -c ... answering.py JOB OUT    # JOB: {"config": ..., "drawings": {name: data URL}}

Builds the app with `flaskapp.create_app(config)`, posts every drawing through Flask's test
client and writes {name: [status, answer]} to OUT, each `model_input` replaced by a digest of
its pixels (two versions may write the same 28x28 as different PNG bytes).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def pixels(url: str) -> str:
    """A digest of the pixels of a PNG data URL."""
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    grey = np.asarray(image.convert("L"))
    return f"{grey.shape} {hashlib.sha256(grey.tobytes()).hexdigest()[:16]}"


def comparable(answer: dict) -> dict:
    """An answer with each `model_input` replaced by its pixels' digest."""
    out = dict(answer)
    if "model_input" in out:
        out["model_input"] = pixels(out["model_input"])
    out["digits"] = [comparable(d) for d in out.get("digits", [])]
    return out


def answers(config: dict, drawings: dict[str, str]) -> dict:
    """Every drawing's status and comparable answer, by the version that runs this."""
    import flaskapp  # this version's: its folder is first on the path

    app = flaskapp.create_app(config)
    client = app.test_client()
    found = {}
    for name, image in drawings.items():
        response = client.post("/predict", json={"image": image})
        found[name] = [response.status_code, comparable(response.get_json())]
    store = (
        app.extensions.get("corrections_store") or app.extensions["feedback_store"]
    )  # older versions: "feedback_store"
    store.close()
    return found


if __name__ == "__main__":
    job, out = (Path(a) for a in sys.argv[1:3])
    sent = json.loads(job.read_text())
    out.write_text(json.dumps(answers(sent["config"], sent["drawings"])))
