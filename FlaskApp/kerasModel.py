"""The command line of the digit networks: train one, export it, convert it for LiteRT.

    python FlaskApp/kerasModel.py train [--arch cnn|dense] [--epochs N] [--seed 0]
                                        [--out model.h5] [--mnist-dir DIR] [--limit N]

writes the model and its card (model.json). `python FlaskApp/evaluation.py` evaluates it.
`--with-feedback [--database-url URL]` adds people's corrections (see feedback.py) and reports
accuracy on a held-out share of them before and after.

    python FlaskApp/kerasModel.py export [--model model.h5] [--to exported/digits/1]

writes a TensorFlow SavedModel for TensorFlow Serving, and

    python FlaskApp/kerasModel.py tflite [--model model.h5] [--to exported/model.tflite]

the LiteRT (TensorFlow Lite) file the server runs (`lite.py` converts one itself when it needs
it). The work is done elsewhere: `networks` (the architectures and their recipes), `training`
and `training_data` (the run that writes model.h5 and its card), `tf_runtime` (loading, checking,
exporting and converting model files, with the model contract).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import mnist
import modelfile
import networks
import tf_runtime
import training
import training_data
from modelfile import DEFAULT_MNIST_DIR, DEFAULT_MODEL_PATH, ModelFileError, card_path

# Transitional (issue 17): where the names that callers outside this change still reach through
# this module live now (tests/conftest.py, test_robustness, test_feedback, test_evaluation,
# test_reading, test_preprocessing, test_api, benchmarks/baseline.py). Drop it, with
# `__getattr__` and `train_and_save` below, once they are re-pointed.
MOVED = {
    **dict.fromkeys(["PIXELS", "file_sha256", "load_card", "save_card"], modelfile),
    **dict.fromkeys(["build_dense", "model_card"], networks),
    **dict.fromkeys(
        ["as_model_input", "compiled", "load", "probabilities", "save_atomic"], tf_runtime
    ),
    "accuracy": training,
    **dict.fromkeys(["FEEDBACK_REPEAT", "as_drawn"], training_data),
}
INSTANCE = Path(__file__).resolve().parent / "instance"  # the app's: corrections' SQLite file


@dataclass(frozen=True)
class Defaults:
    """The command line's defaults that the environment sets."""

    mnist_dir: str | os.PathLike
    mirrors: tuple[str, ...]
    database_url: str | None


def defaults_from_environment() -> Defaults:
    """MNIST_DIR, MNIST_MIRRORS and DATABASE_URL: the one place the command line reads them."""
    return Defaults(
        mnist_dir=os.environ.get("MNIST_DIR") or DEFAULT_MNIST_DIR,
        mirrors=mnist.mirrors_from_environment(),
        database_url=os.environ.get("DATABASE_URL") or None,
    )


def parser(defaults: Defaults) -> argparse.ArgumentParser:
    """The commands and their options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["train", "export", "tflite"])
    parser.add_argument(
        "--mnist-dir",
        default=defaults.mnist_dir,
        help="folder of the four gz IDX files (default: $MNIST_DIR, else FlaskApp/mnist_data)",
    )
    parser.add_argument("--model", "--out", dest="model", default=DEFAULT_MODEL_PATH)
    parser.add_argument(
        "--arch", choices=sorted(networks.ARCHITECTURES), default=networks.DEFAULT_ARCH
    )
    parser.add_argument("--epochs", type=int, help="default: the architecture's recipe")
    parser.add_argument("--limit", type=int, help="train on the first N training digits only")
    parser.add_argument("--seed", type=int, default=training.SEED)
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
    return parser


def feedback_url(args: argparse.Namespace, defaults: Defaults) -> str:
    """The corrections' database for --with-feedback."""
    import feedback  # SQLAlchemy, only when training with corrections

    return args.database_url or defaults.database_url or feedback.default_url(INSTANCE)


def print_stage(progress: dict) -> None:
    """Print the stages of a command-line run; Keras' own output covers the epochs."""
    if progress.get("stage") != "training":
        print(progress["stage"], flush=True)


def train(args: argparse.Namespace, defaults: Defaults) -> int:
    """`train`: train, save the model and its card, print the figures."""
    data = training.Data(
        args.mnist_dir,
        mirrors=defaults.mirrors,
        limit=args.limit,
        feedback_url=feedback_url(args, defaults) if args.with_feedback else None,
    )
    settings = training.Settings(args.arch, args.epochs, args.seed, verbose=2)  # Keras: per epoch
    metrics = training.train_and_save(args.model, data, settings, print_stage).summary
    print(f"saved {args.model} and {card_path(args.model).name}: {metrics}")
    if args.with_feedback:
        before, after = (metrics[f"feedback_held_out_accuracy{k}"] for k in ("_before", ""))
        print(f"held-out corrections: accuracy {before} before (the replaced model), {after} after")
    return 0


def convert(args: argparse.Namespace) -> int:
    """`export` and `tflite`: write the model file in another format (to --to, not --out)."""
    try:
        if args.command == "export":
            written = tf_runtime.export(tf_runtime.load(args.model), args.to or "exported/digits/1")
            print(f"exported {written}")
        else:
            written = tf_runtime.write_tflite(args.model, args.to or "exported/model.tflite")
            print(f"converted {written}")
    except ModelFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def train_and_save(path, mnist_dir, **options) -> tuple:
    """Transitional (issue 17): the old call, `training.train_and_save` with keywords for
    `training.Data` and `training.Settings`, for test_feedback until it is re-pointed."""
    data_fields = ("mirrors", "limit", "feedback_url")
    data = training.Data(mnist_dir, **{k: v for k, v in options.items() if k in data_fields})
    progress = options.pop("progress", None)
    settings = {k: v for k, v in options.items() if k not in data_fields}
    saved = training.train_and_save(path, data, training.Settings(**settings), progress)
    return saved.model, saved.summary


def __getattr__(name: str):
    """A name that moved, from its new module (transitional: see `MOVED`)."""
    if name in MOVED:
        return getattr(MOVED[name], name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Command line: train a model, or export or convert one (evaluation.py evaluates one)."""
    defaults = defaults_from_environment()
    args = parser(defaults).parse_args(argv)
    return train(args, defaults) if args.command == "train" else convert(args)


if __name__ == "__main__":
    sys.exit(main())
