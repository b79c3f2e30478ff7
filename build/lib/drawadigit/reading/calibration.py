"""Honest probabilities: temperature scaling, calibration error and the refusal threshold.

A network trained with cross-entropy is over-confident on what it has not seen. Temperature
scaling (Guo et al., 2017) divides the logits by one number T, fitted on held-out data by
minimising the negative log-likelihood; it changes no answer, only how sure each one is. The
model's softmax output is enough: log p equals the logits up to a constant, so
`calibrated(p, T)` is softmax(log p / T). Pure NumPy/SciPy.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

BINS = 15  # for the expected calibration error
FLOOR = 1e-12  # probabilities are clipped here before the logarithm


def calibrated(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax probabilities (N, K) rescaled to temperature T (T > 1 softens them)."""
    logits = np.log(np.clip(np.asarray(probs, np.float64), FLOOR, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=-1, keepdims=True)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the labels."""
    picked = np.asarray(probs)[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.log(np.clip(picked, FLOOR, 1.0)).mean())


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the held-out negative log-likelihood (0.05 to 20)."""
    found = minimize_scalar(
        lambda log_t: nll(calibrated(probs, float(np.exp(log_t))), labels),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
    )
    return float(np.exp(found.x))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """Top-label ECE: the gap between confidence and accuracy, averaged over confidence bins."""
    probs = np.asarray(probs)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            gap += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(gap)


def refusal_threshold(
    not_a_digit_of_digits: np.ndarray, max_false_refusal: float, floor: float = 0.5
) -> float:
    """The lowest "not a digit" probability to refuse at that refuses at most the given share of
    real digits (and never below `floor`, so a digit only loses to a likelier refusal)."""
    scores = np.sort(np.asarray(not_a_digit_of_digits, np.float64))
    if scores.size == 0:
        return floor
    allowed = int(np.floor(max_false_refusal * scores.size))
    # Refusing at >= t refuses the digits scoring t or more; keep that count within `allowed`.
    above = scores[scores.size - allowed - 1] if allowed < scores.size else 0.0
    return float(max(floor, np.nextafter(above, 1.0)))
