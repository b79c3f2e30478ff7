"""Inference with LiteRT (TensorFlow Lite), so server workers never import TensorFlow.

Importing TensorFlow costs a process about 640 MB of resident memory; LiteRT's interpreter about
40 MB, and it runs this small network in a fraction of a millisecond. The Keras model file stays
the one source of truth: `converted` turns it into a .tflite file once, cached under the file's
SHA-256 (in a subprocess when this process has not loaded TensorFlow, so it stays small), and
`LiteForward` runs it from a copy in memory, so nothing done to the files later reaches a
running interpreter.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import threading
from importlib import metadata
from pathlib import Path

import modelfile
import numpy as np

KERAS_MODULE = Path(__file__).with_name("kerasModel.py")


def available() -> bool:
    """Whether LiteRT (the ai-edge-litert package) is installed."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


def version() -> str:
    """The installed LiteRT version."""
    return metadata.version("ai-edge-litert")


def cached_path(model_path: str | Path, cache_dir: str | Path) -> Path:
    """Where the converted form of this very model file lives (its facts: same name, .json)."""
    digest = modelfile.file_sha256(model_path)[:16]
    return Path(cache_dir) / f"{Path(model_path).stem}-{digest}.tflite"


def converted(model_path: str | Path, cache_dir: str | Path) -> tuple[Path, dict]:
    """The .tflite file for a model file, converting it the first time; and the model's facts.

    Raises `modelfile.ModelFileError` when the model file cannot be read or breaks the contract.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tflite = cached_path(model_path, cache_dir)
    facts = tflite.with_suffix(".json")
    with open(cache_dir / ".convert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # workers that start together convert only once
        if not (tflite.exists() and facts.exists()):
            _convert(Path(model_path), tflite)
    return tflite, json.loads(facts.read_text())


def _convert(model_path: Path, tflite: Path) -> None:
    """Convert with kerasModel: here when TensorFlow is loaded anyway, else in a subprocess."""
    if "tensorflow" in sys.modules:
        import kerasModel

        kerasModel.write_tflite(model_path, tflite)
        return
    command = [sys.executable, str(KERAS_MODULE), "tflite", "--model", str(model_path)]
    done = subprocess.run([*command, "--to", str(tflite)], capture_output=True, text=True)
    if done.returncode == 2 and "error: " in done.stderr:  # kerasModel's ModelFileError
        raise modelfile.ModelFileError(done.stderr.rsplit("error: ", 1)[1].strip())
    if done.returncode != 0:
        raise RuntimeError(
            f"Converting {model_path} for LiteRT failed (exit {done.returncode}): "
            f"{done.stderr.strip()[-2000:]}"
        )


class LiteForward:
    """A .tflite digit model as a function: normalised fields (N, 28, 28) -> probabilities."""

    def __init__(self, path: str | Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        # The bytes, not the path: LiteRT maps a file into memory and reads the model from it
        # (tensor details, weights of ops XNNPACK does not take), so a file truncated under a
        # running server would kill the worker with SIGBUS.
        content = Path(path).read_bytes()
        # One thread: a digit is too small to split, and the server's workers fill the cores.
        with modelfile.quiet_stderr():  # LiteRT announces its XNNPACK delegate on stderr
            self._interpreter = Interpreter(model_content=content, num_threads=1)
            self._interpreter.allocate_tensors()
            (given,) = self._interpreter.get_input_details()
            (answer,) = self._interpreter.get_output_details()
            self._input, self._output = given["index"], answer["index"]
            self._shape = tuple(int(n) for n in given["shape"][1:])
            self._lock = threading.Lock()  # an interpreter runs one call at a time
            self(np.zeros((1, 28, 28), np.float32))  # warm up

    def __call__(self, fields: np.ndarray) -> np.ndarray:
        """Probabilities (N, 10), float32, one digit at a time through the interpreter."""
        x = np.asarray(fields, np.float32).reshape((-1, 1, *self._shape))
        out = []
        with self._lock:
            for one in x:
                self._interpreter.set_tensor(self._input, one)
                self._interpreter.invoke()
                out.append(self._interpreter.get_tensor(self._output)[0].copy())
        return np.stack(out)
