"""Convert a model file for LiteRT in a process of its own, and say how it went as data.

    python FlaskApp/lite_convert.py MODEL_PATH OUT.tflite

`lite.py` runs this so that a server worker can convert model.h5 without importing TensorFlow
itself. The outcome is the last line on stdout, one JSON object (`report`):
{"converted": "OUT.tflite"} (exit 0); {"error": "...", "kind": "model_file"} for a file that
cannot be used (`modelfile.ModelFileError`, exit 2); {"error": "...", "kind": "failure"} for
anything else (exit 1, the traceback on stderr).
"""

from __future__ import annotations

import json
import sys
import traceback

from drawadigit.model import tf_runtime
from drawadigit.model.modelfile import ModelFileError


def report(outcome: dict, status: int) -> int:
    """Print the outcome as the last line on stdout; return the exit status."""
    print(json.dumps(outcome), flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """Convert MODEL_PATH to OUT (and its facts, OUT with .json)."""
    model_path, out = sys.argv[1:] if argv is None else argv
    try:
        written = tf_runtime.write_tflite(model_path, out)
    except ModelFileError as exc:
        return report({"error": str(exc), "kind": "model_file"}, 2)
    except Exception as exc:  # any other failure is reported too, as data the caller raises
        traceback.print_exc()
        return report({"error": f"{type(exc).__name__}: {exc}", "kind": "failure"}, 1)
    return report({"converted": str(written)}, 0)


if __name__ == "__main__":
    sys.exit(main())
