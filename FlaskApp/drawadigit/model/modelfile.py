"""What the server needs to know about model files without importing TensorFlow.

Paths, the model card beside a model file, file hashes, the error for an unusable file, and
the validated snapshots (`Snapshots`) that let a server start on the last model that passed its
checks when the file on disk no longer does (the model's sizes are `contract`'s). The serving
path (`flaskapp`, `serving`, `lite`) imports this, never `tf_runtime`, which loads model files
with TensorFlow.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from drawadigit import files


class ModelFileError(RuntimeError):
    """A model file exists but cannot be used."""


def card_path(model_path: str | os.PathLike) -> Path:
    """Where a model's card lives: beside the model file, as JSON (model.h5 -> model.json)."""
    return Path(model_path).with_suffix(".json")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_card(model_path: str | os.PathLike) -> dict | None:
    """The card beside a model file, or None when there is none or it is unreadable."""
    try:
        return json.loads(card_path(model_path).read_text())
    except (OSError, ValueError):
        return None


def save_card(card: dict, model_path: str | os.PathLike) -> Path:
    """Write a card beside its model (atomically), recording the model file's hash."""
    model_path = Path(model_path)
    card = {**card, "file": {"name": model_path.name, "sha256": file_sha256(model_path)}}
    return files.write_atomic(card_path(model_path), (json.dumps(card, indent=2) + "\n").encode())


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Hold back what C++ libraries write straight to file descriptor 2 meanwhile.

    TensorFlow and LiteRT announce themselves (oneDNN notices, the CUDA probe, "Created
    TensorFlow Lite XNNPACK delegate") from C++, where Python's logging cannot reach. Python
    errors still raise as usual; TF_CPP_MIN_LOG_LEVEL=0 lets everything through.
    """
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass(frozen=True)
class Snapshot:
    """A copy of a model file's bytes (and its card, when the card describes them)."""

    path: Path  # the copy, named like the model file, in a folder of its own
    sha256: str


class Snapshots:
    """Validated copies of model files, so a file broken on disk never stops a start-up.

    Layout under `folder` (the model cache): `<digest>/<name>` is a copy of a model file's bytes
    with `<digest>/<stem>.json` its card, and `<stem>-<path digest>.json` points at the copy of
    that model path that last passed the server's checks. A server `stage`s the file (one read:
    the bytes checked are the bytes hashed), checks the copy, then `record`s it; when the file
    does not pass, `last` is what it serves instead.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder) / "validated"

    def stage(self, model_path: str | os.PathLike) -> Snapshot:
        """Copy a model file's bytes (read once) and its matching card into a snapshot."""
        model_path = Path(model_path)
        try:
            data = model_path.read_bytes()
        except OSError as exc:
            raise ModelFileError(f"Cannot read the model file {model_path}: {exc}.") from exc
        sha256 = hashlib.sha256(data).hexdigest()
        copy = self.folder / sha256[:16] / model_path.name
        if not copy.exists():
            files.write_atomic(copy, data)
        card = load_card(model_path)
        if card is not None and card.get("file", {}).get("sha256") == sha256:
            files.write_atomic(card_path(copy), json.dumps(card, indent=2).encode())
        return Snapshot(copy, sha256)

    def record(self, model_path: str | os.PathLike, snapshot: Snapshot) -> None:
        """Remember `snapshot` as the last validated form of `model_path`; drop the previous one."""
        pointer = self._pointer(model_path)
        previous = self.last(model_path)
        entry = {"model": str(Path(model_path).resolve()), "sha256": snapshot.sha256}
        files.write_atomic(pointer, json.dumps(entry).encode())
        if previous is not None and previous.sha256 != snapshot.sha256:
            self._drop(previous)

    def discard(self, snapshot: Snapshot) -> None:
        """Remove a snapshot that did not pass, unless a model path still points at it."""
        self._drop(snapshot)

    def last(self, model_path: str | os.PathLike) -> Snapshot | None:
        """The last validated snapshot of `model_path`, if one was recorded and is still whole."""
        try:
            entry = json.loads(self._pointer(model_path).read_text())
            sha256 = entry["sha256"]
            copy = self.folder / sha256[:16] / Path(model_path).name
            if file_sha256(copy) == sha256:
                return Snapshot(copy, sha256)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def _pointer(self, model_path: str | os.PathLike) -> Path:
        """The pointer file of one model path (paths with the same name do not share one)."""
        path = Path(model_path)
        where = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        return self.folder / f"{path.stem}-{where}.json"

    def _drop(self, snapshot: Snapshot) -> None:
        """Delete a snapshot's folder unless some pointer refers to its bytes."""
        for pointer in self.folder.glob("*.json"):
            try:
                if json.loads(pointer.read_text()).get("sha256") == snapshot.sha256:
                    return
            except (OSError, ValueError, AttributeError):
                continue
        shutil.rmtree(snapshot.path.parent, ignore_errors=True)
