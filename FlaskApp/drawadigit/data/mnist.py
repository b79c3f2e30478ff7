"""Read (and write) the four gzipped MNIST IDX files, verified; fetching them is `mnist_files`.

Configuration (data folder, mirrors) is passed in as arguments; only `mirrors_from_environment`,
for the command lines, reads `MNIST_MIRRORS`.

Command line: ``python -m drawadigit.data.mnist [--dir DIR] [--mirror URL ...]`` (mirrors: --mirror,
else $MNIST_MIRRORS, else `DEFAULT_MIRRORS`). `make test` runs it when MNIST_DIR is unset.
"""

from __future__ import annotations

import argparse
import gzip
import os
import struct
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from drawadigit import settings
from drawadigit.contract import SIZE
from drawadigit.data.mnist_files import (
    DEFAULT_MIRRORS,
    FILES,
    MirrorsUnreachable,
    MNISTError,
    Progress,
    ensure_files,
    gz_path,
    how_to_get,
    read_verified,
)

__all__ = [
    "DEFAULT_MIRRORS",
    "FILES",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "MNISTError",
    "MirrorsUnreachable",
    "ensure_files",
    "load_mnist",
    "load_split",
    "main",
    "write_idx",
    "mirrors_from_environment",
]

SPLITS: dict[str, str] = {"train": "train", "test": "t10k"}

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def mirrors_from_environment(environ: dict | None = None) -> tuple[str, ...]:
    """$MNIST_MIRRORS when it is set (and not empty), else `DEFAULT_MIRRORS` (`settings`)."""
    return settings.Settings.from_environ(os.environ if environ is None else environ).mnist_mirrors


def _parse_header(content: bytes, path: Path, magic: int, ndim: int) -> tuple[int, ...]:
    """Check an IDX header's magic number and size; return its dimensions."""
    header_len = 4 + 4 * ndim
    if len(content) < header_len:
        raise MNISTError(f"MNIST file {path} is too short for an IDX header ({len(content)} bytes)")
    found, *dims = struct.unpack(f">{1 + ndim}I", content[:header_len])
    if found != magic:
        raise MNISTError(f"MNIST file {path} has IDX magic number {found}, expected {magic}")
    expected_len = header_len + int(np.prod(dims, dtype=np.int64))
    if len(content) != expected_len:
        raise MNISTError(
            f"MNIST file {path} has {len(content)} bytes, but its IDX header {dims} "
            f"implies {expected_len}"
        )
    return tuple(dims)


def _split_paths(data_dir: Path, split: str) -> tuple[tuple[str, Path], tuple[str, Path]]:
    """(name, path) of a split's images and of its labels; MNISTError when either is missing."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    names = [f"{SPLITS[split]}-images-idx3-ubyte", f"{SPLITS[split]}-labels-idx1-ubyte"]
    images, labels = ((name, gz_path(data_dir, name)) for name in names)
    missing = [p for _, p in (images, labels) if not p.is_file()]
    if missing:
        listed = ", ".join(p.name for p in missing)
        raise MNISTError(
            f"MNIST {split} file(s) missing in {data_dir}: {listed}; {how_to_get(data_dir)}."
        )
    return images, labels


def load_split(data_dir: str | os.PathLike[str], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Verify and read a split ("train"/"test"): images uint8 (N, 28, 28), labels uint8 (N,)."""
    data_dir = Path(data_dir)
    (images_name, images_path), (labels_name, labels_path) = _split_paths(data_dir, split)
    images_bytes = read_verified(images_path, images_name, data_dir)
    labels_bytes = read_verified(labels_path, labels_name, data_dir)
    n_images, rows, cols = _parse_header(images_bytes, images_path, IMAGES_MAGIC, 3)
    (n_labels,) = _parse_header(labels_bytes, labels_path, LABELS_MAGIC, 1)
    if (rows, cols) != (SIZE, SIZE):
        raise MNISTError(
            f"MNIST file {images_path} holds {rows}x{cols} images, expected {SIZE}x{SIZE}"
        )
    if n_images != n_labels:
        raise MNISTError(
            f"MNIST {split} counts disagree: {images_path} has {n_images} images, "
            f"{labels_path} has {n_labels} labels"
        )
    # .copy() so callers get ordinary writable arrays rather than views of immutable bytes.
    images = np.frombuffer(images_bytes, dtype=np.uint8, offset=16).reshape(n_images, rows, cols)
    labels = np.frombuffer(labels_bytes, dtype=np.uint8, offset=8)
    return images.copy(), labels.copy()


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """An uint8 array as a gz IDX file, the format of the MNIST files (magic 0x08, big-endian)."""
    array = np.ascontiguousarray(array, np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    path = Path(path)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())
    return path


def load_mnist(
    data_dir: str | os.PathLike[str],
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    download: bool = True,
    progress: Progress | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ((x_train, y_train), (x_test, y_test)), downloading missing files if allowed."""
    data_dir = Path(data_dir)
    if download:
        ensure_files(data_dir, mirrors, progress=progress)
    else:
        missing = [f"{n}.gz" for n in FILES if not gz_path(data_dir, n).is_file()]
        if missing:
            raise MNISTError(
                f"MNIST files missing in {data_dir} (downloading is disabled): "
                f"{', '.join(missing)}; {how_to_get(data_dir)}."
            )
    return load_split(data_dir, "train"), load_split(data_dir, "test")


def _parser() -> argparse.ArgumentParser:
    """The command line's options; the folder's default is the app's (MNIST_DIR, `settings`)."""
    default_dir = settings.load().mnist_dir
    parser = argparse.ArgumentParser(
        description="Download (if needed) and verify the four gzipped MNIST IDX files."
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=default_dir,
        help=f"folder holding the .gz files (default: {default_dir})",
    )
    parser.add_argument(
        "--mirror",
        action="append",
        metavar="URL",
        help="base URL to download from, ending in '/'; repeat to try several "
        "(default: $MNIST_MIRRORS, separated by spaces, else the built-in mirror list)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="network timeout in seconds (default: 30)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ensure, download and verify the MNIST files, then print a summary."""
    args = _parser().parse_args(argv)
    mirrors = tuple(args.mirror) if args.mirror else mirrors_from_environment()
    try:
        ensure_files(args.dir, mirrors, timeout=args.timeout, progress=print)
        counts = {split: len(load_split(args.dir, split)[1]) for split in SPLITS}
    except MirrorsUnreachable as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return 1
    except MNISTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"MNIST ready in {args.dir}: train {counts['train']} images, "
        f"test {counts['test']} images (all four files verified)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
