"""The command line of the digit networks: train one, export it, convert it for LiteRT.

    python FlaskApp/kerasModel.py train [--arch cnn|dense] [--epochs N] [--seed 0]
                                        [--out model.h5] [--mnist-dir DIR] [--limit N]
                                        [--unipen-dir DIR]

writes the model and its card (model.json). `python -m drawadigit.evaluation` evaluates it.
`--with-corrections [--database-url URL]` (or its old name `--with-feedback`) adds people's
corrections (`drawadigit.corrections`) and reports accuracy on a held-out share of them before
and after. `--unipen-dir` (default $UNIPEN_DIR) adds real pen writing from the UNIPEN share, its
held-out writers left out (`pen_writing`).

    python FlaskApp/kerasModel.py export [--model model.h5] [--to exported/digits/1]

writes a TensorFlow SavedModel for TensorFlow Serving, and

    python FlaskApp/kerasModel.py tflite [--model model.h5] [--to exported/model.tflite]

the LiteRT (TensorFlow Lite) file the server runs (`lite.py` converts one itself when it needs
it). The work is done elsewhere: `networks` (the architectures and their recipes), `training`
and `datasets` (the run that writes model.h5 and its card), `tf_runtime` (loading, checking,
exporting and converting model files, with the model contract).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from drawadigit import settings, training
from drawadigit.model import tf_runtime
from drawadigit.model.modelfile import ModelFileError, card_path
from drawadigit.training import networks


@dataclass(frozen=True)
class Defaults:
    """The command line's defaults that the environment sets."""

    model_path: Path
    mnist_dir: Path
    mirrors: tuple[str, ...]
    database_url: str
    unipen_dir: Path | None


def defaults_from_environment() -> Defaults:
    """The model file, MNIST folder and mirrors and the corrections' database, as the app's
    settings have them (`settings`: MODEL_PATH, MNIST_DIR, MNIST_MIRRORS, DATABASE_URL)."""
    given = settings.load()
    return Defaults(
        given.model_path, given.mnist_dir, given.mnist_mirrors, given.database_url, given.unipen_dir
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
    parser.add_argument(
        "--unipen-dir",
        default=defaults.unipen_dir,
        help="add real pen writing from this UNIPEN share (default: $UNIPEN_DIR, else none)",
    )
    parser.add_argument("--model", "--out", dest="model", default=defaults.model_path)
    parser.add_argument(
        "--arch", choices=sorted(networks.ARCHITECTURES), default=networks.DEFAULT_ARCH
    )
    parser.add_argument("--epochs", type=int, help="default: the architecture's recipe")
    parser.add_argument("--limit", type=int, help="train on the first N training digits only")
    parser.add_argument("--seed", type=int, default=training.SEED)
    parser.add_argument(
        "--with-corrections",
        "--with-feedback",  # its old name, still taken
        dest="with_corrections",
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


def corrections_url(args: argparse.Namespace, defaults: Defaults) -> str:
    """The corrections' database for --with-corrections."""
    return args.database_url or defaults.database_url


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
        corrections_url=corrections_url(args, defaults) if args.with_corrections else None,
        unipen_dir=args.unipen_dir,
    )
    settings = training.Settings(args.arch, args.epochs, args.seed, verbose=2)  # Keras: per epoch
    metrics = training.train_and_save(args.model, data, settings, print_stage).summary
    print(f"saved {args.model} and {card_path(args.model).name}: {metrics}")
    if args.with_corrections:
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


def main(argv: list[str] | None = None) -> int:
    """Command line: train a model, or export or convert one (evaluation.py evaluates one)."""
    defaults = defaults_from_environment()
    args = parser(defaults).parse_args(argv)
    return train(args, defaults) if args.command == "train" else convert(args)
