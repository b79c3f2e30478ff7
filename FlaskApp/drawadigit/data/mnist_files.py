"""Find, download and verify the four gzipped MNIST IDX files.

The files are verified by the SHA-256 of their *decompressed* content, because the gzip wrappers
differ between mirrors. A download is written beside its place and moved there only once its
content verifies (`files.write_atomic`): a failed or broken download leaves nothing behind.
Reading the files is `mnist`'s part.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import logging
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from drawadigit.files import write_atomic
from drawadigit.settings import DEFAULT_MIRRORS  # MNIST_MIRRORS' default

logger = logging.getLogger(__name__)

#: File stem (without ".gz") -> SHA-256 hex digest of the decompressed content.
FILES: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


_CHUNK = 1 << 20
_UNREADABLE = (OSError, EOFError, zlib.error)  # what reading a broken gzip file raises

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


class _Rejected(Exception):
    """A download that failed or did not verify; the message says why."""


def how_to_get(data_dir: Path) -> str:
    """Return the hint telling the user how to put the files into data_dir."""
    return (
        f"run `python -m drawadigit.data.mnist --dir {data_dir}` to download and verify them, "
        "or copy the four MNIST .gz files there"
    )


def gz_path(data_dir: Path, name: str) -> Path:
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


def _mismatch_reason(name: str, actual: str) -> str | None:
    """Describe a content hash that is not the file's; None when it is."""
    expected = FILES[name]
    if actual == expected:
        return None
    return f"sha256 mismatch of decompressed content: expected {expected}, got {actual}"


def _unreadable(path: Path, exc: BaseException) -> MNISTError:
    """The error for a present local file that cannot be read or is not gzip."""
    if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
        return MNISTError(f"cannot read MNIST file {path}: {exc}")
    return _corrupt(path, _bad_gzip_reason(exc))


def _corrupt(path: Path, problem: str) -> MNISTError:
    """The error for a present local file that fails verification."""
    return MNISTError(
        f"MNIST file {path} is corrupt: {problem}. "
        f"Delete it to re-download it (or replace it with a good copy)."
    )


def _verify_present(path: Path, name: str) -> None:
    """Verify an existing local file's decompressed hash; raise MNISTError if it does not match."""
    try:
        actual = _content_sha256(path)
    except _UNREADABLE as exc:
        raise _unreadable(path, exc) from exc
    if problem := _mismatch_reason(name, actual):
        raise _corrupt(path, problem)


def read_verified(path: Path, name: str, data_dir: Path) -> bytes:
    """Return the decompressed content of a local file after checking its hash (one read)."""
    if not path.is_file():
        raise MNISTError(
            f"MNIST file {path} is missing (looked in {data_dir}); {how_to_get(data_dir)}."
        )
    try:
        with gzip.open(path, "rb") as f:
            content = f.read()
    except _UNREADABLE as exc:
        raise _unreadable(path, exc) from exc
    if problem := _mismatch_reason(name, hashlib.sha256(content).hexdigest()):
        raise _corrupt(path, problem)
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


def _fetch(url: str, dest: Path, timeout: float) -> str | None:
    """Copy what url serves into dest; None, or why it failed."""
    try:
        with open(dest, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        exc.close()
        return _fetch_error_reason(exc, timeout)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return _fetch_error_reason(exc, timeout)
    return None


def _content_problem(path: Path, name: str) -> str | None:
    """Why a downloaded file is not the MNIST file `name`; None when it is."""
    try:
        actual = _content_sha256(path)
    except _UNREADABLE as exc:
        return _bad_gzip_reason(exc)
    return _mismatch_reason(name, actual)


def _download_one(url: str, name: str, dest: Path, timeout: float) -> str | None:
    """Download url into dest atomically if its content verifies; return None or the failure."""

    def fetch_and_verify(part: Path) -> None:
        if reason := _fetch(url, part, timeout) or _content_problem(part, name):
            raise _Rejected(reason)  # write_atomic removes the part, dest stays as it was

    try:
        write_atomic(dest, fetch_and_verify)
    except _Rejected as exc:
        return str(exc)
    return None


def _download(name: str, dest: Path, mirrors: Sequence[str], timeout: float, say: Progress) -> None:
    """Download `name` into dest from the first mirror that gives a verified copy."""
    failures: list[tuple[str, str]] = []
    for mirror in mirrors:
        base = mirror if mirror.endswith("/") else mirror + "/"
        url = f"{base}{name}.gz"
        say(f"downloading {name}.gz from {url}")
        logger.debug("downloading %s to %s (timeout %s s)", url, dest, timeout)
        try:
            reason = _download_one(url, name, dest, timeout)
        except OSError as exc:  # local problem: temp file, chmod or replace in data_dir
            raise MNISTError(f"cannot write MNIST file into {dest.parent}: {exc}") from exc
        if reason is None:
            say(f"saved {dest} (verified)")
            return
        logger.debug("download of %s failed: %s", url, reason)
        say(f"failed {url}: {reason}")
        failures.append((url, reason))
    tried = "\n".join(f"  {u}: {r}" for u, r in failures) or "  (no mirrors were given)"
    raise MirrorsUnreachable(
        f"MNIST file {dest} is missing and could not be downloaded from any mirror.\n"
        f"URLs tried:\n{tried}\n"
        f"Check the network or the mirror list, or copy {name}.gz into {dest.parent}.",
        name,
        failures,
    )


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
        dest = gz_path(data_dir, name)
        if not dest.exists():
            _download(name, dest, mirrors, timeout, say)
            continue
        _verify_present(dest, name)
        logger.debug("MNIST file %s present and verified", dest)
        say(f"found {dest} (verified)")
    return data_dir
