"""Files that readers and other processes share: written whole or not at all (`write_atomic`),
and changed by one process at a time (`locked`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

Writer = Callable[[Path], object]


def write_atomic(path: str | os.PathLike, data: bytes | Writer, mode: int = 0o644) -> Path:
    """Write `data` (bytes, or a function that writes the file it is given) beside `path`, then
    rename it over `path`: readers, and a run killed half-way, never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary file keeps the suffix: some writers (Keras) choose the format by it.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    tmp = Path(name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, mode)  # mkstemp makes the file private
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` (made when missing) for the duration."""
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file releases the lock
