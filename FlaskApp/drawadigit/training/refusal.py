"""The refusal threshold and the temperature of a trained network, fitted on held-out fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from drawadigit.contract import DIGITS
from drawadigit.model import tf_runtime
from drawadigit.reading import calibration

if TYPE_CHECKING:
    import keras

# The refusal threshold is the lowest that refuses at most this share of validation digits...
MAX_FALSE_REFUSAL = 0.004
# ... and at most this share of the pen-writing validation digits, when training has them.
MAX_PEN_FALSE_REFUSAL = 0.005


def calibrate(
    model: keras.Model, fields: np.ndarray, labels: np.ndarray, pen_rows: int = 0
) -> dict:
    """Fit the temperature and the refusal threshold on held-out fields; report both.

    The threshold is the lowest "not a digit" probability that refuses at most
    `MAX_FALSE_REFUSAL` of the held-out digits and, when the last `pen_rows` fields are real pen
    writing by held-out writers, at most `MAX_PEN_FALSE_REFUSAL` of their digits (the higher of
    the two). The figures quoted are on the same fields.
    """
    raw = tf_runtime.predict_all(model, fields)
    temperature = calibration.fit_temperature(raw, labels)
    probs = calibration.calibrated(raw, temperature)
    digits, pen = labels < DIGITS, np.arange(len(labels)) >= len(labels) - pen_rows
    threshold = calibration.refusal_threshold(probs[digits, DIGITS], MAX_FALSE_REFUSAL)
    rule = f"at most {MAX_FALSE_REFUSAL:.1%} of validation digits refused"
    if (digits & pen).any():
        pen_threshold = calibration.refusal_threshold(
            probs[digits & pen, DIGITS], MAX_PEN_FALSE_REFUSAL
        )
        threshold = max(threshold, pen_threshold)
        rule += f" and at most {MAX_PEN_FALSE_REFUSAL:.1%} of the pen-writing validation digits"
    refused = probs[:, DIGITS] >= threshold
    return {
        "class": DIGITS,
        "temperature": round(temperature, 4),
        "threshold": round(threshold, 6),
        "chosen_for": rule,
        "validation": {
            "digits": int(digits.sum()),
            "negatives": int((~digits).sum()),
            "digits_refused": round(float(refused[digits].mean()), 4),
            "negatives_refused": round(float(refused[~digits].mean()), 4),
            **_pen_refusals(refused, digits, pen),
            "ece_before": round(calibration.expected_calibration_error(raw, labels), 4),
            "ece_after": round(calibration.expected_calibration_error(probs, labels), 4),
        },
    }


def _pen_refusals(refused: np.ndarray, digits: np.ndarray, pen: np.ndarray) -> dict:
    """Refusal rates among the pen-writing validation rows (none without them)."""
    if not pen.any():
        return {}
    return {
        "pen_digits_refused": _share(refused[digits & pen]),
        "pen_negatives_refused": _share(refused[~digits & pen]),
    }


def _share(refused: np.ndarray) -> float | None:
    """The share refused, None of no rows."""
    return round(float(refused.mean()), 4) if refused.size else None
