"""MNIST files in the tests: the test split's names, a mirror that cannot be reached, and the
SHA-256 of a gz file's content (what `mnist_files.FILES` records)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

__all__ = ["T10K", "T10K_LABELS", "UNREACHABLE", "content_sha"]

T10K = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
T10K_LABELS = "t10k-labels-idx1-ubyte"
UNREACHABLE = "http://127.0.0.1:1/"  # nothing listens on port 1: connection refused at once


def content_sha(path: Path) -> str:
    """The SHA-256 of what a gz file holds."""
    with gzip.open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
