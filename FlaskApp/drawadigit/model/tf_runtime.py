"""TensorFlow and Keras, imported on first use: load, check, run, save and convert model files.

Nothing here imports TensorFlow when this module is imported: `tensorflow()` and `keras()` do,
once, with TensorFlow's C++ start-up lines held back. A server worker on the default LiteRT
runtime never imports this module at all (`lite.py` converts in a subprocess); the TensorFlow
runtime, training, evaluation and the command line do.

The model contract (`contract`): input float32 in [0, 1], ink high, shape (None, PIXELS) or
(None, SIZE, SIZE, 1), as produced by `preprocessing.normalise` (or `preprocessing.scale_mnist`
for MNIST itself); output a softmax over NUM_CLASSES, the digits 0-9 and 10 = "not a digit"
(older files: over the ten digits alone, and they never refuse). Any model file that keeps it
can be dropped in.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from drawadigit import files
from drawadigit.contract import DIGITS, NUM_CLASSES, PIXELS
from drawadigit.model import modelfile
from drawadigit.model.modelfile import ModelFileError

if TYPE_CHECKING:
    import keras as keras_module

Forward = Callable[[np.ndarray], np.ndarray]


def tensorflow() -> ModuleType:
    """TensorFlow, imported and its devices set up the first time, its C++ chatter held back.

    Those lines (oneDNN notices, the CUDA probe on a machine without a GPU) are written from C++
    before TensorFlow's logging is set up, so TF_CPP_MIN_LOG_LEVEL alone cannot hold them back.
    """
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with modelfile.quiet_stderr():
            import tensorflow

            tensorflow.config.list_physical_devices()
            tensorflow.constant(0.0) + 1.0  # the first operation reports the CPU's features
    return sys.modules["tensorflow"]


def keras() -> ModuleType:
    """Keras 3, on TensorFlow imported quietly first."""
    tensorflow()
    import keras as keras_module

    return keras_module


@contextlib.contextmanager
def quiet_absl() -> Iterator[None]:
    """Hold back absl's notices meanwhile: Keras and TensorFlow list what they save and trace."""
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        absl_logger.setLevel(level)


def load(path: str | os.PathLike) -> keras_module.Model:
    """Load a model file in Keras' safe mode and check it keeps the model contract."""
    path = Path(path)
    fix = (
        f"Delete {path} to train a new one from MNIST on the next start, "
        "or restore the shipped model with `git checkout -- model.h5`."
    )
    try:
        model = keras().models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # h5py, Keras and OS errors all mean the same thing here
        raise ModelFileError(f"Cannot read the model file {path}: {exc}. {fix}") from exc
    inputs = int(np.prod(model.input_shape[1:]))
    outputs = model.output_shape[-1]
    if inputs != PIXELS or outputs not in (DIGITS, NUM_CLASSES):
        raise ModelFileError(
            f"The model file {path} takes {model.input_shape} and gives {model.output_shape}; "
            f"expected {PIXELS} pixels in and {NUM_CLASSES} probabilities out (the digits and "
            f"'not a digit'; or {DIGITS}, the digits alone). {fix}"
        )
    return model


def as_model_input(model: keras_module.Model, fields: np.ndarray) -> np.ndarray:
    """Reshape normalised 28x28 fields to the model's own input shape."""
    return np.asarray(fields, np.float32).reshape((-1, *model.input_shape[1:]))


def probabilities(model: keras_module.Model, fields: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10 or 11) for N normalised fields, one direct call."""
    return model(as_model_input(model, fields), training=False).numpy()


def predict_all(model: keras_module.Model, fields: np.ndarray) -> np.ndarray:
    """Raw probabilities for many fields, in batches of 1000."""
    parts = [probabilities(model, fields[i : i + 1000]) for i in range(0, len(fields), 1000)]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)


def compiled(model: keras_module.Model) -> Forward:
    """The model's forward pass traced once into a TensorFlow graph, for any batch size.

    A direct `model(x)` call runs eagerly, layer by layer in Python; the traced graph runs as one
    TensorFlow call, which is what the TensorFlow runtime serves.
    """
    tf = tensorflow()
    spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)

    # Plain tensor code: AutoGraph has nothing to convert (and warns when it tries).
    @tf.function(input_signature=[spec], autograph=False)
    def forward(x):
        return model(x, training=False)

    return lambda fields: forward(as_model_input(model, fields)).numpy()


def model_facts(model: keras_module.Model) -> dict:
    """What can be read from a model itself: enough for /api/model when it has no card."""
    return {
        "architecture": model.name,
        "parameters": int(model.count_params()),
        "input": {"shape": list(model.input_shape)},
        "classes": int(model.output_shape[-1]),
    }


def versions() -> dict:
    """The versions of Keras and TensorFlow that run here, for a model card."""
    return {"keras": keras().__version__, "tensorflow": tensorflow().__version__}


def save_atomic(model: keras_module.Model, path: str | os.PathLike) -> Path:
    """Save a model file whole or not at all (`files.write_atomic`): a killed run breaks nothing.

    The format follows the suffix: HDF5 for model.h5, as the spec ships it.
    """

    def write(tmp: Path) -> None:
        with quiet_absl():  # Keras notes that it calls HDF5 a legacy format
            model.save(tmp)

    return files.write_atomic(path, write)


def export(model: keras_module.Model, path: str | os.PathLike) -> Path:
    """Write a TensorFlow SavedModel for TensorFlow Serving (signature `serve`, same contract)."""
    path = Path(path)
    with quiet_absl():  # SavedModel writing lists every traced function
        model.export(str(path), format="tf_saved_model", verbose=False)
    return path


def to_tflite(model: keras_module.Model) -> bytes:
    """The model as a TensorFlow Lite (LiteRT) flat buffer, float32, one digit per call."""
    converter = tensorflow().lite.TFLiteConverter.from_keras_model(model)
    with quiet_absl(), contextlib.redirect_stdout(io.StringIO()), modelfile.quiet_stderr():
        return converter.convert()  # it lists the traced endpoints on stdout


def write_tflite(model_path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Convert a model file (checked like `load`) to `out` (.tflite) and its facts (.json).

    Each file is written whole (`files.write_atomic`): readers never see half a file.
    """
    model = load(model_path)
    out = Path(out)
    files.write_atomic(out, to_tflite(model))
    files.write_atomic(out.with_suffix(".json"), json.dumps(model_facts(model)).encode())
    return out
