"""The model behind the app: loaded once, or trained on first run while the server answers.

`ModelService` owns the one model of a server process. `start()` loads the model file; when the
file is missing it trains one in a background thread from MNIST (saving it atomically) and, until
that is done, `classify` raises `ModelUnavailable` carrying the training progress. Nothing here
knows about Flask.

A model serves only after it answers probe digits with finite probabilities that sum to 1
(`check_answers`). The file is read once into a snapshot in the cache folder, and the snapshot
is what is checked and served; once it passes, it is recorded as the last validated model
(`modelfile.Snapshots`). A file that exists but does not pass (unreadable, truncated, wrong
shape, NaN weights) stops start-up with `modelfile.ModelFileError` (it is never silently trained
over), unless an earlier start validated a model at that path: then the server starts on that
one, logs an error and says so in `status()`. A worker keeps the model it loaded in memory
whatever happens to the files afterwards. Should the model still answer NaN at run time,
`classify` raises `ModelFailed` rather than pass it on.

Two runtimes answer (`RUNTIMES`): LiteRT, the default wherever it is installed, runs the model
file converted to TensorFlow Lite, so the process never imports TensorFlow (a server worker
stays small); "tensorflow" runs the Keras model itself as a traced `tf.function`. Nothing this
module imports at the top pulls TensorFlow in: `tf_runtime` is imported only for that runtime,
and first-run training is a function handed in (`Trainer`; the app's is `web.FirstRunTraining`),
so this package never imports the training.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from drawadigit import reading
from drawadigit.contract import NOT_A_DIGIT, NUM_CLASSES, SIZE
from drawadigit.model import lite, modelfile
from drawadigit.model.modelfile import ModelFileError

logger = logging.getLogger(__name__)


class ModelFailed(RuntimeError):
    """The model gave an answer that is no probability distribution (NaN or infinity)."""


class ModelUnavailable(RuntimeError):
    """No model can answer yet (training) or at all (training failed)."""

    def __init__(self, message: str, status: dict) -> None:
        super().__init__(message)
        self.status = status


# First-run training: writes a model file at the path, reporting progress (a dict each time) to
# the callable given; returns what it measured.
Trainer = Callable[[Path, Callable[[dict], None]], dict]


RUNTIMES = ("auto", "litert", "tensorflow")
# How far a row of probabilities may sum from 1 (float32 softmax is within about 1e-6).
SUM_TOLERANCE = 1e-3


def probe_fields() -> np.ndarray:
    """Two normalised fields every model must answer: a blank field and a stroke "1"."""
    one = np.zeros((SIZE, SIZE), np.float32)
    one[4:24, 13:15] = 1.0  # a vertical bar, 20 px tall like MNIST's digits
    return np.stack([np.zeros((SIZE, SIZE), np.float32), one])


def check_answers(probs: np.ndarray, classes: int, model_path: Path) -> None:
    """Raise `ModelFileError` unless `probs` are finite distributions over `classes` classes."""
    probs = np.asarray(probs, np.float64)
    fix = (
        f"Retrain it (`python FlaskApp/kerasModel.py train`), or restore the shipped model "
        f"with `git checkout -- {model_path.name}`."
    )
    if probs.ndim != 2 or probs.shape[1] != classes:
        raise ModelFileError(
            f"The model file {model_path} answers probe digits with shape {probs.shape}; "
            f"expected ({len(probe_fields())}, {classes}). {fix}"
        )
    if not np.isfinite(probs).all():
        raise ModelFileError(
            f"The model file {model_path} answers probe digits with non-finite probabilities "
            f"(NaN or infinity); its weights are broken. {fix}"
        )
    sums = probs.sum(axis=1)
    if (probs < 0).any() or (np.abs(sums - 1.0) > SUM_TOLERANCE).any():
        raise ModelFileError(
            f"The model file {model_path} answers probe digits with probabilities that sum to "
            f"{', '.join(f'{x:.4g}' for x in sums)}; expected a softmax that sums to 1. {fix}"
        )


class ModelService:
    """Holds the server's model; states: starting, training, ready, failed."""

    def __init__(
        self,
        model_path: str | Path,
        training: Trainer | None,
        *,
        runtime: str = "auto",
        cache_dir: str | Path,
    ) -> None:
        if runtime not in RUNTIMES:
            raise ValueError(f"Unknown runtime {runtime!r}: choose one of {', '.join(RUNTIMES)}.")
        if runtime == "auto":
            runtime = "litert" if lite.available() else "tensorflow"
        elif runtime == "litert" and not lite.available():
            raise ValueError("The LiteRT runtime needs the ai-edge-litert package (requirements).")
        self.model_path = Path(model_path)
        self.training = training
        self.runtime = runtime
        self.cache_dir = Path(cache_dir)
        self.state = "starting"
        self.progress: dict = {}
        self.error: str | None = None
        self.card: dict = {}
        self.sha256: str | None = None  # of the model file served
        self.file_error: str | None = None  # why the file on disk is not the one served
        self.policy = reading.Policy()
        self._forward = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Load the model file, or start training one when it is missing and training is allowed."""
        if self.model_path.exists():
            self._serve()
            logger.info(
                "model loaded from %s (%s, sha256 %s)", self.model_path, self.runtime, self.sha256
            )
            return
        if self.training is None:
            raise ModelFileError(
                f"No model file at {self.model_path}, and training on first run is turned off. "
                "Train one with `python FlaskApp/kerasModel.py train`."
            )
        logger.warning("no model at %s: training one from MNIST first", self.model_path)
        self.state = "training"
        self.progress = {"stage": "starting"}
        self._thread = threading.Thread(target=self._train, name="first-run-training", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for first-run training to finish; True when a model is ready."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.state == "ready"

    def _train(self) -> None:
        """Train, save atomically, then serve the new model (runs in a background thread)."""
        try:
            metrics = self.training(self.model_path, self._report)
        except Exception as exc:  # any failure must reach /healthz, not vanish with the thread
            logger.exception("first-run training failed")
            self.error = str(exc)
            self.state = "failed"
            return
        logger.info("trained and saved %s: %s", self.model_path, metrics)
        try:
            self._serve()
        except Exception as exc:
            logger.exception("serving the trained model failed")
            self.error = str(exc)
            self.state = "failed"

    def _report(self, progress: dict) -> None:
        """Keep the latest training progress (a new dict each time, so readers see a whole one).

        A diverging run logs a NaN loss; it is kept as null, since JSON has no NaN.
        """
        self.progress = {
            k: None if isinstance(v, float) and not np.isfinite(v) else v
            for k, v in progress.items()
        }

    def _serve(self) -> None:
        """Serve the model file once it passes its checks, else the last one that did."""
        snapshots = modelfile.Snapshots(self.cache_dir)
        try:
            snapshot = snapshots.stage(self.model_path)
            try:
                self._load(snapshot)
            except ModelFileError as exc:
                snapshots.discard(snapshot)
                # The checks ran on the copy; the file to fix is the model file.
                message = str(exc).replace(str(snapshot.path), str(self.model_path))
                raise ModelFileError(message) from exc
        except ModelFileError as exc:
            last = snapshots.last(self.model_path)
            if last is None:
                raise
            try:
                self._load(last)
            except ModelFileError:
                raise exc from None  # the file's own fault is the one to report
            self.file_error = (
                f"The model file {self.model_path} did not pass the start-up checks, so the last "
                f"model validated there (sha256 {last.sha256}) is served instead: {exc}"
            )
            logger.error("%s", self.file_error)
        else:
            snapshots.record(self.model_path, snapshot)
            self.file_error = None

    def _load(self, snapshot: modelfile.Snapshot) -> None:
        """Load a snapshot into the runtime, check it answers probe digits, then take traffic."""
        if self.runtime == "litert":
            path, facts = lite.converted(snapshot.path, self.cache_dir)
            forward = lite.LiteForward(path)
            runtime = f"LiteRT {lite.version()}"
        else:
            from drawadigit.model import tf_runtime  # TensorFlow: only for RUNTIME="tensorflow"

            model = tf_runtime.load(snapshot.path)
            forward = tf_runtime.compiled(model)
            facts = tf_runtime.model_facts(model)
            runtime = f"TensorFlow {tf_runtime.tensorflow().__version__} (tf.function)"
        check_answers(forward(probe_fields()), facts["classes"], snapshot.path)
        self.card = {**self._describe(facts, snapshot), "runtime": runtime}
        self.policy = reading.Policy.from_card(self.card)
        self.sha256 = snapshot.sha256
        self._forward = forward
        self.state = "ready"

    def _describe(self, facts: dict, snapshot: modelfile.Snapshot) -> dict:
        """The model card of the file, when it describes these very bytes; else the basics."""
        sha256 = snapshot.sha256
        card = modelfile.load_card(snapshot.path)
        if card is not None and card.get("file", {}).get("sha256") == sha256:
            return card
        if facts.get("classes") == NUM_CLASSES:  # refusal, not the card's calibration: softmax
            refusal = {"class": NOT_A_DIGIT, "temperature": 1.0, "threshold": 0.5}
            facts = {**facts, "refusal": refusal}
        found = "is for another model file" if card else "was not found"
        return {
            **facts,
            "file": {"name": self.model_path.name, "sha256": sha256},
            "note": f"The model card {modelfile.card_path(self.model_path).name} {found}; "
            "these facts are read from the model file itself.",
        }

    def status(self) -> dict:
        """State for /healthz: always the state, plus progress or error where there is one."""
        status = {"state": self.state, "model": str(self.model_path.name)}
        if self.sha256:
            status["sha256"] = self.sha256
        if self.file_error:
            status["model_file_error"] = self.file_error
        if self.state == "training":
            status["progress"] = self.progress
        if self.error:
            status["error"] = self.error
        return status

    def _ready(self) -> None:
        """Raise ModelUnavailable unless a model is serving."""
        if self._forward is None:
            if self.state == "failed":
                message = f"Training a model on first run failed: {self.error}"
            else:
                message = "The model is still being trained on first run; try again shortly."
            raise ModelUnavailable(message, self.status())

    def describe(self) -> dict:
        """The serving model's card: what it is, how it was trained, how well it does."""
        self._ready()
        return self.card

    def classify(self, fields: np.ndarray) -> np.ndarray:
        """The model's raw softmax (N, 10 or 11) for N normalised fields, one batch."""
        self._ready()
        probs = np.asarray(self._forward(fields), np.float64)
        if not np.isfinite(probs).all():
            logger.error(
                "model %s (sha256 %s) answered %d of %d values non-finite for %d fields",
                self.model_path.name,
                self.sha256,
                int((~np.isfinite(probs)).sum()),
                probs.size,
                len(probs),
            )
            raise ModelFailed("The model gave no usable answer (NaN); it has been logged.")
        return probs
