"""Inference with LiteRT (TensorFlow Lite), so server workers never import TensorFlow.

LiteRT's interpreter is a small fraction of TensorFlow's memory and start-up time, and runs this
small network directly. The Keras model file stays the one source of truth: `converted` turns it
into a .tflite file once, cached under the file's SHA-256, and `LiteForward` runs it from a copy
in memory, so nothing done to the files later reaches a running interpreter.

Converting needs TensorFlow. A process that has loaded it anyway (the TensorFlow runtime,
training, the tests) converts in-process with `tf_runtime`, imported only then; a server worker
runs `lite_convert.py` in a subprocess, which reports its outcome as one line of JSON, so the
worker itself never imports TensorFlow.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from importlib import metadata
from pathlib import Path

import numpy as np

from drawadigit import files
from drawadigit.contract import SIZE
from drawadigit.model import modelfile

CONVERTER = "drawadigit.model.lite_convert"  # run as `python -m`, in a process of its own


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
    with files.locked(cache_dir / ".convert.lock"):  # workers starting together convert once
        if not (tflite.exists() and facts.exists()):
            _convert(Path(model_path), tflite)
    return tflite, json.loads(facts.read_text())


def _convert(model_path: Path, tflite: Path) -> None:
    """Convert here when TensorFlow is loaded anyway, else in a subprocess (`lite_convert.py`).

    Raises `modelfile.ModelFileError` for a file that cannot be used, else `RuntimeError`.
    """
    if "tensorflow" in sys.modules:
        from drawadigit.model import tf_runtime  # TensorFlow: already imported by this process

        tf_runtime.write_tflite(model_path, tflite)
        return
    command = [sys.executable, "-m", CONVERTER, str(model_path), str(tflite)]
    done = subprocess.run(command, capture_output=True, text=True)
    outcome = _outcome(done.stdout)
    if outcome.get("kind") == "model_file":
        raise modelfile.ModelFileError(outcome["error"])
    if done.returncode != 0 or "converted" not in outcome:
        why = outcome.get("error") or done.stderr.strip()[-2000:]
        raise RuntimeError(
            f"Converting {model_path} for LiteRT failed (exit {done.returncode}): {why}"
        )


def _outcome(stdout: str) -> dict:
    """The JSON object on the last line of the converter's stdout; {} when there is none."""
    lines = stdout.strip().splitlines()
    try:
        outcome = json.loads(lines[-1]) if lines else {}
    except ValueError:
        return {}
    return outcome if isinstance(outcome, dict) else {}


class LiteForward:
    """A .tflite digit model as a function: N normalised fields -> probabilities (N, classes)."""

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
            self(np.zeros((1, SIZE, SIZE), np.float32))  # warm up

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
