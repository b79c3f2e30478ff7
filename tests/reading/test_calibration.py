"""Temperature scaling, the calibration error and the refusal threshold."""

from __future__ import annotations

import numpy as np
import pytest

from drawadigit.reading import calibration


def overconfident(n: int, temperature: float, seed: int = 0):
    """Softmax outputs of logits drawn so that T = `temperature` calibrates them, and labels."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (n, 5))
    true = np.exp(logits - logits.max(axis=1, keepdims=True))
    true /= true.sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(5, p=p) for p in true])
    sharp = calibration.calibrated(true, 1 / temperature)  # the model: too sure by T
    return sharp, labels


def test_temperature_scaling_recovers_the_temperature_and_lowers_the_error():
    probs, labels = overconfident(4000, temperature=2.5)
    found = calibration.fit_temperature(probs, labels)
    assert found == pytest.approx(2.5, rel=0.1)
    fixed = calibration.calibrated(probs, found)
    before = calibration.expected_calibration_error(probs, labels)
    after = calibration.expected_calibration_error(fixed, labels)
    assert after < before / 2 and after < 0.03
    # Answers do not change, only how sure they are.
    assert (fixed.argmax(axis=1) == probs.argmax(axis=1)).all()
    np.testing.assert_allclose(fixed.sum(axis=1), 1.0)


def test_calibration_error_of_a_perfect_and_of_a_wrong_forecaster():
    labels = np.array([0, 1, 2, 0])
    certain = np.eye(3)[labels]
    assert calibration.expected_calibration_error(certain, labels) == pytest.approx(0.0)
    wrong = np.eye(3)[(labels + 1) % 3]
    assert calibration.expected_calibration_error(wrong, labels) == pytest.approx(1.0)


def test_refusal_threshold_refuses_at_most_the_given_share_of_digits():
    scores = np.linspace(0, 0.99, 1000)  # "not a digit" probabilities of real digits
    threshold = calibration.refusal_threshold(scores, 0.01)
    assert (scores >= threshold).mean() <= 0.01
    assert (scores >= threshold * 0.999).mean() >= 0.009  # and no stricter than it needs
    assert calibration.refusal_threshold(np.zeros(100), 0.01) == 0.5  # never below the floor
    assert calibration.refusal_threshold(np.array([]), 0.01) == 0.5
