"""Build, train, save, load and evaluate the digit networks (Keras 3 on TensorFlow).

The model contract: input float32 in [0, 1], ink high, shape (None, 784) or (None, 28, 28, 1),
as produced by `preprocessing.normalise` (or `preprocessing.scale_mnist` for MNIST itself);
output a softmax over the ten digits. Any model file that keeps it can be dropped in.

    python FlaskApp/kerasModel.py train [--arch dense|cnn] [--epochs 20] [--out model.h5]
                                        [--mnist-dir DIR]
    python FlaskApp/kerasModel.py evaluate [--model model.h5] [--mnist-dir DIR]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter quiet

import keras  # noqa: E402
import mnist  # noqa: E402
import numpy as np  # noqa: E402
import preprocessing  # noqa: E402
from keras import layers  # noqa: E402

NUM_CLASSES = 10
PIXELS = preprocessing.SIZE * preprocessing.SIZE
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_PATH = ROOT / "model.h5"
DEFAULT_MNIST_DIR = Path(__file__).resolve().parent / "mnist_data"

# The original network's training recipe.
EPOCHS = 20
BATCH_SIZE = 128
VALIDATION_SHARE = 0.1  # held out of the training set; the test set is only for evaluation
SEED = 0

Progress = Callable[[dict], None]


class ModelFileError(RuntimeError):
    """A model file exists but cannot be used."""


def build_dense() -> keras.Model:
    """The original network: dense 784-512-512-10 with ReLU and dropout 0.2."""
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
    """A small convolutional network: two blocks of 3x3 convolutions, then a dense head."""
    return keras.Sequential(
        [
            keras.Input(shape=(preprocessing.SIZE, preprocessing.SIZE, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="cnn",
    )


ARCHITECTURES = {"dense": build_dense, "cnn": build_cnn}
# The shipped model is still the dense network; the CNN becomes the default once it is trained,
# evaluated and shipped (issue 3).
DEFAULT_ARCH = "dense"


def as_model_input(model: keras.Model, fields: np.ndarray) -> np.ndarray:
    """Reshape normalised 28x28 fields to the model's own input shape."""
    return np.asarray(fields, np.float32).reshape((-1, *model.input_shape[1:]))


def probabilities(model: keras.Model, fields: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) for normalised fields (N, 28, 28), one direct model call."""
    return model(as_model_input(model, fields), training=False).numpy()


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
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    seed: int = SEED,
    progress: Progress | None = None,
    verbose: int = 0,
) -> tuple[keras.Model, dict]:
    """Train a network (`arch`) on MNIST fields; keep the best epoch on a validation split.

    Every training digit is seen twice: as MNIST has it, and as the drawing pipeline renders
    it (`as_drawn`: re-cropped, strokes evened out, re-centred), so the model learns the very
    images it will be served. The validation digits are held out in both forms.
    """
    keras.utils.set_random_seed(seed)
    model = ARCHITECTURES[arch]()
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    y = np.asarray(y_train, np.int64)
    # A seeded shuffle before the split, so the validation digits are a fair sample.
    order = np.random.default_rng(seed).permutation(len(y))
    n_val = max(1, int(len(y) * VALIDATION_SHARE))
    val, fit = order[:n_val], order[n_val:]
    fields = np.asarray(x_train, np.float32)
    drawn = as_drawn(fields)
    x_fit = as_model_input(model, np.concatenate([fields[fit], drawn[fit]]))
    x_val = as_model_input(model, np.concatenate([fields[val], drawn[val]]))
    y_fit = np.concatenate([y[fit], y[fit]])
    y_val = np.concatenate([y[val], y[val]])
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=5, restore_best_weights=True)
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
    return model, history.history


def accuracy(model: keras.Model, fields: np.ndarray, labels: np.ndarray) -> float:
    """Share of fields whose most probable digit is the label."""
    predicted = np.concatenate(
        [
            probabilities(model, fields[i : i + 1000]).argmax(axis=1)
            for i in range(0, len(fields), 1000)
        ]
    )
    return float((predicted == np.asarray(labels)).mean())


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
    if inputs != PIXELS or outputs != NUM_CLASSES:
        raise ModelFileError(
            f"The model file {path} takes {model.input_shape} and gives {model.output_shape}; "
            f"expected 784 pixels in and {NUM_CLASSES} probabilities out. {fix}"
        )
    return model


def train_and_save(
    path: str | os.PathLike,
    mnist_dir: str | os.PathLike,
    *,
    mirrors: tuple[str, ...] = mnist.DEFAULT_MIRRORS,
    arch: str = DEFAULT_ARCH,
    epochs: int = EPOCHS,
    limit: int | None = None,
    seed: int = SEED,
    progress: Progress | None = None,
    verbose: int = 0,
) -> tuple[keras.Model, dict]:
    """Fetch MNIST if needed, train, evaluate on the test set and save atomically to `path`."""
    report = progress or (lambda _: None)
    report({"stage": "loading MNIST"})
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist(
        mnist_dir, mirrors=mirrors, progress=lambda line: report({"stage": line})
    )
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    report({"stage": f"preparing {len(y_train):,} training digits, then training"})
    started = time.perf_counter()
    model, history = train(
        preprocessing.scale_mnist(x_train),
        y_train,
        arch=arch,
        epochs=epochs,
        seed=seed,
        progress=lambda p: report({"stage": "training", **p}),
        verbose=verbose,
    )
    metrics = {
        "train_seconds": round(time.perf_counter() - started, 1),
        "epochs_run": len(history["loss"]),
        "test_accuracy": accuracy(model, preprocessing.scale_mnist(x_test), y_test),
    }
    save_atomic(model, path)
    report({"stage": "saved", **metrics})
    return model, metrics


def _print_stage(progress: dict) -> None:
    """Print the stages of a command-line run; Keras' own output covers the epochs."""
    if progress.get("stage") != "training":
        print(progress["stage"], flush=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: train or evaluate a model."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["train", "evaluate"])
    parser.add_argument(
        "--mnist-dir",
        default=os.environ.get("MNIST_DIR") or DEFAULT_MNIST_DIR,
        help="folder of the four gz IDX files (default: $MNIST_DIR, else FlaskApp/mnist_data)",
    )
    parser.add_argument("--model", "--out", dest="model", default=DEFAULT_MODEL_PATH)
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--limit", type=int, help="train on the first N training digits only")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    if args.command == "train":
        _, metrics = train_and_save(
            args.model,
            args.mnist_dir,
            arch=args.arch,
            epochs=args.epochs,
            limit=args.limit,
            seed=args.seed,
            progress=_print_stage,
            verbose=2,  # Keras prints each epoch itself
        )
        print(f"saved {args.model}: {metrics}")
        return 0
    model = load(args.model)
    (_, _), (x_test, y_test) = mnist.load_mnist(args.mnist_dir, progress=print)
    acc = accuracy(model, preprocessing.scale_mnist(x_test), y_test)
    print(f"MNIST test accuracy: {acc:.4f} ({len(y_test)} digits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
