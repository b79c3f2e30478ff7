"""The LiteRT runtime: the same answers as the Keras model, with no TensorFlow in the server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from drawadigit import contract, web
from drawadigit.model import lite, tf_runtime
from drawadigit.reading import preprocessing
from tests.support import ROOT, SEVEN_URL, SHIPPED_MODEL, canvas_set, run_program


@pytest.fixture(scope="module")
def shipped_lite(tmp_path_factory):
    """The shipped model converted for LiteRT (in-process: this process has TensorFlow)."""
    path, facts = lite.converted(SHIPPED_MODEL, tmp_path_factory.mktemp("cache"))
    return lite.LiteForward(path), facts


def test_litert_gives_the_keras_models_probabilities(shipped_lite, shipped_model, mnist_test):
    forward, _ = shipped_lite
    images, labels = mnist_test
    fields = np.concatenate(
        [
            preprocessing.scale_mnist(images[:400]),
            np.stack(
                [
                    preprocessing.normalise_bytes(d.png)
                    for d in canvas_set(images, labels, 100, seed=5)
                ]
            ),
        ]
    )
    expected = tf_runtime.compiled(shipped_model)(fields)
    got = forward(fields)
    assert got.shape == expected.shape == (500, contract.NUM_CLASSES)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert (got.argmax(1) == expected.argmax(1)).all()


def test_converted_model_keeps_the_facts_of_the_file(shipped_lite, shipped_model):
    _, facts = shipped_lite
    assert facts == tf_runtime.model_facts(shipped_model)
    assert facts["architecture"] == "cnn" and facts["input"]["shape"] == [None, 28, 28, 1]


def test_dense_model_converts_and_takes_flat_input(tmp_path, tiny_model_path):
    path, facts = lite.converted(tiny_model_path, tmp_path)
    assert facts["input"]["shape"] == [None, 784]
    fields = np.random.default_rng(0).random((3, 28, 28), np.float32)
    expected = tf_runtime.compiled(tf_runtime.load(tiny_model_path))(fields)
    np.testing.assert_allclose(lite.LiteForward(path)(fields), expected, atol=1e-5)


def test_conversion_is_cached_by_the_files_hash(tmp_path, tiny_model_path, monkeypatch):
    first, _ = lite.converted(tiny_model_path, tmp_path)
    written = first.stat().st_mtime_ns
    calls = []
    monkeypatch.setattr(lite, "_convert", lambda *args: calls.append(args))
    again, _ = lite.converted(tiny_model_path, tmp_path)
    assert again == first and first.stat().st_mtime_ns == written and calls == []

    other = tmp_path / "tiny.h5"  # same name, other bytes: another cache entry
    other.write_bytes(tiny_model_path.read_bytes() + b"\0")
    assert lite.cached_path(other, tmp_path) != first


def test_workers_starting_together_convert_once(tmp_path, tiny_model_path, monkeypatch):
    real_convert, real_locked = lite._convert, lite.files.locked
    calls = []
    together = threading.Barrier(3, timeout=60)  # all three reach the lock before any takes it

    def counted(*args):
        calls.append(args)
        real_convert(*args)

    def at_the_lock(path):
        together.wait()
        return real_locked(path)

    monkeypatch.setattr(lite, "_convert", counted)
    monkeypatch.setattr(lite.files, "locked", at_the_lock)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(lite.converted(tiny_model_path, tmp_path)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(results) == 3
    assert len({path for path, _ in results}) == 1


def test_server_process_converts_in_a_subprocess_and_never_imports_tensorflow(tmp_path):
    done = run_program("serve_once.py", str(SHIPPED_MODEL), str(tmp_path), SEVEN_URL)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {
        "digit": 7,
        "runtime": f"LiteRT {lite.version()}",
        "tensorflow": False,
        "keras": False,
    }
    assert list(tmp_path.glob("model-*.tflite")), "the conversion was not cached"
    assert "XNNPACK" not in done.stderr  # LiteRT's start-up line is held back


def test_unreadable_model_file_is_refused_by_the_conversion_subprocess(tmp_path):
    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"not an HDF5 file")
    done = run_program("convert_as_server.py", str(broken), str(tmp_path / "cache"))
    assert done.returncode == 3, done.stderr
    outcome = json.loads(done.stdout)
    assert "Cannot read the model file" in outcome["refused"] and "broken.h5" in outcome["refused"]
    assert outcome["tensorflow"] is False
    assert not list((tmp_path / "cache").glob("*.tflite"))


def test_a_conversion_that_fails_otherwise_is_a_runtime_error_with_its_reason(
    tmp_path, tiny_model_path
):
    cache = tmp_path / "cache"
    lite.cached_path(tiny_model_path, cache).mkdir(parents=True)  # no file can be written there
    done = run_program("convert_as_server.py", str(tiny_model_path), str(cache))
    assert done.returncode == 4, done.stderr
    failed = json.loads(done.stdout)["failed"]
    assert f"Converting {tiny_model_path} for LiteRT failed (exit 1): " in failed
    assert "IsADirectoryError" in failed


def convert_broken_file(tmp_path, *command: str) -> subprocess.CompletedProcess:
    """Run a conversion command (its arguments: the model file, then the .tflite to write) on a
    file that is no model; nothing may be written."""
    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"not an HDF5 file")
    command = [part.format(model=broken, out=tmp_path / "out.tflite") for part in command]
    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert not list(tmp_path.glob("*.tflite"))
    return done


def test_the_converter_reports_a_refused_file_as_one_json_line(tmp_path):
    done = convert_broken_file(tmp_path, "-m", "drawadigit.model.lite_convert", "{model}", "{out}")
    assert done.returncode == 2
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["kind"] == "model_file"
    assert outcome["error"].startswith(f"Cannot read the model file {tmp_path / 'broken.h5'}")


def test_the_tflite_command_reports_a_refused_file_in_words(tmp_path):
    command = ["FlaskApp/kerasModel.py", "tflite", "--model", "{model}", "--to", "{out}"]
    done = convert_broken_file(tmp_path, *command)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: Cannot read the model file {tmp_path / 'broken.h5'}")


def test_tensorflow_runtime_still_serves_and_says_so(tiny_model_path, tmp_path):
    apps = {
        runtime: web.create_app(
            {
                "MODEL_PATH": str(tiny_model_path),
                "TRAIN_IF_MISSING": False,
                "RUNTIME": runtime,
                "MODEL_CACHE_DIR": str(tmp_path),
            }
        ).test_client()
        for runtime in ("tensorflow", "litert")
    }
    answers = {r: c.post("/predict", json={"image": SEVEN_URL}).get_json() for r, c in apps.items()}
    np.testing.assert_allclose(
        answers["tensorflow"]["probabilities"], answers["litert"]["probabilities"], atol=1e-5
    )
    assert apps["tensorflow"].get("/api/model").json["runtime"].startswith("TensorFlow ")
    assert apps["litert"].get("/api/model").json["runtime"].startswith("LiteRT ")


def test_unknown_runtime_is_refused_at_start(tiny_model_path):
    with pytest.raises(ValueError, match="Unknown runtime 'onnx'"):
        web.create_app({"MODEL_PATH": str(tiny_model_path), "RUNTIME": "onnx"})
