"""What a drawing was read as, from the reader to the API's JSON: a `Reading`, holding a
`DigitRead` for each digit and one for the whole drawing read as one field.

    reading.read(image, classify, policy).as_dict()   # what POST /predict answers

`/predict` answers with `as_dict()` and `/api/feedback` stores the server's own reading from
the same `Reading`, so a correction is read exactly as a prediction is. Nothing here knows
about Flask or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from drawadigit.contract import DIGITS
from drawadigit.reading import pixels, segmentation


@dataclass(frozen=True, kw_only=True)
class DigitRead:
    """One normalised field read as a digit, calibrated, and where it is in the image."""

    digit: int  # the likeliest digit
    confidence: float  # the digit's probability among the ten digits
    probabilities: list[float]  # the ten digits', summing to 1
    not_a_digit: float  # the probability that the field is no digit at all
    field: np.ndarray = field(repr=False, compare=False)  # the field read
    box: list[int] | None = None  # [x0, y0, x1, y1], image pixels, x1 and y1 one past the ink

    @classmethod
    def of(cls, probs: np.ndarray, field: np.ndarray) -> DigitRead:
        """A field's reading from its calibrated probabilities over 10 or 11 classes."""
        not_a_digit = float(probs[DIGITS]) if probs.size > DIGITS else 0.0
        digits = np.asarray(probs[:DIGITS], np.float64)
        digits = digits / digits.sum() if digits.sum() > 0 else np.full(DIGITS, 1 / DIGITS)
        digit = int(digits.argmax())
        return cls(
            digit=digit,
            confidence=float(digits[digit]),
            probabilities=[float(p) for p in digits],
            not_a_digit=not_a_digit,
            field=field,
        )

    def placed(self, segment: segmentation.Segment) -> DigitRead:
        """This reading as the digit of `segment`: its box and its field."""
        return replace(self, box=list(segment.box), field=segment.field)

    def as_dict(self) -> dict:
        """One entry of the answer's `digits`: the digit, how sure, its box, and `model_input`,
        the field it was read from (a PNG data URL)."""
        return {
            "digit": self.digit,
            "confidence": self.confidence,
            "probabilities": list(self.probabilities),
            "not_a_digit": self.not_a_digit,
            "box": self.box,
            "model_input": model_input(self.field),
        }


@dataclass(frozen=True, kw_only=True)
class Reading:
    """What a drawing holds, and the whole drawing read as one digit (the older answer)."""

    reading: str  # contract.READINGS: "digit", "number" or "not_a_digit"
    number: str  # the digits (and separators) left to right; "" when not a digit
    digits: list[DigitRead]  # one per digit, placed; empty when not a digit
    whole: DigitRead  # the whole drawing as one field
    not_a_digit: float = 0.0  # the highest "not a digit" probability of any part
    reason: str = ""  # for "not_a_digit": contract.REASONS, "too_small" or "not_a_digit"
    parts: int = 1  # pieces of ink read

    @property
    def field(self) -> np.ndarray:
        """The whole drawing's field (the answer's `model_input`)."""
        return self.whole.field

    def as_dict(self) -> dict:
        """The answer as JSON-ready data: the whole drawing read as one digit, what it reads
        as, each digit (`DigitRead.as_dict`), and `model_input`, the whole drawing's field."""
        return {
            "digit": self.whole.digit,
            "confidence": self.whole.confidence,
            "probabilities": list(self.whole.probabilities),
            "not_a_digit": self.not_a_digit,
            "reading": self.reading,
            "number": self.number,
            "digits": [d.as_dict() for d in self.digits],
            **({"reason": self.reason} if self.reason else {}),
            "model_input": model_input(self.field),
        }


def model_input(field: np.ndarray) -> str:
    """A normalised 28x28 field as the API shows it: a PNG data URL."""
    return pixels.to_data_url(pixels.to_png(field))
