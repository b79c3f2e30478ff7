"""The corrections' command line: their statistics, or an export as MNIST-format gz IDX files.

python -m drawadigit.corrections stats [--database-url URL] [--include-hidden]
python -m drawadigit.corrections export [--database-url URL] [--to DIR] [--include-hidden]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from drawadigit.corrections.store import CorrectionStore, url_from_environment
from drawadigit.data import mnist


def export(
    store: CorrectionStore, folder: str | os.PathLike, include_hidden: bool = False
) -> tuple[Path, Path, int]:
    """Write the corrections as feedback-images-idx3-ubyte.gz and feedback-labels-idx1-ubyte.gz."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _, fields, labels = store.dataset(include_hidden)
    images = mnist.write_idx(folder / "feedback-images-idx3-ubyte.gz", fields)
    labels_path = mnist.write_idx(folder / "feedback-labels-idx1-ubyte.gz", labels)
    return images, labels_path, len(labels)


def parse(argv: list[str] | None, description: str, default_url: str) -> argparse.Namespace:
    """The command and its options; the database is `default_url` unless one is given."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("command", choices=["export", "stats"])
    parser.add_argument(
        "--database-url",
        default=default_url,
        help="default: $DATABASE_URL, else FlaskApp/instance/feedback.sqlite3",
    )
    parser.add_argument("--to", default="exported/feedback", help="export: the folder")
    parser.add_argument(
        "--include-hidden", action="store_true", help="count and export hidden corrections too"
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace, store: CorrectionStore) -> int:
    """Print the store's statistics, or export its corrections; the exit status."""
    if args.command == "stats":
        print(json.dumps(store.stats(args.include_hidden), indent=2))
        return 0
    images, labels, n = export(store, args.to, args.include_hidden)
    print(f"exported {n} corrections to {images} and {labels}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: export the corrections, or print their statistics."""
    args = parse(argv, __doc__.split("\n\n")[0], url_from_environment())
    return run(args, CorrectionStore(args.database_url))
