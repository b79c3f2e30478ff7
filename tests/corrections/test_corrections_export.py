"""Corrections leave the store as MNIST's own gz IDX files, from Python or the command line."""

from __future__ import annotations

import gzip

import numpy as np

from drawadigit.corrections.cli import export, main
from drawadigit.corrections.store import CorrectionStore
from drawadigit.data import mnist
from tests.support import correction, sqlite_url

NAMES = ["feedback-images-idx3-ubyte.gz", "feedback-labels-idx1-ubyte.gz"]


def test_dataset_and_export_as_mnist_gz_idx(store, tmp_path):
    for label in (4, 2, 9):
        store.add(correction(label=label))
    images_path, labels_path, n = export(store, tmp_path / "out")
    assert n == 3
    assert [images_path.name, labels_path.name] == NAMES
    images = gzip.decompress(images_path.read_bytes())
    labels = gzip.decompress(labels_path.read_bytes())
    # MNIST's own header: magic number, then each dimension, big-endian.
    assert int.from_bytes(images[:4], "big") == mnist.IMAGES_MAGIC
    assert [int.from_bytes(images[i : i + 4], "big") for i in (4, 8, 12)] == [3, 28, 28]
    assert int.from_bytes(labels[:4], "big") == mnist.LABELS_MAGIC
    assert int.from_bytes(labels[4:8], "big") == 3 and list(labels[8:]) == [4, 2, 9]
    _, fields, _ = store.dataset()
    assert np.frombuffer(images[16:], np.uint8).reshape(3, 28, 28).tolist() == fields.tolist()
    assert fields.max() == 255  # ink at full strength, like MNIST


def test_export_command_writes_the_idx_files(tmp_path):
    url = sqlite_url(tmp_path)
    store = CorrectionStore(url)
    store.add(correction(label=6))
    store.close()
    assert main(["export", "--database-url", url, "--to", str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == NAMES
