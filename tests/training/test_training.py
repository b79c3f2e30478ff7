"""First run: training when model.h5 is missing, answering 503 meanwhile, saving atomically."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from drawadigit import contract, training, web
from drawadigit.data import mnist
from drawadigit.model import modelfile, tf_runtime
from drawadigit.training import datasets, networks
from tests.support import SEVEN_URL


@pytest.fixture
def gated_training(monkeypatch):
    """Hold first-run training at its start until the test opens the gate."""
    gate = threading.Event()
    real = training.train_and_save

    def held(*args, **kwargs):
        assert gate.wait(60), "the test never opened the gate"
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_and_save", held)
    yield gate
    gate.set()


def test_first_run_trains_saves_atomically_and_answers_503_meanwhile(
    tmp_path, mnist_dir, gated_training
):
    model_path = tmp_path / "model.h5"
    app = web.create_app(
        {
            "MODEL_PATH": str(model_path),
            "MNIST_DIR": str(mnist_dir),
            "TRAIN_LIMIT": 600,
            "TRAIN_EPOCHS": 1,
        }
    )
    client = app.test_client()

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["state"] == "training"
    assert client.get("/api/model").status_code == 503
    busy = client.post("/predict", json={"image": SEVEN_URL})
    assert busy.status_code == 503
    body = busy.get_json()
    assert "still being trained" in body["error"] and "progress" in body
    assert not model_path.exists()

    gated_training.set()
    assert app.extensions["digit_model"].wait(120)

    # The model and its card, and no temp file left.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.h5", "model.json"]
    model = tf_runtime.load(model_path)
    assert model.output_shape == (None, contract.NUM_CLASSES)
    assert client.get("/healthz").status_code == 200
    card = client.get("/api/model").get_json()
    assert card["architecture"] == networks.DEFAULT_ARCH
    assert card["file"]["sha256"] == modelfile.file_sha256(model_path)
    assert card["training"]["digits"] == 600 and card["training"]["epochs_run"] == 1
    answer = client.post("/predict", json={"image": SEVEN_URL})
    assert answer.status_code == 200 and 0 <= answer.get_json()["digit"] <= 9


@pytest.mark.parametrize("arch", sorted(networks.ARCHITECTURES))
def test_each_architecture_trains_on_a_small_subset_and_round_trips(
    arch, mnist_dir, mnist_test, tmp_path
):
    (x_train, y_train), _ = mnist.load_mnist(mnist_dir, download=False)
    settings = training.Settings(arch, epochs=2, batch_size=64)
    trained = training.train(x_train[:2000] / 255.0, y_train[:2000], settings)
    model, history, refusal = trained.model, trained.history, trained.refusal
    assert model.name == arch and len(history["val_accuracy"]) == 2
    # Every architecture learns to refuse: an eleventh class, calibrated on validation data.
    assert model.output_shape == (None, contract.NUM_CLASSES)
    assert refusal["class"] == contract.DIGITS and refusal["temperature"] > 0
    assert 0.5 <= refusal["threshold"] <= 1.0
    validation = refusal["validation"]
    # 200 validation digits, as MNIST has them and augmented, and their share of negatives.
    assert validation["digits"] == 400
    assert validation["negatives"] == round(datasets.NEGATIVE_SHARE * 200)
    assert validation["digits_refused"] <= training.MAX_FALSE_REFUSAL + 1e-9
    assert validation["negatives_refused"] > 10 * max(validation["digits_refused"], 0.005)
    assert validation["ece_after"] <= validation["ece_before"] + 1e-3
    images, labels = mnist_test
    assert training.accuracy(model, images[:1000] / 255.0, labels[:1000]) > 0.8
    # The saved file gives the same outputs as the model in memory.
    reloaded = tf_runtime.load(tf_runtime.save_atomic(model, tmp_path / f"{arch}.h5"))
    fields = images[:50] / 255.0
    np.testing.assert_allclose(
        tf_runtime.probabilities(reloaded, fields),
        tf_runtime.probabilities(model, fields),
        rtol=1e-5,
        atol=1e-6,
    )


def test_failed_first_run_training_is_reported_not_hidden(tmp_path):
    app = web.create_app(
        {
            "MODEL_PATH": str(tmp_path / "model.h5"),
            "MNIST_DIR": str(tmp_path / "no-mnist"),
            "MNIST_MIRRORS": ["http://127.0.0.1:9/"],
        }
    )
    assert not app.extensions["digit_model"].wait(60)
    health = app.test_client().get("/healthz")
    assert health.status_code == 503
    status = health.get_json()
    assert status["state"] == "failed" and "no-mnist" in status["error"]
    answer = app.test_client().post("/predict", json={"image": SEVEN_URL})
    assert answer.status_code == 503 and "failed" in answer.get_json()["error"]


def test_unreadable_model_file_stops_start_up_and_is_not_trained_over(tmp_path):
    broken = tmp_path / "model.h5"
    broken.write_bytes(b"not an HDF5 file")
    with pytest.raises(modelfile.ModelFileError) as error:
        web.create_app({"MODEL_PATH": str(broken)})
    message = str(error.value)
    assert str(broken) in message and "Delete" in message
    assert broken.read_bytes() == b"not an HDF5 file"


def test_model_file_breaking_the_contract_is_refused(tmp_path):
    import keras

    wrong = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(3)])
    path = tf_runtime.save_atomic(wrong, tmp_path / "wrong.h5")
    with pytest.raises(modelfile.ModelFileError, match="expected 784 pixels in"):
        tf_runtime.load(path)


def test_missing_model_with_training_off_says_how_to_train(tmp_path):
    with pytest.raises(modelfile.ModelFileError, match="kerasModel.py train"):
        web.create_app({"MODEL_PATH": str(tmp_path / "model.h5"), "TRAIN_IF_MISSING": False})


def test_save_atomic_failing_midway_keeps_the_previous_file(tmp_path, tiny_model_path, monkeypatch):
    model = tf_runtime.load(tiny_model_path)
    target = tmp_path / "model.h5"
    target.write_bytes(b"previous model")

    def crash(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(type(model), "save", crash)
    with pytest.raises(OSError, match="disk full"):
        tf_runtime.save_atomic(model, target)
    assert target.read_bytes() == b"previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]


def test_saved_model_gives_the_same_outputs_after_reload(tmp_path, tiny_model_path):
    model = tf_runtime.load(tiny_model_path)
    copy = tf_runtime.load(tf_runtime.save_atomic(model, tmp_path / "copy.h5"))
    fields = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(
        tf_runtime.probabilities(model, fields), tf_runtime.probabilities(copy, fields), rtol=1e-6
    )


def test_train_and_save_writes_a_model_card_that_describes_the_file(tmp_path, mnist_dir):
    path = tmp_path / "dense.h5"
    saved = training.train_and_save(
        path, training.Data(mnist_dir, limit=1000), training.Settings("dense", epochs=2, seed=4)
    )
    model, summary = saved.model, saved.summary
    assert saved.path == path
    card = modelfile.load_card(path)
    assert modelfile.card_path(path) == tmp_path / "dense.json"
    assert card["architecture"] == "dense" and card["parameters"] == model.count_params()
    assert card["file"] == {"name": "dense.h5", "sha256": modelfile.file_sha256(path)}
    record = card["training"]
    assert record["data"] == {
        name: digest for name, digest in mnist.FILES.items() if name.startswith("train")
    }
    assert record["digits"] == 1000 and record["seed"] == 4 and record["epochs"] == 2
    assert 1 <= record["best_epoch"] <= record["epochs_run"] == 2
    assert record["seconds"] == summary["train_seconds"] > 0
    assert card["metrics"]["mnist_test_accuracy"] == summary["mnist_test_accuracy"] > 0.7
    assert card["versions"]["keras"].startswith("3.")
    assert card["output"].startswith("softmax over 11 classes")
    assert set(card["refusal"]) >= {"class", "temperature", "threshold", "validation"}
    assert card["created"].startswith("20")


def test_training_is_reproducible_with_the_same_seed(mnist_dir):
    (x_train, y_train), _ = mnist.load_mnist(mnist_dir, download=False)
    fields, labels = x_train[:600] / 255.0, y_train[:600]
    first, again, other = (
        training.train(fields, labels, training.Settings("cnn", epochs=1, seed=seed)).model
        for seed in (9, 9, 10)
    )
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])


def test_compiled_forward_pass_matches_the_model(tiny_model_path, shipped_model):
    fields = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    for model in (tf_runtime.load(tiny_model_path), shipped_model):
        forward = tf_runtime.compiled(model)
        np.testing.assert_allclose(
            forward(fields), tf_runtime.probabilities(model, fields), rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            forward(fields[:1]), tf_runtime.probabilities(model, fields[:1]), rtol=1e-5, atol=1e-6
        )


def test_exported_saved_model_gives_the_same_probabilities_as_model_h5(tmp_path, shipped_model):
    import tensorflow as tf

    path = tf_runtime.export(shipped_model, tmp_path / "digits" / "1")
    served = tf.saved_model.load(str(path))
    fields = np.random.default_rng(3).random((6, 28, 28), dtype=np.float32)
    exported = served.serve(tf_runtime.as_model_input(shipped_model, fields)).numpy()
    np.testing.assert_allclose(
        exported, tf_runtime.probabilities(shipped_model, fields), rtol=1e-5, atol=1e-6
    )
