"""Find, download, verify and read the four gzipped MNIST IDX files.

The files are verified by the SHA-256 of their *decompressed* content, because the gzip wrappers
differ between mirrors. Configuration (data folder, mirrors) is passed in as arguments; only
`mirrors_from_environment`, for the command lines, reads `MNIST_MIRRORS`.

Command line: ``python FlaskApp/mnist.py [--dir DIR] [--mirror URL ...]`` (mirrors: --mirror,
else $MNIST_MIRRORS, else `DEFAULT_MIRRORS`). `make test` runs it when MNIST_DIR is unset.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.client
import logging
import os
import struct
import sys
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_MIRRORS",
    "FILES",
    "MNISTError",
    "MirrorsUnreachable",
    "ensure_files",
    "load_mnist",
    "load_split",
    "main",
    "write_idx",
    "mirrors_from_environment",
    "parse_mirrors",
]

logger = logging.getLogger(__name__)

#: File stem (without ".gz") -> SHA-256 hex digest of the decompressed content.
FILES: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: Base URLs (ending in "/") tried in order; the URL of a file is mirror + name + ".gz".
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

SPLITS: dict[str, str] = {"train": "train", "test": "t10k"}

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

_CHUNK = 1 << 20
_DEFAULT_DIR = Path(__file__).resolve().parent / "mnist_data"

Progress = Callable[[str], None]


class MNISTError(RuntimeError):
    """A problem with the MNIST files that the user can fix; the message says what and where."""


class MirrorsUnreachable(MNISTError):
    """No mirror gave a file; `urls` holds each URL tried with why it failed."""

    def __init__(self, message: str, name: str, urls: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.name = name
        self.urls = urls

    def one_line(self) -> str:
        """The failure in one line: what was tried and the two settings that fix it."""
        tried = "; ".join(f"{url} ({reason})" for url, reason in self.urls) or "no mirrors"
        return (
            f"could not download {self.name}.gz from any mirror, tried: {tried}. Set MNIST_DIR "
            "to a folder holding the four MNIST .gz files, or MNIST_MIRRORS to mirrors that "
            "this machine can reach (base URLs, separated by spaces)"
        )


def parse_mirrors(text: str) -> tuple[str, ...]:
    """Mirror base URLs from a setting: separated by spaces or commas."""
    return tuple(url for url in text.replace(",", " ").split() if url)


def mirrors_from_environment(environ: dict | None = None) -> tuple[str, ...]:
    """$MNIST_MIRRORS when it is set (and not empty), else `DEFAULT_MIRRORS`."""
    text = (os.environ if environ is None else environ).get("MNIST_MIRRORS", "")
    return parse_mirrors(text) or DEFAULT_MIRRORS


def _how_to_get(data_dir: Path) -> str:
    """Return the hint telling the user how to put the files into data_dir."""
    return (
        f"run `python FlaskApp/mnist.py --dir {data_dir}` to download and verify them, "
        "or copy the four MNIST .gz files there"
    )


def _gz_path(data_dir: Path, name: str) -> Path:
    """Return the path of the gzipped file `name` in data_dir."""
    return data_dir / f"{name}.gz"


def _check_names(names: Iterable[str] | None) -> list[str]:
    """Return the requested file names, all of FILES when None; raise ValueError on unknown ones."""
    if names is None:
        return list(FILES)
    if isinstance(names, str):
        names = [names]
    wanted = list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in FILES]
    if unknown:
        raise ValueError(f"unknown MNIST file name(s) {unknown}; expected some of {list(FILES)}")
    return wanted


def _content_sha256(path: Path) -> str:
    """Return the SHA-256 of the decompressed content of the gzip file at path (streamed)."""
    digest = hashlib.sha256()
    with gzip.open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _bad_gzip_reason(exc: BaseException) -> str:
    """Describe a gzip decoding failure."""
    return f"not a valid gzip file ({type(exc).__name__}: {exc})"


def _mismatch_reason(expected: str, actual: str) -> str:
    """Describe a content hash mismatch."""
    return f"sha256 mismatch of decompressed content: expected {expected}, got {actual}"


def _local_file_error(path: Path, problem: str) -> MNISTError:
    """Build the error for a present local file that fails verification."""
    return MNISTError(
        f"MNIST file {path} is corrupt: {problem}. "
        f"Delete it to re-download it (or replace it with a good copy)."
    )


def _verify_present(path: Path, name: str) -> None:
    """Verify an existing local file's decompressed hash; raise MNISTError if it does not match."""
    try:
        actual = _content_sha256(path)
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
            raise MNISTError(f"cannot read MNIST file {path}: {exc}") from exc
        raise _local_file_error(path, _bad_gzip_reason(exc)) from exc
    if actual != FILES[name]:
        raise _local_file_error(path, _mismatch_reason(FILES[name], actual))


def _read_verified(path: Path, name: str, data_dir: Path) -> bytes:
    """Return the decompressed content of a local file after checking its hash (one read)."""
    if not path.is_file():
        raise MNISTError(
            f"MNIST file {path} is missing (looked in {data_dir}); {_how_to_get(data_dir)}."
        )
    try:
        with gzip.open(path, "rb") as f:
            content = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
            raise MNISTError(f"cannot read MNIST file {path}: {exc}") from exc
        raise _local_file_error(path, _bad_gzip_reason(exc)) from exc
    actual = hashlib.sha256(content).hexdigest()
    if actual != FILES[name]:
        raise _local_file_error(path, _mismatch_reason(FILES[name], actual))
    return content


def _fetch_error_reason(exc: BaseException, timeout: float) -> str:
    """Turn an exception raised while fetching a URL into a short human-readable reason."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, TimeoutError):
            return f"timed out after {timeout:g} s"
        return f"connection failed: {exc.reason}"
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    return f"{type(exc).__name__}: {exc}"


def _download_one(url: str, name: str, dest: Path, timeout: float) -> str | None:
    """Download url into dest atomically if its content verifies; return None or the failure."""
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as out:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    while chunk := response.read(_CHUNK):
                        out.write(chunk)
        except urllib.error.HTTPError as exc:
            exc.close()
            return _fetch_error_reason(exc, timeout)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return _fetch_error_reason(exc, timeout)
        try:
            actual = _content_sha256(tmp)
        except (OSError, EOFError, zlib.error) as exc:
            return _bad_gzip_reason(exc)
        if actual != FILES[name]:
            return _mismatch_reason(FILES[name], actual)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        return None
    finally:
        tmp.unlink(missing_ok=True)


def ensure_files(
    data_dir: str | os.PathLike[str],
    mirrors: Sequence[str] = DEFAULT_MIRRORS,
    names: Iterable[str] | None = None,
    timeout: float = 30.0,
    progress: Progress | None = None,
) -> Path:
    """Make sure the verified MNIST .gz files are in data_dir, downloading missing ones."""
    data_dir = Path(data_dir)
    wanted = _check_names(names)
    say = progress if progress is not None else (lambda _msg: None)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MNISTError(f"cannot create MNIST data folder {data_dir}: {exc}") from exc

    for name in wanted:
        dest = _gz_path(data_dir, name)
        if dest.exists():
            _verify_present(dest, name)
            logger.debug("MNIST file %s present and verified", dest)
            say(f"found {dest} (verified)")
            continue

        failures: list[tuple[str, str]] = []
        for mirror in mirrors:
            base = mirror if mirror.endswith("/") else mirror + "/"
            url = f"{base}{name}.gz"
            say(f"downloading {name}.gz from {url}")
            logger.debug("downloading %s to %s (timeout %s s)", url, dest, timeout)
            try:
                reason = _download_one(url, name, dest, timeout)
            except OSError as exc:  # local problem: temp file, chmod or replace in data_dir
                raise MNISTError(f"cannot write MNIST file into {data_dir}: {exc}") from exc
            if reason is None:
                say(f"saved {dest} (verified)")
                break
            logger.debug("download of %s failed: %s", url, reason)
            say(f"failed {url}: {reason}")
            failures.append((url, reason))
        else:
            tried = "\n".join(f"  {u}: {r}" for u, r in failures) or "  (no mirrors were given)"
            raise MirrorsUnreachable(
                f"MNIST file {dest} is missing and could not be downloaded from any mirror.\n"
                f"URLs tried:\n{tried}\n"
                f"Check the network or the mirror list, or copy {name}.gz into {data_dir}.",
                name,
                failures,
            )
    return data_dir


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


def load_split(data_dir: str | os.PathLike[str], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Verify and read a split ("train"/"test"): images uint8 (N, 28, 28), labels uint8 (N,)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    data_dir = Path(data_dir)
    prefix = SPLITS[split]
    images_name = f"{prefix}-images-idx3-ubyte"
    labels_name = f"{prefix}-labels-idx1-ubyte"
    images_path = _gz_path(data_dir, images_name)
    labels_path = _gz_path(data_dir, labels_name)

    missing = [p for p in (images_path, labels_path) if not p.is_file()]
    if missing:
        listed = ", ".join(p.name for p in missing)
        raise MNISTError(
            f"MNIST {split} file(s) missing in {data_dir}: {listed}; {_how_to_get(data_dir)}."
        )

    images_bytes = _read_verified(images_path, images_name, data_dir)
    labels_bytes = _read_verified(labels_path, labels_name, data_dir)
    n_images, rows, cols = _parse_header(images_bytes, images_path, IMAGES_MAGIC, 3)
    (n_labels,) = _parse_header(labels_bytes, labels_path, LABELS_MAGIC, 1)
    if (rows, cols) != (28, 28):
        raise MNISTError(f"MNIST file {images_path} holds {rows}x{cols} images, expected 28x28")
    if n_images != n_labels:
        raise MNISTError(
            f"MNIST {split} counts disagree: {images_path} has {n_images} images, "
            f"{labels_path} has {n_labels} labels"
        )
    # .copy() so callers get ordinary writable arrays rather than views of immutable bytes.
    images = np.frombuffer(images_bytes, dtype=np.uint8, offset=16).reshape(n_images, 28, 28)
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
        missing = [f"{n}.gz" for n in FILES if not _gz_path(data_dir, n).is_file()]
        if missing:
            raise MNISTError(
                f"MNIST files missing in {data_dir} (downloading is disabled): "
                f"{', '.join(missing)}; {_how_to_get(data_dir)}."
            )
    return load_split(data_dir, "train"), load_split(data_dir, "test")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ensure, download and verify the MNIST files, then print a summary."""
    parser = argparse.ArgumentParser(
        description="Download (if needed) and verify the four gzipped MNIST IDX files."
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=_DEFAULT_DIR,
        help=f"folder holding the .gz files (default: {_DEFAULT_DIR})",
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
    args = parser.parse_args(argv)
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
