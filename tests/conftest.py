"""Shared fixtures: MNIST from MNIST_DIR, a tiny model for fast route tests, the shipped model."""

from __future__ import annotations

import os
from pathlib import Path

import flaskapp
import keras
import kerasModel
import mnist
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = ROOT / "model.h5"


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder of the four gz IDX files; a test that needs them fails loudly without them."""
    candidates = [os.environ.get("MNIST_DIR"), kerasModel.DEFAULT_MNIST_DIR]
    for candidate in filter(None, candidates):
        folder = Path(candidate)
        if all((folder / f"{name}.gz").is_file() for name in mnist.FILES):
            return folder
    pytest.fail(
        "These tests need the four MNIST gz IDX files: set MNIST_DIR to their folder "
        f"(looked in: {', '.join(str(c) for c in candidates if c)}), "
        "or fetch them with `python FlaskApp/mnist.py`."
    )


@pytest.fixture(scope="session")
def mnist_test(mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test digits (uint8) and labels."""
    return mnist.load_split(mnist_dir, "test")


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    """An untrained, tiny model that keeps the model contract: enough to drive the routes."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input(shape=(kerasModel.PIXELS,)), keras.layers.Dense(10, activation="softmax")]
    )
    return kerasModel.save_atomic(model, tmp_path_factory.mktemp("tiny") / "tiny.h5")


@pytest.fixture(scope="session")
def shipped_model():
    """The committed model.h5, loaded once for the whole session."""
    if not SHIPPED_MODEL.exists():
        pytest.fail(f"The shipped model {SHIPPED_MODEL} is missing; train it (see README).")
    return kerasModel.load(SHIPPED_MODEL)


@pytest.fixture
def app(tiny_model_path):
    """The app around the tiny model, never training."""
    return flaskapp.create_app({"MODEL_PATH": str(tiny_model_path), "TRAIN_IF_MISSING": False})


@pytest.fixture
def client(app):
    """Flask's test client for `app`."""
    return app.test_client()


@pytest.fixture(scope="session")
def shipped_client():
    """A test client of the app around the shipped model.h5."""
    app = flaskapp.create_app({"MODEL_PATH": str(SHIPPED_MODEL), "TRAIN_IF_MISSING": False})
    return app.test_client()
