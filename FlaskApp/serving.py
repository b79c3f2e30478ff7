"""The model behind the app: loaded once, or trained on first run while the server answers.

`ModelService` owns the one model of a server process. `start()` loads the model file; when the
file is missing it trains one in a background thread from MNIST (saving it atomically) and, until
that is done, `predict` raises `ModelUnavailable` carrying the training progress. A model file that
exists but cannot be read stops start-up with `modelfile.ModelFileError`: it is never silently
trained over. Nothing here knows about Flask.

Two runtimes answer (`RUNTIMES`): LiteRT, the default wherever it is installed, runs the model
file converted to TensorFlow Lite, so the process never imports TensorFlow (about 640 MB less
per server worker); "tensorflow" runs the Keras model itself as a traced `tf.function`.
TensorFlow is imported only for that runtime, for converting, and for first-run training.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import calibration
import lite
import modelfile
import numpy as np
import reading

logger = logging.getLogger(__name__)


class ModelUnavailable(RuntimeError):
    """No model can answer yet (training) or at all (training failed)."""

    def __init__(self, message: str, status: dict) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one normalised field."""

    digit: int
    confidence: float
    probabilities: list[float]

    def as_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class TrainingSettings:
    """How to train a model on first run."""

    mnist_dir: Path
    mirrors: tuple[str, ...]
    epochs: int | None = None  # None: the recipe's
    limit: int | None = None


RUNTIMES = ("auto", "litert", "tensorflow")


class ModelService:
    """Holds the server's model; states: starting, training, ready, failed."""

    def __init__(
        self,
        model_path: str | Path,
        training: TrainingSettings | None,
        *,
        runtime: str = "auto",
        cache_dir: str | Path | None = None,
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
        self.cache_dir = Path(cache_dir) if cache_dir else self.model_path.parent / ".model-cache"
        self.state = "starting"
        self.progress: dict = {}
        self.error: str | None = None
        self.card: dict = {}
        self.policy = reading.Policy()
        self._forward = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Load the model file, or start training one when it is missing and training is allowed."""
        if self.model_path.exists():
            self._serve()
            logger.info("model loaded from %s (%s)", self.model_path, self.runtime)
            return
        if self.training is None:
            raise modelfile.ModelFileError(
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
        settings = self.training
        try:
            import kerasModel  # TensorFlow, only in the process that trains

            _, metrics = kerasModel.train_and_save(
                self.model_path,
                settings.mnist_dir,
                mirrors=settings.mirrors,
                epochs=settings.epochs,
                limit=settings.limit,
                progress=self._report,
            )
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
        """Keep the latest training progress (a new dict each time, so readers see a whole one)."""
        self.progress = dict(progress)

    def _serve(self) -> None:
        """Load the model file into the runtime, warm it up with one call, then take traffic."""
        if self.runtime == "litert":
            path, facts = lite.converted(self.model_path, self.cache_dir)
            forward = lite.LiteForward(path)
            runtime = f"LiteRT {lite.version()}"
        else:
            import kerasModel

            model = kerasModel.load(self.model_path)
            forward = kerasModel.compiled(model)
            facts = kerasModel.model_facts(model)
            runtime = f"TensorFlow {sys.modules['tensorflow'].__version__} (tf.function)"
        forward(np.zeros((1, 28, 28), np.float32))
        self.card = {**self._describe(facts), "runtime": runtime}
        self.policy = reading.Policy.from_card(self.card)
        self._forward = forward
        self.state = "ready"

    def _describe(self, facts: dict) -> dict:
        """The model card beside the file, when it describes this very file; else the basics."""
        sha256 = modelfile.file_sha256(self.model_path)
        card = modelfile.load_card(self.model_path)
        if card is not None and card.get("file", {}).get("sha256") == sha256:
            return card
        if facts.get("classes") == 11:  # refusal, but not the card's calibration: plain softmax
            facts = {**facts, "refusal": {"class": 10, "temperature": 1.0, "threshold": 0.5}}
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
        """The model's raw softmax (N, 10 or 11) for normalised fields (N, 28, 28), one batch."""
        self._ready()
        return np.asarray(self._forward(fields), np.float64)

    def read(self, data: bytes) -> reading.Reading:
        """Image bytes -> what was drawn: a digit, a number or not a digit (`reading`)."""
        return reading.read_bytes(data, self.classify, self.policy)

    def predict(self, field: np.ndarray) -> Prediction:
        """The ten digits' calibrated probabilities for one normalised 28x28 field."""
        probs = calibration.calibrated(self.classify(field[None]), self.policy.temperature)[0]
        answer = reading.Answer.of(probs)
        return Prediction(answer.digit, answer.confidence, answer.probabilities)
