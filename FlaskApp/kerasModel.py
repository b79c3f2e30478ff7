"""Build, train, save, load and evaluate the digit networks (Keras 3 on TensorFlow).

The model contract: input float32 in [0, 1], ink high, shape (None, 784) or (None, 28, 28, 1),
as produced by `preprocessing.normalise` (or `preprocessing.scale_mnist` for MNIST itself);
output a softmax over eleven classes, the digits 0-9 and 10 = "not a digit" (older files: over
the ten digits alone, and they never refuse). Any model file that keeps it can be dropped in;
its card (model.json) records the calibration temperature and the refusal threshold.

    python FlaskApp/kerasModel.py train [--arch cnn|dense] [--epochs N] [--seed 0]
                                        [--out model.h5] [--mnist-dir DIR] [--limit N]

writes the model and its card (model.json). `python FlaskApp/evaluation.py` evaluates it.
`--with-feedback [--database-url URL]` adds people's corrections (see feedback.py) and reports
accuracy on a held-out share of them before and after.

    python FlaskApp/kerasModel.py export [--model model.h5] [--to exported/digits/1]

writes a TensorFlow SavedModel for TensorFlow Serving, and

    python FlaskApp/kerasModel.py tflite [--model model.h5] [--to exported/model.tflite]

the LiteRT (TensorFlow Lite) file the server runs (`lite.py` calls it when it needs one).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter quiet

import modelfile  # noqa: E402
from modelfile import (  # noqa: E402, F401  (re-exported: kerasModel.ModelFileError etc.)
    DEFAULT_MNIST_DIR,
    DEFAULT_MODEL_PATH,
    ROOT,
    ModelFileError,
    card_path,
    file_sha256,
    load_card,
)


def _load_tensorflow_quietly() -> None:
    """Import TensorFlow and set up its devices with its C++ start-up lines held back.

    Those lines (oneDNN notices, the CUDA probe on a machine without a GPU) are written from C++
    before TensorFlow's logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot hold them back.
    """
    if "tensorflow" in sys.modules:
        return
    with modelfile.quiet_stderr():
        import tensorflow

        tensorflow.config.list_physical_devices()
        tensorflow.constant(0.0) + 1.0  # the first operation reports the CPU's features


_load_tensorflow_quietly()

import augment  # noqa: E402
import calibration  # noqa: E402
import keras  # noqa: E402
import mnist  # noqa: E402
import negatives  # noqa: E402
import numpy as np  # noqa: E402
import preprocessing  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

DIGITS = 10
NUM_CLASSES = DIGITS + 1  # the digits, then negatives.NOT_A_DIGIT
PIXELS = preprocessing.SIZE * preprocessing.SIZE

BATCH_SIZE = 128
VALIDATION_SHARE = 0.1  # held out of the training set; the test set is only for evaluation
SEED = 0
NEGATIVE_SHARE = 0.4  # negatives (`negatives.py`) made per training digit
# Weights are averaged (EMA, momentum 0.99) only over runs this long: the average has no warm-up,
# so over a few hundred steps it would still be mostly the initial weights.
EMA_MIN_STEPS = 3000
# The refusal threshold is the lowest that refuses at most this share of validation digits.
MAX_FALSE_REFUSAL = 0.004

Progress = Callable[[dict], None]


def build_dense() -> keras.Model:
    """The original network: dense 784-512-512 with ReLU and dropout 0.2, and a softmax."""
    return keras.Sequential(
        [
            keras.Input(shape=(PIXELS,)),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="dense",
    )


def build_cnn() -> keras.Model:
    """A small convolutional network: two blocks of batch-normalised 3x3 convolutions, a dense head.

    About 272,000 parameters, under a millisecond per digit on a CPU once compiled. Batch
    normalisation lets it learn in few epochs, which keeps training on two CPU cores in minutes.
    """

    def conv(filters: int, padding: str) -> list[layers.Layer]:
        return [
            layers.Conv2D(filters, 3, padding=padding, use_bias=False),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
        ]

    return keras.Sequential(
        [
            keras.Input(shape=(preprocessing.SIZE, preprocessing.SIZE, 1)),
            *conv(32, "same"),
            *conv(32, "valid"),
            layers.MaxPooling2D(),
            *conv(64, "same"),
            *conv(64, "valid"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(128, use_bias=False),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="cnn",
    )


@dataclass(frozen=True)
class Recipe:
    """How one architecture is trained by default."""

    build: Callable[[], keras.Model]
    epochs: int
    optimizer: Callable[[int], keras.optimizers.Optimizer]  # given the number of training steps
    drawn_copy: bool  # add every digit as the drawing pipeline renders it (`as_drawn`)
    augmented_copies: int  # add this many augmented, normalised copies (`augment`)
    patience: int  # epochs without a better validation accuracy before stopping early
    summary: str  # the recipe in words, for the model card


RECIPES = {
    # The original network and its recipe, plus the drawn copy of each digit.
    "dense": Recipe(
        build_dense,
        20,
        lambda steps: keras.optimizers.RMSprop(),
        True,
        0,
        5,
        "RMSprop; MNIST digits plus their drawn copies",
    ),
    # Adam with a cosine decay to 1 % over the planned steps; augmentation does the rest.
    "cnn": Recipe(
        build_cnn,
        8,
        lambda steps: keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(2e-3, steps, 0.01),
            use_ema=steps >= EMA_MIN_STEPS,
        ),
        False,
        1,
        3,
        "Adam, learning rate 0.002 with cosine decay, weights averaged (EMA, 0.99) on long runs; "
        "MNIST digits plus an augmented copy",
    ),
}
NEGATIVES_SUMMARY = (
    "plus negatives (letters, shapes, scribbles, hatching, marks, run-together pairs; "
    "negatives.py) as class 10, augmented like the digits"
)
ARCHITECTURES = {name: recipe.build for name, recipe in RECIPES.items()}
DEFAULT_ARCH = "cnn"


def as_model_input(model: keras.Model, fields: np.ndarray) -> np.ndarray:
    """Reshape normalised 28x28 fields to the model's own input shape."""
    return np.asarray(fields, np.float32).reshape((-1, *model.input_shape[1:]))


def probabilities(model: keras.Model, fields: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) for normalised fields (N, 28, 28), one direct model call."""
    return model(as_model_input(model, fields), training=False).numpy()


def compiled(model: keras.Model) -> Callable[[np.ndarray], np.ndarray]:
    """The model's forward pass traced once into a TensorFlow graph, for any batch size.

    A direct `model(x)` call runs eagerly, layer by layer in Python: 5-7 ms for one digit
    through the CNN on this CPU. The traced graph answers in well under a millisecond.
    """
    spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)

    # Plain tensor code: AutoGraph has nothing to convert (and warns when it tries).
    @tf.function(input_signature=[spec], autograph=False)
    def forward(x):
        return model(x, training=False)

    return lambda fields: forward(as_model_input(model, fields)).numpy()


class ProgressCallback(keras.callbacks.Callback):
    """Report training progress as plain dicts to a function."""

    def __init__(self, report: Progress, epochs: int) -> None:
        super().__init__()
        self.report = report
        self.epochs = epochs
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        steps = self.params.get("steps") or 1
        if batch % 20 == 0 or batch + 1 == steps:
            done = (self.epoch + (batch + 1) / steps) / self.epochs
            self.report(
                {"epoch": self.epoch + 1, "epochs": self.epochs, "fraction": round(done, 4)}
            )

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: round(float(v), 4) for k, v in (logs or {}).items()}
        self.report(
            {
                "epoch": epoch + 1,
                "epochs": self.epochs,
                "fraction": (epoch + 1) / self.epochs,
                **logs,
            }
        )


def as_drawn(fields: np.ndarray) -> np.ndarray:
    """MNIST fields passed through the drawing pipeline: what a served drawing looks like."""
    return np.stack([preprocessing.normalise_ink(field) for field in fields])


def train(
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    arch: str = DEFAULT_ARCH,
    epochs: int | None = None,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
    progress: Progress | None = None,
    verbose: int = 0,
) -> tuple[keras.Model, dict]:
    """Train a network (`arch`) on MNIST fields; keep the best epoch on a validation split.

    Each training digit is seen as MNIST has it and, by the architecture's recipe, as the drawing
    pipeline renders it (`as_drawn`) and in augmented copies (`augment`), all normalised like a
    served drawing; `NEGATIVE_SHARE` negatives per digit (`negatives.py`) join them as class 10
    (labels of 10 in `y_train`, people's "not a digit" corrections, count as negatives too). A
    seeded tenth of the digits is held out for validation, as MNIST has them and augmented, with
    negatives of their own; the weights of the epoch that scores best on it are kept (a
    checkpoint file) and training stops early when it no longer improves. Then the validation set
    calibrates the probabilities (`calibrate`). The MNIST test set is never used.

    Returns the model, Keras' history and the calibration (`calibrate`).
    """
    recipe = RECIPES[arch]
    epochs = epochs or recipe.epochs
    report = progress or (lambda _: None)
    keras.utils.set_random_seed(seed)
    y = np.asarray(y_train, np.int64)
    # A seeded shuffle before the split, so the validation digits are a fair sample.
    order = np.random.default_rng(seed).permutation(len(y))
    n_val = max(1, int(len(y) * VALIDATION_SHARE))
    val, fit = order[:n_val], order[n_val:]
    fields = np.asarray(x_train, np.float32)
    x_fit, y_fit = [fields[fit]], [y[fit]]
    x_val, y_val = [fields[val]], [y[val]]
    if recipe.drawn_copy:
        report({"stage": f"rendering {len(y):,} digits as drawn"})
        drawn = as_drawn(fields)
        x_fit.append(drawn[fit])
        x_val.append(drawn[val])
        y_fit.append(y[fit])
        y_val.append(y[val])
    for copy in range(recipe.augmented_copies):
        of = f"copy {copy + 1} of {recipe.augmented_copies}"
        report({"stage": f"augmenting {len(y):,} digits ({of})"})
        augmented = augment.augment_many(fields, y, seed=seed * 1000 + copy)
        x_fit.append(augmented[fit])
        y_fit.append(y[fit])
        if copy == 0:
            x_val.append(augmented[val])
            y_val.append(y[val])
    digits = y < DIGITS
    for part, (where, xs, ys) in enumerate(((fit, x_fit, y_fit), (val, x_val, y_val))):
        count = max(1, round(NEGATIVE_SHARE * len(where)))
        report({"stage": f"making {count:,} negatives ({('training', 'validation')[part]})"})
        made, _ = negatives.negatives(
            count, seed * 1000 + 100 + part, digits=fields[where[digits[where]]]
        )
        xs.append(made)
        ys.append(np.full(count, negatives.NOT_A_DIGIT, np.int64))

    model = recipe.build()
    x_fit = as_model_input(model, np.concatenate(x_fit))
    x_val = as_model_input(model, np.concatenate(x_val))
    y_fit, y_val = np.concatenate(y_fit), np.concatenate(y_val)
    steps = epochs * int(np.ceil(len(y_fit) / batch_size))
    model.compile(
        optimizer=recipe.optimizer(steps),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    report({"stage": f"training on {len(y_fit):,} digits, validating on {len(y_val):,}"})
    with tempfile.TemporaryDirectory(prefix="digit-training-") as tmp:
        best = Path(tmp) / "best.weights.h5"
        # With averaged weights (EMA), validate and keep those, not the last step's.
        averaged = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)]
        callbacks = averaged * bool(model.optimizer.use_ema) + [
            keras.callbacks.ModelCheckpoint(
                best, monitor="val_accuracy", save_best_only=True, save_weights_only=True
            ),
            keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=recipe.patience),
        ]
        if progress is not None:
            callbacks.append(ProgressCallback(progress, epochs))
        history = model.fit(
            x_fit,
            y_fit,
            validation_data=(x_val, y_val),
            epochs=epochs,
            batch_size=batch_size,
            callbacks=callbacks,
            verbose=verbose,
        )
        model.load_weights(best)
    report({"stage": "calibrating on the validation set"})
    return model, history.history, calibrate(model, x_val, y_val)


def calibrate(model: keras.Model, fields: np.ndarray, labels: np.ndarray) -> dict:
    """Fit the temperature and the refusal threshold on held-out fields; report both.

    The threshold is the lowest "not a digit" probability that refuses at most
    `MAX_FALSE_REFUSAL` of the held-out digits. The figures quoted are on the same fields.
    """
    raw = predict_all(model, fields)
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


def predict_all(model: keras.Model, fields: np.ndarray) -> np.ndarray:
    """Raw probabilities for many fields, in batches of 1000."""
    parts = [probabilities(model, fields[i : i + 1000]) for i in range(0, len(fields), 1000)]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)


def accuracy(model: keras.Model, fields: np.ndarray, labels: np.ndarray) -> float:
    """Share of fields whose most probable class is the label (for digits: the likeliest digit,
    refusal aside, as MNIST accuracy has always been counted)."""
    probs = predict_all(model, fields)
    labels = np.asarray(labels)
    predicted = np.where(labels < DIGITS, probs[:, :DIGITS].argmax(axis=1), probs.argmax(axis=1))
    return float((predicted == labels).mean())


def save_atomic(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save to a temporary file beside `path`, then rename: a killed run leaves no broken file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp.h5")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # The spec ships HDF5 (model.h5); Keras logs that it calls the format legacy.
        absl_logger = logging.getLogger("absl")
        level = absl_logger.level
        absl_logger.setLevel(logging.ERROR)
        try:
            model.save(tmp)
        finally:
            absl_logger.setLevel(level)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model file is for everyone to read
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load(path: str | os.PathLike) -> keras.Model:
    """Load a model file in Keras' safe mode and check it keeps the model contract."""
    path = Path(path)
    fix = (
        f"Delete {path} to train a new one from MNIST on the next start, "
        "or restore the shipped model with `git checkout -- model.h5`."
    )
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # h5py, Keras and OS errors all mean the same thing here
        raise ModelFileError(f"Cannot read the model file {path}: {exc}. {fix}") from exc
    inputs = int(np.prod(model.input_shape[1:]))
    outputs = model.output_shape[-1]
    if inputs != PIXELS or outputs not in (DIGITS, NUM_CLASSES):
        raise ModelFileError(
            f"The model file {path} takes {model.input_shape} and gives {model.output_shape}; "
            f"expected 784 pixels in and {NUM_CLASSES} probabilities out (the digits and "
            f"'not a digit'; or {DIGITS}, the digits alone). {fix}"
        )
    return model


def model_card(model: keras.Model, training: dict, metrics: dict) -> dict:
    """What a model is, how it was trained and how well it does, as plain JSON-ready data."""
    return {
        "architecture": model.name,
        "description": (ARCHITECTURES[model.name].__doc__ or "").split("\n")[0]
        if model.name in ARCHITECTURES
        else "",
        "parameters": int(model.count_params()),
        "layers": [f"{layer.__class__.__name__} {layer.name}" for layer in model.layers],
        "input": {
            "shape": list(model.input_shape),
            "values": "float32 in [0, 1], ink high, normalised by preprocessing.normalise",
        },
        "output": (
            "softmax over 11 classes: the digits 0-9, then 10 = not a digit"
            if model.output_shape[-1] == NUM_CLASSES
            else "softmax over the digits 0-9"
        ),
        "training": training,
        "metrics": metrics,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
            "numpy": np.__version__,
        },
    }


def save_card(card: dict, model_path: str | os.PathLike) -> Path:
    """Write a card beside its model (atomically), recording the model file's hash."""
    model_path = Path(model_path)
    card = {**card, "file": {"name": model_path.name, "sha256": file_sha256(model_path)}}
    path = card_path(model_path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(card, indent=2) + "\n")
    os.replace(tmp, path)
    return path


FEEDBACK_REPEAT = 20  # each correction counts this many times among 60,000 MNIST digits


def feedback_data(url: str, model_path: str | os.PathLike) -> dict:
    """The stored corrections split for training, with the current model's held-out accuracy."""
    import feedback  # SQLAlchemy, only when training with corrections

    store = feedback.FeedbackStore(url)
    try:
        split = store.split()
    finally:
        store.close()
    held_fields, held_labels = split["held_out"]
    before = None
    if Path(model_path).exists() and len(held_labels):
        before = accuracy(load(model_path), preprocessing.scale_mnist(held_fields), held_labels)
    return {
        "database": _without_password(url),
        "train": len(split["train"][1]),
        "held_out": len(held_labels),
        "repeat": FEEDBACK_REPEAT,
        "held_out_share": feedback.HOLDOUT_SHARE,
        "held_out_accuracy_before": before,
        "train_set": split["train"],
        "held_out_set": split["held_out"],
    }


def _without_password(url: str) -> str:
    """A database URL without its password, for the model card."""
    import sqlalchemy

    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


def train_and_save(
    path: str | os.PathLike,
    mnist_dir: str | os.PathLike,
    *,
    mirrors: tuple[str, ...] = mnist.DEFAULT_MIRRORS,
    arch: str | None = None,
    epochs: int | None = None,
    limit: int | None = None,
    seed: int = SEED,
    feedback_url: str | None = None,
    progress: Progress | None = None,
    verbose: int = 0,
) -> tuple[keras.Model, dict]:
    """Fetch MNIST if needed, train, evaluate on the test set and save atomically to `path`.

    With `feedback_url`, people's corrections from that database join the training digits
    (`FEEDBACK_REPEAT` times each), except a held-out share (`feedback.is_held_out`) on which the
    model at `path` before training and the new model are both evaluated.
    """
    report = progress or (lambda _: None)
    report({"stage": "loading MNIST"})
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist(
        mnist_dir, mirrors=mirrors, progress=lambda line: report({"stage": line})
    )
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    corrections = None
    if feedback_url:
        report({"stage": "loading people's corrections"})
        corrections = feedback_data(feedback_url, path)
        fields, labels = corrections.pop("train_set")
        x_train = np.concatenate([x_train, np.repeat(fields, FEEDBACK_REPEAT, axis=0)])
        y_train = np.concatenate([y_train, np.repeat(labels, FEEDBACK_REPEAT)])
    report({"stage": f"preparing {len(y_train):,} training digits, then training"})
    arch = arch or DEFAULT_ARCH
    recipe = RECIPES[arch]
    started = time.perf_counter()
    model, history, refusal = train(
        preprocessing.scale_mnist(x_train),
        y_train,
        arch=arch,
        epochs=epochs,
        seed=seed,
        progress=lambda p: report({"stage": "training", **p}),
        verbose=verbose,
    )
    seconds = round(time.perf_counter() - started, 1)
    val_accuracy = history["val_accuracy"]
    training = {
        "data": {name: mnist.FILES[name] for name in mnist.FILES if name.startswith("train")},
        "data_hash": "SHA-256 of the decompressed IDX content",
        "digits": len(y_train),
        "validation_share": VALIDATION_SHARE,
        "drawn_copy": recipe.drawn_copy,
        "augmented_copies": recipe.augmented_copies,
        "recipe": f"{recipe.summary}; {NEGATIVES_SUMMARY}",
        "negative_share": NEGATIVE_SHARE,
        "epochs": epochs or recipe.epochs,
        "epochs_run": len(val_accuracy),
        "best_epoch": int(np.argmax(val_accuracy)) + 1,
        "batch_size": BATCH_SIZE,
        "seed": seed,
        "seconds": seconds,
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}",
    }
    metrics = {
        "mnist_test_accuracy": accuracy(model, preprocessing.scale_mnist(x_test), y_test),
        "validation_accuracy": round(float(max(val_accuracy)), 4),
    }
    if corrections is not None:
        fields, labels = corrections.pop("held_out_set")
        after = accuracy(model, preprocessing.scale_mnist(fields), labels) if len(labels) else None
        training["feedback"] = corrections
        metrics["feedback_held_out_accuracy"] = after
        metrics["feedback_held_out_accuracy_before"] = corrections["held_out_accuracy_before"]
    save_atomic(model, path)
    save_card({**model_card(model, training, metrics), "refusal": refusal}, path)
    summary = {"train_seconds": seconds, "epochs_run": len(val_accuracy), **metrics}
    report({"stage": "saved", **summary})
    return model, summary


def export(model: keras.Model, path: str | os.PathLike) -> Path:
    """Write a TensorFlow SavedModel for TensorFlow Serving (signature `serve`, same contract)."""
    path = Path(path)
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.ERROR)  # SavedModel writing lists every traced function
    try:
        model.export(str(path), format="tf_saved_model", verbose=False)
    finally:
        absl_logger.setLevel(level)
    return path


def model_facts(model: keras.Model) -> dict:
    """What can be read from a model itself: enough for /api/model when it has no card."""
    return {
        "architecture": model.name,
        "parameters": int(model.count_params()),
        "input": {"shape": list(model.input_shape)},
        "classes": int(model.output_shape[-1]),
    }


def to_tflite(model: keras.Model) -> bytes:
    """The model as a TensorFlow Lite (LiteRT) flat buffer, float32, one digit per call."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), modelfile.quiet_stderr():
            return converter.convert()  # it lists the traced endpoints on stdout
    finally:
        absl_logger.setLevel(level)


def write_tflite(model_path: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Convert a model file (checked like `load`) to `out` (.tflite) and its facts (.json)."""
    model = load(model_path)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    facts = out.with_suffix(".json")
    for path, data in ((out, to_tflite(model)), (facts, json.dumps(model_facts(model)).encode())):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a file
    return out


def feedback_url(args: argparse.Namespace) -> str:
    """The corrections' database for --with-feedback."""
    import feedback

    return args.database_url or feedback.url_from_environment()


def _print_stage(progress: dict) -> None:
    """Print the stages of a command-line run; Keras' own output covers the epochs."""
    if progress.get("stage") != "training":
        print(progress["stage"], flush=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: train a model (evaluation.py evaluates one)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["train", "export", "tflite"])
    parser.add_argument(
        "--mnist-dir",
        default=os.environ.get("MNIST_DIR") or DEFAULT_MNIST_DIR,
        help="folder of the four gz IDX files (default: $MNIST_DIR, else FlaskApp/mnist_data)",
    )
    parser.add_argument("--model", "--out", dest="model", default=DEFAULT_MODEL_PATH)
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH)
    parser.add_argument("--epochs", type=int, help="default: the architecture's recipe")
    parser.add_argument("--limit", type=int, help="train on the first N training digits only")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--with-feedback",
        action="store_true",
        help="train: add people's corrections, evaluating on a held-out share before and after",
    )
    parser.add_argument(
        "--database-url",
        help="the corrections (default: $DATABASE_URL, else FlaskApp/instance/feedback.sqlite3)",
    )
    parser.add_argument(
        "--to",
        help="export: SavedModel folder (exported/digits/1); tflite: file (exported/model.tflite)",
    )
    args = parser.parse_args(argv)

    try:  # --model model.h5 --out is the same option: the other commands write to --to
        if args.command == "export":
            print(f"exported {export(load(args.model), args.to or 'exported/digits/1')}")
            return 0
        if args.command == "tflite":
            print(f"converted {write_tflite(args.model, args.to or 'exported/model.tflite')}")
            return 0
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _, metrics = train_and_save(
        args.model,
        args.mnist_dir,
        mirrors=mnist.mirrors_from_environment(),
        arch=args.arch,
        epochs=args.epochs,
        limit=args.limit,
        seed=args.seed,
        feedback_url=feedback_url(args) if args.with_feedback else None,
        progress=_print_stage,
        verbose=2,  # Keras prints each epoch itself
    )
    print(f"saved {args.model} and {card_path(args.model).name}: {metrics}")
    if args.with_feedback:
        before, after = (metrics[f"feedback_held_out_accuracy{k}"] for k in ("_before", ""))
        print(f"held-out corrections: accuracy {before} before (the replaced model), {after} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
