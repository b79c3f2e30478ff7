"""Tests for FlaskApp/mnist.py and mnist_files.py: finding, downloading, verifying and reading
the MNIST files."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import shutil
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import mnist
import mnist_files
import numpy as np
import pytest

T10K = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
T10K_LABELS = "t10k-labels-idx1-ubyte"
UNREACHABLE = "http://127.0.0.1:1/"  # nothing listens on port 1: connection refused at once


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def http_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """Serve a temporary folder over HTTP on 127.0.0.1; yield (folder, base URL ending in '/')."""
    root = tmp_path_factory.mktemp("served")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _serve(root: Path, sub: str, files: dict[str, bytes]) -> None:
    """Put files (name -> raw bytes) under root/sub so the HTTP server serves them."""
    folder = root / sub
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def _real_gz(mnist_dir: Path, name: str) -> bytes:
    return (mnist_dir / f"{name}.gz").read_bytes()


def _content_sha(path: Path) -> str:
    with gzip.open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


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


# --- reading the real files -------------------------------------------------------------------


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
        assert _content_sha(mnist_dir / f"{name}.gz") == expected


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


# --- downloading ------------------------------------------------------------------------------


def test_ensure_files_skips_404_mirror_and_downloads_from_next(
    mnist_dir: Path, http_root: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = http_root
    _serve(root, "good", {f"{n}.gz": _real_gz(mnist_dir, n) for n in T10K})
    missing_mirror, good_mirror = base + "nothing-here/", base + "good/"
    data_dir = tmp_path / "data" / "nested"  # does not exist yet
    lines: list[str] = []

    result = mnist.ensure_files(
        data_dir, mirrors=[missing_mirror, good_mirror], names=T10K, progress=lines.append
    )

    assert result == data_dir
    assert sorted(p.name for p in data_dir.iterdir()) == sorted(f"{n}.gz" for n in T10K)
    for name in T10K:
        assert _content_sha(data_dir / f"{name}.gz") == mnist.FILES[name]
    images, labels = mnist.load_split(data_dir, "test")
    assert images.shape == (10000, 28, 28)
    assert labels.shape == (10000,)
    text = "\n".join(lines)
    assert f"failed {missing_mirror}{T10K[0]}.gz: HTTP 404" in text
    assert f"downloading {T10K[0]}.gz from {good_mirror}{T10K[0]}.gz" in text
    assert f"saved {data_dir / (T10K[0] + '.gz')} (verified)" in text


def test_mirror_base_without_trailing_slash_still_works(
    mnist_dir: Path, http_root: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = http_root
    _serve(root, "good", {f"{T10K_LABELS}.gz": _real_gz(mnist_dir, T10K_LABELS)})
    mnist.ensure_files(tmp_path, mirrors=[base + "good"], names=[T10K_LABELS])
    assert _content_sha(tmp_path / f"{T10K_LABELS}.gz") == mnist.FILES[T10K_LABELS]


def test_mirror_serving_wrong_content_is_rejected_and_next_mirror_used(
    mnist_dir: Path, http_root: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = http_root
    _serve(root, "bad", {f"{T10K_LABELS}.gz": gzip.compress(b"definitely not MNIST")})
    _serve(root, "good", {f"{T10K_LABELS}.gz": _real_gz(mnist_dir, T10K_LABELS)})
    lines: list[str] = []

    mirrors = [base + "bad/", base + "good/"]
    mnist.ensure_files(tmp_path, mirrors=mirrors, names=[T10K_LABELS], progress=lines.append)

    assert [p.name for p in tmp_path.iterdir()] == [f"{T10K_LABELS}.gz"]
    assert _content_sha(tmp_path / f"{T10K_LABELS}.gz") == mnist.FILES[T10K_LABELS]
    assert any(
        line.startswith(f"failed {base}bad/{T10K_LABELS}.gz: sha256 mismatch") for line in lines
    )


def test_only_mirror_with_wrong_content_raises_hash_mismatch_and_leaves_nothing(
    http_root: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = http_root
    wrong = b"definitely not MNIST"
    _serve(root, "bad", {f"{T10K_LABELS}.gz": gzip.compress(wrong)})
    data_dir = tmp_path / "data"

    with pytest.raises(mnist.MNISTError) as info:
        mnist.ensure_files(data_dir, mirrors=[base + "bad/"], names=[T10K_LABELS])

    message = str(info.value)
    assert f"{base}bad/{T10K_LABELS}.gz" in message
    assert "sha256 mismatch" in message
    assert mnist.FILES[T10K_LABELS] in message
    assert hashlib.sha256(wrong).hexdigest() in message
    assert list(data_dir.iterdir()) == []


def test_mirror_serving_invalid_gzip_is_rejected(
    http_root: tuple[Path, str], tmp_path: Path
) -> None:
    root, base = http_root
    _serve(root, "bad", {f"{T10K_LABELS}.gz": b"this is not gzip at all"})

    with pytest.raises(mnist.MNISTError, match="not a valid gzip file"):
        mnist.ensure_files(tmp_path, mirrors=[base + "bad/"], names=[T10K_LABELS])

    assert list(tmp_path.iterdir()) == []


def test_all_mirrors_failing_lists_local_path_and_every_url(
    http_root: tuple[Path, str], tmp_path: Path
) -> None:
    _root, base = http_root
    mirrors = [base + "missing/", UNREACHABLE]

    with pytest.raises(mnist.MNISTError) as info:
        mnist.ensure_files(tmp_path, mirrors=mirrors, names=[T10K_LABELS])

    message = str(info.value)
    assert str(tmp_path / f"{T10K_LABELS}.gz") in message
    assert f"{base}missing/{T10K_LABELS}.gz: HTTP 404" in message
    assert f"{UNREACHABLE}{T10K_LABELS}.gz: connection failed" in message
    assert list(tmp_path.iterdir()) == []


def test_mirror_that_never_answers_times_out_and_is_reported(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never replies
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        with pytest.raises(mnist.MNISTError) as info:
            mnist.ensure_files(tmp_path, mirrors=[url], names=[T10K_LABELS], timeout=0.2)

    message = str(info.value)
    assert f"{url}{T10K_LABELS}.gz: timed out after 0.2 s" in message
    assert list(tmp_path.iterdir()) == []


def test_no_mirrors_at_all_says_so(tmp_path: Path) -> None:
    with pytest.raises(mnist.MNISTError, match="no mirrors were given"):
        mnist.ensure_files(tmp_path, mirrors=[], names=[T10K_LABELS])


# --- present but bad local files --------------------------------------------------------------


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


# --- missing files without downloading --------------------------------------------------------


def test_load_mnist_without_download_on_empty_dir_names_the_dir(tmp_path: Path) -> None:
    with pytest.raises(mnist.MNISTError) as info:
        mnist.load_mnist(tmp_path, mirrors=[UNREACHABLE], download=False)

    message = str(info.value)
    assert f"missing in {tmp_path}" in message
    assert all(f"{name}.gz" in message for name in mnist.FILES)
    assert "python FlaskApp/mnist.py --dir" in message
    assert list(tmp_path.iterdir()) == []


def test_load_split_with_missing_file_names_it_and_the_dir(tmp_path: Path) -> None:
    with pytest.raises(mnist.MNISTError) as info:
        mnist.load_split(tmp_path, "train")

    message = str(info.value)
    assert str(tmp_path) in message
    assert "train-images-idx3-ubyte.gz" in message
    assert "train-labels-idx1-ubyte.gz" in message


# --- IDX parsing (synthetic files whose hashes are made to match) -------------------------------


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


# --- argument errors and CLI ------------------------------------------------------------------


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


def test_mnist_mirrors_setting_replaces_the_default_mirrors(
    http_root: tuple[Path, str],
    mnist_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, base = http_root
    _serve(root, "copy", {f"{n}.gz": _real_gz(mnist_dir, n) for n in mnist.FILES})
    monkeypatch.setenv("MNIST_MIRRORS", f"{UNREACHABLE} {base}copy/")
    assert mnist.mirrors_from_environment() == (UNREACHABLE, f"{base}copy/")
    assert mnist.main(["--dir", str(tmp_path / "fetched")]) == 0
    out = capsys.readouterr().out
    assert f"downloading train-images-idx3-ubyte.gz from {base}copy/" in out
    for name in mnist.FILES:
        assert _content_sha(tmp_path / "fetched" / f"{name}.gz") == mnist.FILES[name]


def test_mirror_settings_parse_spaces_and_commas_and_default_when_empty() -> None:
    assert mnist.mirrors_from_environment(
        {"MNIST_MIRRORS": " http://a/ ,http://b/\nhttp://c/ "}
    ) == (
        "http://a/",
        "http://b/",
        "http://c/",
    )
    assert mnist.mirrors_from_environment({"MNIST_MIRRORS": "  "}) == mnist.DEFAULT_MIRRORS
    assert mnist.mirrors_from_environment({}) == mnist.DEFAULT_MIRRORS


def test_the_app_reads_mnist_mirrors_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tiny_model_path: Path, tmp_path: Path
) -> None:
    import flaskapp

    monkeypatch.setenv("MODEL_PATH", str(tiny_model_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    monkeypatch.setenv("FLASK_MODEL_CACHE_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MNIST_MIRRORS", "http://mirror.example/a/ http://mirror.example/b/")
    app = flaskapp.create_app()
    assert app.extensions["settings"].mnist_mirrors == (
        "http://mirror.example/a/",
        "http://mirror.example/b/",
    )
    assert (
        app.extensions["digit_model"].training.mirrors == app.extensions["settings"].mnist_mirrors
    )
