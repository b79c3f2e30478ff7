"""The data a network is trained on: MNIST's digits in the copies a recipe asks for, negatives
as class 10, a seeded validation split, and people's corrections (no TensorFlow here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from drawadigit.contract import DIGITS, NOT_A_DIGIT
from drawadigit.data import augment, negatives
from drawadigit.reading import preprocessing

Progress = Callable[[dict], None]

VALIDATION_SHARE = 0.1  # held out of the training set; the test set is only for evaluation
NEGATIVE_SHARE = 0.4  # negatives (`negatives.py`) made per training digit
CORRECTION_REPEAT = 20  # each correction counts this many times among 60,000 MNIST digits


class Labelled(NamedTuple):
    """Fields and their labels."""

    x: np.ndarray
    y: np.ndarray


def as_drawn(fields: np.ndarray) -> np.ndarray:
    """MNIST fields passed through the drawing pipeline: what a served drawing looks like."""
    return np.stack([preprocessing.normalise_ink(field) for field in fields])


def _copies(fields: np.ndarray, y: np.ndarray, recipe, seed: int, report: Progress) -> Iterator:
    """Each copy of the digits a recipe asks for, and whether it is validated on too."""
    yield fields, True
    if recipe.drawn_copy:
        report({"stage": f"rendering {len(y):,} digits as drawn"})
        yield as_drawn(fields), True
    for copy in range(recipe.augmented_copies):
        of = f"copy {copy + 1} of {recipe.augmented_copies}"
        report({"stage": f"augmenting {len(y):,} digits ({of})"})
        yield augment.augment_many(fields, y, seed=seed * 1000 + copy), copy == 0


def assemble(
    fields: np.ndarray,
    labels: np.ndarray,
    recipe,
    seed: int,
    report: Progress,
    pen: tuple[Labelled, Labelled] | None = None,
) -> tuple[Labelled, Labelled]:
    """The training and validation sets of a `networks.Recipe`.

    A seeded tenth of the digits is held out for validation. Each set holds its digits as MNIST
    has them and in the recipe's copies (the validation set: the drawn and the first augmented
    copy only), then `NEGATIVE_SHARE` negatives per digit of its own as class 10. `pen`, real
    pen writing already split by writer (`pen_writing`), joins the training set (its digits with
    as many augmented copies as MNIST's) and the validation set, as it is.
    """
    fields, y = np.asarray(fields, np.float32), np.asarray(labels, np.int64)
    # A seeded shuffle before the split, so the validation digits are a fair sample.
    order = np.random.default_rng(seed).permutation(len(y))
    n_val = max(1, int(len(y) * VALIDATION_SHARE))
    split = {"training": order[n_val:], "validation": order[:n_val]}
    parts: dict[str, list[Labelled]] = {name: [] for name in split}
    for copy, validated in _copies(fields, y, recipe, seed, report):
        for name, where in split.items():
            if name == "training" or validated:
                parts[name].append(Labelled(copy[where], y[where]))
    for part, (name, where) in enumerate(split.items()):
        count = max(1, round(NEGATIVE_SHARE * len(where)))
        report({"stage": f"making {count:,} negatives ({name})"})
        digits = fields[where[y[where] < DIGITS]]  # "not a digit" corrections are no digits
        made, _ = negatives.negatives(count, seed * 1000 + 100 + part, digits=digits)
        parts[name].append(Labelled(made, np.full(count, NOT_A_DIGIT, np.int64)))
    if pen is not None:
        parts["training"] += _pen_copies(pen[0], recipe, seed, report)
        parts["validation"].append(pen[1])
    return _joined(parts["training"]), _joined(parts["validation"])


def _pen_copies(written: Labelled, recipe, seed: int, report: Progress) -> list[Labelled]:
    """Real pen writing for training: as it is, and its digits in the recipe's augmented copies."""
    copies = [written]
    digits = Labelled(written.x[written.y < DIGITS], written.y[written.y < DIGITS])
    for copy in range(recipe.augmented_copies):
        report({"stage": f"augmenting {len(digits.y):,} digits of real pen writing"})
        made = augment.augment_many(digits.x, digits.y, seed=seed * 1000 + 500 + copy)
        copies.append(Labelled(made, digits.y))
    return copies


def _joined(parts: list[Labelled]) -> Labelled:
    """One set of the parts, in order."""
    return Labelled(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]))


@dataclass(frozen=True)
class Corrections:
    """People's corrections from one database, split into those to train on and those held out
    (`corrections.store.is_held_out`), as uint8 MNIST-style fields."""

    database: str  # its URL, without a password
    train: Labelled
    held_out: Labelled
    held_out_share: float

    def record(self, held_out_accuracy_before: float | None) -> dict:
        """What the model card says about them."""
        return {
            "database": self.database,
            "train": len(self.train.y),
            "held_out": len(self.held_out.y),
            "repeat": CORRECTION_REPEAT,
            "held_out_share": self.held_out_share,
            "held_out_accuracy_before": held_out_accuracy_before,
        }


def load_corrections(url: str) -> Corrections:
    """The corrections stored in the database at `url`, split for training."""
    # SQLAlchemy, only when training with corrections.
    from drawadigit.corrections.store import HOLDOUT_SHARE, CorrectionStore

    store = CorrectionStore(url)
    try:
        split = store.split()
    finally:
        store.close()
    return Corrections(
        _without_password(url),
        Labelled(*split["train"]),
        Labelled(*split["held_out"]),
        HOLDOUT_SHARE,
    )


def _without_password(url: str) -> str:
    """A database URL without its password, for the model card."""
    import sqlalchemy

    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


def with_corrections(digits: Labelled, corrections: Corrections) -> Labelled:
    """MNIST's training digits and the corrections to train on, each `CORRECTION_REPEAT` times."""
    fields, labels = corrections.train
    return Labelled(
        np.concatenate([digits.x, np.repeat(fields, CORRECTION_REPEAT, axis=0)]),
        np.concatenate([digits.y, np.repeat(labels, CORRECTION_REPEAT)]),
    )
