"""What the server needs to know about model files without importing TensorFlow.

Paths, the model card beside a model file, file hashes and the error for an unusable file. The
serving path (`flaskapp`, `serving`, `lite`) imports only this; `kerasModel` re-exports it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_PATH = ROOT / "model.h5"
DEFAULT_MNIST_DIR = Path(__file__).resolve().parent / "mnist_data"


class ModelFileError(RuntimeError):
    """A model file exists but cannot be used."""


def card_path(model_path: str | os.PathLike) -> Path:
    """Where a model's card lives: beside the model file, as JSON (model.h5 -> model.json)."""
    return Path(model_path).with_suffix(".json")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_card(model_path: str | os.PathLike) -> dict | None:
    """The card beside a model file, or None when there is none or it is unreadable."""
    try:
        return json.loads(card_path(model_path).read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Hold back what C++ libraries write straight to file descriptor 2 meanwhile.

    TensorFlow and LiteRT announce themselves (oneDNN notices, the CUDA probe, "Created
    TensorFlow Lite XNNPACK delegate") from C++, where Python's logging cannot reach. Python
    errors still raise as usual; TF_CPP_MIN_LOG_LEVEL=0 lets everything through.
    """
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
