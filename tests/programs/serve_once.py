"""Build the app as a server worker does, read one drawing, print what it says as one JSON line.

    python tests/programs/serve_once.py MODEL_PATH CACHE_DIR DATA_URL

The line also says whether this process imported TensorFlow or Keras on the way.
"""

import json
import sys

from drawadigit import web

model_path, cache_dir, image = sys.argv[1:]
app = web.create_app(
    {"MODEL_PATH": model_path, "MODEL_CACHE_DIR": cache_dir, "TRAIN_IF_MISSING": False}
)
client = app.test_client()
answer = client.post("/predict", json={"image": image}).get_json()
print(
    json.dumps(
        {
            "digit": answer["digit"],
            "runtime": client.get("/api/model").json["runtime"],
            "tensorflow": "tensorflow" in sys.modules,
            "keras": "keras" in sys.modules,
        }
    )
)
