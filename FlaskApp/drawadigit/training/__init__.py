"""Train a digit network: fit it, keep its best epoch, calibrate it, save it with its card.

`train` trains one network on fields in memory (its data: `datasets`); `train_and_save`
is the whole run behind `python FlaskApp/kerasModel.py train` and first-run training in the
server: MNIST (and people's corrections), `train`, the MNIST test accuracy, then the model file
and its card (model.json), each written atomically. TensorFlow is imported on first use
(`tf_runtime`).
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from drawadigit.contract import DIGITS
from drawadigit.data import mnist
from drawadigit.model import modelfile, tf_runtime
from drawadigit.reading import calibration, preprocessing
from drawadigit.training import datasets, networks
from drawadigit.training.datasets import Corrections, Labelled, Progress

if TYPE_CHECKING:
    import keras

BATCH_SIZE = 128
SEED = 0
# The refusal threshold is the lowest that refuses at most this share of validation digits.
MAX_FALSE_REFUSAL = 0.004


@dataclass(frozen=True)
class Settings:
    """How to train: the architecture, the epochs (default: its recipe's), the seed."""

    arch: str = networks.DEFAULT_ARCH
    epochs: int | None = None  # None: the architecture's recipe
    seed: int = SEED
    batch_size: int = BATCH_SIZE
    verbose: int = 0  # Keras' own output: 0 none, 2 a line per epoch

    @property
    def recipe(self) -> networks.Recipe:
        """The architecture's recipe."""
        return networks.RECIPES[self.arch]

    @property
    def planned_epochs(self) -> int:
        """The epochs asked for, else the recipe's."""
        return self.epochs or self.recipe.epochs


@dataclass(frozen=True)
class Data:
    """Where `train_and_save` takes its digits from."""

    mnist_dir: str | os.PathLike
    mirrors: tuple[str, ...] = mnist.DEFAULT_MIRRORS
    limit: int | None = None  # the first N training digits only
    corrections_url: str | None = None  # add people's corrections from this database
    unipen_dir: str | os.PathLike | None = None  # add real pen writing from the UNIPEN share


@dataclass(frozen=True)
class Trained:
    """A trained network, Keras' history of its epochs and its calibration (`calibrate`)."""

    model: keras.Model
    history: dict
    refusal: dict


@dataclass(frozen=True)
class Saved:
    """What `train_and_save` wrote, and the figures it reports (`summary`)."""

    model: keras.Model
    path: Path
    summary: dict  # train_seconds, epochs_run and the metrics of the model card


def ignore(_: dict) -> None:
    """A progress report nobody reads."""


def progress_callback(report: Progress, epochs: int) -> keras.callbacks.Callback:
    """A Keras callback that reports training progress as plain dicts."""
    keras = tf_runtime.keras()

    class ProgressCallback(keras.callbacks.Callback):
        epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            steps = self.params.get("steps") or 1
            if batch % 20 == 0 or batch + 1 == steps:
                done = (self.epoch + (batch + 1) / steps) / epochs
                report({"epoch": self.epoch + 1, "epochs": epochs, "fraction": round(done, 4)})

        def on_epoch_end(self, epoch, logs=None):
            logs = {k: round(float(v), 4) for k, v in (logs or {}).items()}
            report({"epoch": epoch + 1, "epochs": epochs, "fraction": (epoch + 1) / epochs, **logs})

    return ProgressCallback()


def _callbacks(model, best: Path, settings: Settings, progress: Progress | None) -> list:
    """Keep the best epoch's weights in `best`, stop early, and report progress."""
    keras = tf_runtime.keras()
    # With averaged weights (EMA), validate and keep those, not the last step's.
    averaged = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)]
    callbacks = averaged * bool(model.optimizer.use_ema) + [
        keras.callbacks.ModelCheckpoint(
            best, monitor="val_accuracy", save_best_only=True, save_weights_only=True
        ),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=settings.recipe.patience),
    ]
    if progress is not None:
        callbacks.append(progress_callback(progress, settings.planned_epochs))
    return callbacks


def fit(
    model, data: tuple[Labelled, Labelled], settings: Settings, progress: Progress | None
) -> dict:
    """Fit on the training set; keep the weights of the epoch best on the validation set."""
    (x_fit, y_fit), (x_val, y_val) = data
    epochs = settings.planned_epochs
    steps = epochs * int(np.ceil(len(y_fit) / settings.batch_size))
    model.compile(
        optimizer=settings.recipe.optimizer(steps),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    with tempfile.TemporaryDirectory(prefix="digit-training-") as tmp:
        best = Path(tmp) / "best.weights.h5"
        history = model.fit(
            x_fit,
            y_fit,
            validation_data=(x_val, y_val),
            epochs=epochs,
            batch_size=settings.batch_size,
            callbacks=_callbacks(model, best, settings, progress),
            verbose=settings.verbose,
        )
        model.load_weights(best)
    return history.history


def train(
    x_train: np.ndarray,
    y_train: np.ndarray,
    settings: Settings | None = None,
    progress: Progress | None = None,
    pen: tuple[Labelled, Labelled] | None = None,
) -> Trained:
    """Train a network (`settings.arch`) on MNIST fields; keep the best epoch on a validation set.

    Each training digit is seen as MNIST has it and, by the architecture's recipe, as the drawing
    pipeline renders it and in augmented copies, all normalised like a served drawing; negatives
    (`negatives.py`) join them as class 10 (labels of 10 in `y_train`, people's "not a digit"
    corrections, count as negatives too). A seeded tenth of the digits is held out for
    validation, with negatives of its own (`datasets.assemble`); the weights of the epoch
    that scores best on it are kept (a checkpoint file) and training stops early when it no
    longer improves. Then the validation set calibrates the probabilities (`calibrate`). The
    MNIST test set is never used. `pen`, real pen writing split by writer (`pen_writing`),
    joins the training and the validation set.
    """
    settings, report = settings or Settings(), progress or ignore
    tf_runtime.keras().utils.set_random_seed(settings.seed)
    fit_set, val_set = datasets.assemble(
        x_train, y_train, settings.recipe, settings.seed, report, pen
    )
    model = settings.recipe.build()
    fit_set = Labelled(tf_runtime.as_model_input(model, fit_set.x), fit_set.y)
    val_set = Labelled(tf_runtime.as_model_input(model, val_set.x), val_set.y)
    report({"stage": f"training on {len(fit_set.y):,} digits, validating on {len(val_set.y):,}"})
    history = fit(model, (fit_set, val_set), settings, progress)
    report({"stage": "calibrating on the validation set"})
    return Trained(model, history, calibrate(model, *val_set))


def calibrate(model: keras.Model, fields: np.ndarray, labels: np.ndarray) -> dict:
    """Fit the temperature and the refusal threshold on held-out fields; report both.

    The threshold is the lowest "not a digit" probability that refuses at most
    `MAX_FALSE_REFUSAL` of the held-out digits. The figures quoted are on the same fields.
    """
    raw = tf_runtime.predict_all(model, fields)
    temperature = calibration.fit_temperature(raw, labels)
    probs = calibration.calibrated(raw, temperature)
    digits = labels < DIGITS
    threshold = calibration.refusal_threshold(probs[digits, DIGITS], MAX_FALSE_REFUSAL)
    refused = probs[:, DIGITS] >= threshold
    return {
        "class": DIGITS,
        "temperature": round(temperature, 4),
        "threshold": round(threshold, 6),
        "chosen_for": f"at most {MAX_FALSE_REFUSAL:.1%} of validation digits refused",
        "validation": {
            "digits": int(digits.sum()),
            "negatives": int((~digits).sum()),
            "digits_refused": round(float(refused[digits].mean()), 4),
            "negatives_refused": round(float(refused[~digits].mean()), 4),
            "ece_before": round(calibration.expected_calibration_error(raw, labels), 4),
            "ece_after": round(calibration.expected_calibration_error(probs, labels), 4),
        },
    }


def accuracy(model: keras.Model, fields: np.ndarray, labels: np.ndarray) -> float:
    """Share of fields whose most probable class is the label (for digits: the likeliest digit,
    refusal aside, as MNIST accuracy has always been counted)."""
    probs = tf_runtime.predict_all(model, fields)
    labels = np.asarray(labels)
    predicted = np.where(labels < DIGITS, probs[:, :DIGITS].argmax(axis=1), probs.argmax(axis=1))
    return float((predicted == labels).mean())


def train_and_save(
    path: str | os.PathLike,
    data: Data,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Saved:
    """Fetch MNIST if needed, train, evaluate on the test set and save atomically to `path`.

    With `data.corrections_url`, people's corrections from that database join the training digits
    (`datasets.CORRECTION_REPEAT` times each), except a held-out share on which the model at
    `path` before training and the new model are both evaluated.
    """
    settings, report = settings or Settings(), progress or ignore
    digits, test = _mnist(data, report)
    digits, corrections, before = _with_corrections(path, data, digits, report)
    report({"stage": f"preparing {len(digits.y):,} training digits, then training"})
    tf_runtime.keras()  # imported before the clock starts: the card times the training alone
    started = time.perf_counter()
    pen = _pen_writing(data, settings, report)
    fields = preprocessing.scale_mnist(digits.x)
    trained = train(
        fields,
        digits.y,
        settings,
        lambda p: report({"stage": "training", **p}),
        (pen.train, pen.validation) if pen else None,
    )
    record = _training_record(trained, settings, len(digits.y), time.perf_counter() - started)
    if pen is not None:
        record["pen_writing"] = pen.record
        record["recipe"] += f"; {networks.PEN_SUMMARY}"
    metrics = _metrics(trained, test)
    if corrections is not None:
        # The card's keys keep their names (readers of model cards rely on them).
        record["feedback"] = corrections.record(before)
        metrics["feedback_held_out_accuracy"] = _held_out_accuracy(trained.model, corrections)
        metrics["feedback_held_out_accuracy_before"] = before
    return _save(trained, path, record, metrics, report)


def _with_corrections(path, data: Data, digits, report: Progress):
    """The training digits with the corrections at `data.corrections_url` (if any), those
    corrections, and the accuracy of the model at `path` on their held-out share."""
    if not data.corrections_url:
        return digits, None, None
    report({"stage": "loading people's corrections"})
    corrections = datasets.load_corrections(data.corrections_url)
    before = _accuracy_before(path, corrections)
    return datasets.with_corrections(digits, corrections), corrections, before


def _pen_writing(data: Data, settings: Settings, report: Progress):
    """The UNIPEN share's training fields when `data.unipen_dir` names it, else None."""
    if not data.unipen_dir:
        return None
    from drawadigit.training import pen_writing  # the share is read only when training is given it

    return pen_writing.load(data.unipen_dir, settings.seed, report)


def _save(trained, path, record: dict, metrics: dict, report: Progress) -> Saved:
    """The model file and its card, each written atomically; what the run reports."""
    tf_runtime.save_atomic(trained.model, path)
    card = {**networks.model_card(trained.model, record, metrics), "refusal": trained.refusal}
    modelfile.save_card(card, path)
    summary = {"train_seconds": record["seconds"], "epochs_run": record["epochs_run"], **metrics}
    report({"stage": "saved", **summary})
    return Saved(trained.model, Path(path), summary)


def _mnist(data: Data, report: Progress) -> tuple[Labelled, Labelled]:
    """MNIST's training digits (the first `data.limit`, when given) and its test digits."""
    report({"stage": "loading MNIST"})
    (x_train, y_train), test = mnist.load_mnist(
        data.mnist_dir, mirrors=data.mirrors, progress=lambda line: report({"stage": line})
    )
    if data.limit:
        x_train, y_train = x_train[: data.limit], y_train[: data.limit]
    return Labelled(x_train, y_train), Labelled(*test)


def _held_out_accuracy(model: keras.Model, corrections: Corrections) -> float | None:
    """A model's accuracy on the held-out corrections (None when none are held out)."""
    fields, labels = corrections.held_out
    return accuracy(model, preprocessing.scale_mnist(fields), labels) if len(labels) else None


def _accuracy_before(path: str | os.PathLike, corrections: Corrections) -> float | None:
    """The held-out accuracy of the model file that training replaces, when there is one."""
    if not (Path(path).exists() and len(corrections.held_out.y)):
        return None
    return _held_out_accuracy(tf_runtime.load(path), corrections)


def _training_record(trained: Trained, settings: Settings, digits: int, seconds: float) -> dict:
    """How a model was trained, for its card."""
    recipe, val_accuracy = settings.recipe, trained.history["val_accuracy"]
    return {
        "data": {name: mnist.FILES[name] for name in mnist.FILES if name.startswith("train")},
        "data_hash": "SHA-256 of the decompressed IDX content",
        "digits": digits,
        "validation_share": datasets.VALIDATION_SHARE,
        "drawn_copy": recipe.drawn_copy,
        "augmented_copies": recipe.augmented_copies,
        "recipe": f"{recipe.summary}; {networks.NEGATIVES_SUMMARY}",
        "negative_share": datasets.NEGATIVE_SHARE,
        "epochs": settings.planned_epochs,
        "epochs_run": len(val_accuracy),
        "best_epoch": int(np.argmax(val_accuracy)) + 1,
        "batch_size": settings.batch_size,
        "seed": settings.seed,
        "seconds": round(seconds, 1),
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
    }


def _metrics(trained: Trained, test: Labelled) -> dict:
    """How well a trained model does: MNIST's test set, and its best validation accuracy."""
    fields = preprocessing.scale_mnist(test.x)
    return {
        "mnist_test_accuracy": accuracy(trained.model, fields, test.y),
        "validation_accuracy": round(float(max(trained.history["val_accuracy"])), 4),
    }
