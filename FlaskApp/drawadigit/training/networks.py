"""The digit networks, how each is trained by default (its `Recipe`), and their model cards.

Both keep the model contract (`tf_runtime`): float32 input in [0, 1], ink high, and a softmax
over the ten digits and "not a digit". Keras is imported when a network or an optimiser is
built, not when this module is imported.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from drawadigit.contract import NUM_CLASSES, PIXELS, SIZE
from drawadigit.model import tf_runtime

if TYPE_CHECKING:
    import keras

# Weights are averaged (EMA, momentum 0.99) only over runs this long: the average has no warm-up,
# so over a few hundred steps it would still be mostly the initial weights.
EMA_MIN_STEPS = 3000


def build_dense() -> keras.Model:
    """The original network: dense 784-512-512 with ReLU and dropout 0.2, and a softmax."""
    keras = tf_runtime.keras()
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(PIXELS,)),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="dense",
    )


def build_cnn() -> keras.Model:
    """A small convolutional network: two blocks of batch-normalised 3x3 convolutions, a dense head.

    Batch normalisation lets it learn in few epochs, which keeps training on a CPU short.
    """
    keras = tf_runtime.keras()
    layers = keras.layers

    def conv(filters: int, padding: str) -> list[keras.Layer]:
        return [
            layers.Conv2D(filters, 3, padding=padding, use_bias=False),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
        ]

    return keras.Sequential(
        [
            keras.Input(shape=(SIZE, SIZE, 1)),
            *conv(32, "same"),
            *conv(32, "valid"),
            layers.MaxPooling2D(),
            *conv(64, "same"),
            *conv(64, "valid"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(128, use_bias=False),
            layers.BatchNormalization(momentum=0.9),
            layers.ReLU(),
            layers.Dropout(0.4),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="cnn",
    )


def rmsprop(steps: int) -> keras.optimizers.Optimizer:
    """RMSprop at Keras' defaults, as the original app trained."""
    return tf_runtime.keras().optimizers.RMSprop()


def adam_cosine(steps: int) -> keras.optimizers.Optimizer:
    """Adam with a cosine decay from 0.002 to 1 % over the planned steps; EMA on long runs."""
    keras = tf_runtime.keras()
    return keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(2e-3, steps, 0.01),
        use_ema=steps >= EMA_MIN_STEPS,
    )


@dataclass(frozen=True)
class Recipe:
    """How one architecture is trained by default."""

    build: Callable[[], keras.Model]
    epochs: int
    optimizer: Callable[[int], keras.optimizers.Optimizer]  # given the number of training steps
    drawn_copy: bool  # add every digit as the drawing pipeline renders it (`as_drawn`)
    augmented_copies: int  # add this many augmented, normalised copies (`augment`)
    patience: int  # epochs without a better validation accuracy before stopping early
    summary: str  # the recipe in words, for the model card


RECIPES = {
    # The original network and its recipe, plus the drawn copy of each digit.
    "dense": Recipe(
        build_dense, 20, rmsprop, True, 0, 5, "RMSprop; MNIST digits plus their drawn copies"
    ),
    # Adam with a cosine decay; augmentation does the rest.
    "cnn": Recipe(
        build_cnn,
        8,
        adam_cosine,
        False,
        1,
        3,
        "Adam, learning rate 0.002 with cosine decay, weights averaged (EMA, 0.99) on long runs; "
        "MNIST digits plus an augmented copy",
    ),
}
NEGATIVES_SUMMARY = (
    "plus negatives (letters, shapes, scribbles, hatching, marks, run-together pairs; "
    "negatives.py) as class 10, augmented like the digits"
)
PEN_SUMMARY = (
    "plus real pen writing of the UNIPEN share's training writers (pen_writing.py): digits drawn "
    "twice as digits (with MNIST's augmented copies), letters, symbols and words as class 10"
)
ARCHITECTURES = {name: recipe.build for name, recipe in RECIPES.items()}
DEFAULT_ARCH = "cnn"


def model_card(model: keras.Model, training: dict, metrics: dict) -> dict:
    """What a model is, how it was trained and how well it does, as plain JSON-ready data."""
    build = ARCHITECTURES.get(model.name)
    return {
        "architecture": model.name,
        "description": (build.__doc__ or "").split("\n")[0] if build else "",
        "parameters": int(model.count_params()),
        "layers": [f"{layer.__class__.__name__} {layer.name}" for layer in model.layers],
        "input": {
            "shape": list(model.input_shape),
            "values": "float32 in [0, 1], ink high, normalised by preprocessing.normalise",
        },
        "output": (
            "softmax over 11 classes: the digits 0-9, then 10 = not a digit"
            if model.output_shape[-1] == NUM_CLASSES
            else "softmax over the digits 0-9"
        ),
        "training": training,
        "metrics": metrics,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": {
            "python": platform.python_version(),
            **tf_runtime.versions(),
            "numpy": np.__version__,
        },
    }
