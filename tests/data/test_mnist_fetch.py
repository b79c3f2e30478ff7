"""Fetching the MNIST files (`mnist_files`) from mirrors served on this machine: skipping a
mirror that fails, refusing wrong or broken content, timeouts, and the MNIST_MIRRORS setting."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from drawadigit.data import mnist
from tests.support import T10K, T10K_LABELS, UNREACHABLE, content_sha


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
        assert content_sha(data_dir / f"{name}.gz") == mnist.FILES[name]
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
    assert content_sha(tmp_path / f"{T10K_LABELS}.gz") == mnist.FILES[T10K_LABELS]


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
    assert content_sha(tmp_path / f"{T10K_LABELS}.gz") == mnist.FILES[T10K_LABELS]
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
        assert content_sha(tmp_path / "fetched" / f"{name}.gz") == mnist.FILES[name]


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
    from drawadigit import web

    monkeypatch.setenv("MODEL_PATH", str(tiny_model_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    monkeypatch.setenv("FLASK_MODEL_CACHE_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MNIST_MIRRORS", "http://mirror.example/a/ http://mirror.example/b/")
    app = web.create_app()
    assert app.extensions["settings"].mnist_mirrors == (
        "http://mirror.example/a/",
        "http://mirror.example/b/",
    )
    assert (
        app.extensions["digit_model"].training.mirrors == app.extensions["settings"].mnist_mirrors
    )
