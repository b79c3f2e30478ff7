"""Convert a model file for LiteRT as a server worker does (`lite.converted`, TensorFlow not
imported here), and print the outcome as one JSON line.

    python tests/programs/convert_as_server.py MODEL_PATH CACHE_DIR

Exit 0 when converted; 3 when the model file is refused (`modelfile.ModelFileError`); 4 when the
conversion failed otherwise (`RuntimeError`).
"""

import json
import sys

from drawadigit.model import lite, modelfile

try:
    path, _ = lite.converted(sys.argv[1], sys.argv[2])
except modelfile.ModelFileError as exc:
    outcome, status = {"refused": str(exc)}, 3
except RuntimeError as exc:
    outcome, status = {"failed": str(exc)}, 4
else:
    outcome, status = {"converted": str(path)}, 0
print(json.dumps({**outcome, "tensorflow": "tensorflow" in sys.modules}))
sys.exit(status)
