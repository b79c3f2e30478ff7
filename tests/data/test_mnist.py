"""FlaskApp/mnist.py with the files at hand: reading and verifying them, bad and missing local
files, IDX parsing, argument errors and the command line (downloading: test_mnist_fetch.py)."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from drawadigit.data import mnist, mnist_files
from tests.support import T10K, T10K_LABELS, UNREACHABLE, content_sha


def _tiny_split(
    images_magic: int = mnist.IMAGES_MAGIC, n_images: int = 3, n_labels: int = 3
) -> tuple[bytes, bytes]:
    """Raw (uncompressed) IDX images and labels content for a tiny synthetic split."""
    pixels = (np.arange(n_images * 28 * 28) % 256).astype(np.uint8).tobytes()
    images = struct.pack(">IIII", images_magic, n_images, 28, 28) + pixels
    labels = struct.pack(">II", mnist.LABELS_MAGIC, n_labels) + bytes(range(n_labels))
    return images, labels


def _install_tiny_split(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, images: bytes, labels: bytes
) -> None:
    """Write a tiny "test" split into data_dir and make FILES accept exactly those contents."""
    files = dict(mnist_files.FILES)
    for name, content in zip(T10K, (images, labels), strict=True):
        (data_dir / f"{name}.gz").write_bytes(gzip.compress(content))
        files[name] = hashlib.sha256(content).hexdigest()
    monkeypatch.setattr(mnist_files, "FILES", files)


@pytest.mark.parametrize(("split", "count"), [("train", 60000), ("test", 10000)])
def test_load_split_returns_uint8_images_and_all_ten_labels(
    mnist_dir: Path, split: str, count: int
) -> None:
    images, labels = mnist.load_split(mnist_dir, split)
    assert images.shape == (count, 28, 28)
    assert labels.shape == (count,)
    assert images.dtype == np.uint8
    assert labels.dtype == np.uint8
    assert set(np.unique(labels).tolist()) == set(range(10))
    assert images.max() == 255
    assert images.min() == 0


def test_files_table_matches_the_shared_checksums(mnist_dir: Path) -> None:
    assert len(mnist.FILES) == 4
    for name, expected in mnist.FILES.items():
        assert content_sha(mnist_dir / f"{name}.gz") == expected


def test_ensure_files_with_every_file_present_downloads_nothing(mnist_dir: Path) -> None:
    lines: list[str] = []
    result = mnist.ensure_files(str(mnist_dir), mirrors=[UNREACHABLE], progress=lines.append)
    assert result == mnist_dir
    assert len(lines) == 4
    assert all(line.startswith("found ") and "verified" in line for line in lines)
    assert not any("downloading" in line for line in lines)


def test_load_mnist_returns_train_and_test_pairs_without_downloading(mnist_dir: Path) -> None:
    (x_train, y_train), (x_test, y_test) = mnist.load_mnist(mnist_dir, mirrors=[], download=False)
    assert x_train.shape == (60000, 28, 28)
    assert y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28)
    assert y_test.shape == (10000,)


def test_present_corrupt_local_file_raises_and_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / f"{T10K_LABELS}.gz"
    wrong = b"corrupt labels"
    original = gzip.compress(wrong)
    path.write_bytes(original)

    with pytest.raises(mnist.MNISTError) as info:
        mnist.ensure_files(tmp_path, mirrors=[UNREACHABLE], names=[T10K_LABELS])

    message = str(info.value)
    assert str(path) in message
    assert mnist.FILES[T10K_LABELS] in message
    assert hashlib.sha256(wrong).hexdigest() in message
    assert "Delete it to re-download" in message
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_present_local_file_that_is_not_gzip_raises_and_is_left_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / f"{T10K_LABELS}.gz"
    path.write_bytes(b"<html>not found</html>")

    with pytest.raises(mnist.MNISTError) as info:
        mnist.ensure_files(tmp_path, mirrors=[UNREACHABLE], names=[T10K_LABELS])

    assert str(path) in str(info.value)
    assert "not a valid gzip file" in str(info.value)
    assert "Delete it to re-download" in str(info.value)
    assert path.read_bytes() == b"<html>not found</html>"


def test_load_split_on_corrupt_file_names_it(tmp_path: Path, mnist_dir: Path) -> None:
    shutil.copy(mnist_dir / f"{T10K[0]}.gz", tmp_path)
    (tmp_path / f"{T10K_LABELS}.gz").write_bytes(gzip.compress(b"corrupt labels"))

    with pytest.raises(mnist.MNISTError) as info:
        mnist.load_split(tmp_path, "test")

    assert str(tmp_path / f"{T10K_LABELS}.gz") in str(info.value)
    assert "sha256 mismatch" in str(info.value)


def test_load_mnist_without_download_on_empty_dir_names_the_dir(tmp_path: Path) -> None:
    with pytest.raises(mnist.MNISTError) as info:
        mnist.load_mnist(tmp_path, mirrors=[UNREACHABLE], download=False)

    message = str(info.value)
    assert f"missing in {tmp_path}" in message
    assert all(f"{name}.gz" in message for name in mnist.FILES)
    assert "python -m drawadigit.data.mnist --dir" in message
    assert list(tmp_path.iterdir()) == []


def test_load_split_with_missing_file_names_it_and_the_dir(tmp_path: Path) -> None:
    with pytest.raises(mnist.MNISTError) as info:
        mnist.load_split(tmp_path, "train")

    message = str(info.value)
    assert str(tmp_path) in message
    assert "train-images-idx3-ubyte.gz" in message
    assert "train-labels-idx1-ubyte.gz" in message


def test_load_split_parses_a_valid_tiny_idx_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_tiny_split(monkeypatch, tmp_path, *_tiny_split())

    images, labels = mnist.load_split(tmp_path, "test")

    assert images.shape == (3, 28, 28)
    assert labels.tolist() == [0, 1, 2]
    assert images[0, 0, :5].tolist() == [0, 1, 2, 3, 4]
    assert images.flags.writeable


def test_load_split_rejects_wrong_idx_magic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_tiny_split(monkeypatch, tmp_path, *_tiny_split(images_magic=2049))

    with pytest.raises(mnist.MNISTError) as info:
        mnist.load_split(tmp_path, "test")

    message = str(info.value)
    assert "magic number 2049, expected 2051" in message
    assert str(tmp_path / f"{T10K[0]}.gz") in message


def test_load_split_rejects_disagreeing_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_tiny_split(monkeypatch, tmp_path, *_tiny_split(n_images=3, n_labels=2))

    with pytest.raises(mnist.MNISTError, match="3 images, .* has 2 labels"):
        mnist.load_split(tmp_path, "test")


def test_load_split_rejects_truncated_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images, labels = _tiny_split()
    _install_tiny_split(monkeypatch, tmp_path, images[:-10], labels)

    with pytest.raises(mnist.MNISTError, match="IDX header"):
        mnist.load_split(tmp_path, "test")


def test_unknown_split_or_file_name_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="split must be one of"):
        mnist.load_split(tmp_path, "validation")
    with pytest.raises(ValueError, match="unknown MNIST file name"):
        mnist.ensure_files(tmp_path, mirrors=[], names=["train-images"])


def test_cli_verifies_files_and_prints_summary(
    mnist_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mnist.main(["--dir", str(mnist_dir), "--mirror", UNREACHABLE]) == 0
    out = capsys.readouterr().out
    assert "train 60000 images" in out
    assert "test 10000 images" in out
    assert out.count("verified") >= 4


def test_cli_reports_failure_with_exit_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mnist.main(["--dir", str(tmp_path), "--mirror", UNREACHABLE, "--timeout", "2"]) == 1
    captured = capsys.readouterr()
    # One line: what was tried, and the two settings that fix it.
    assert captured.err.startswith("error: could not download ") and captured.err.count("\n") == 1
    assert UNREACHABLE in captured.err and "connection failed" in captured.err
    assert "Set MNIST_DIR" in captured.err and "MNIST_MIRRORS" in captured.err
