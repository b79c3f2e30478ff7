"""Image -> what was drawn: one digit, a number, or "that is not a digit".

    read(image, classify, policy) -> Reading

1. the ink is found (`preprocessing.ink`); a mark too small to be a digit is refused at once;
2. it is split into digits, left to right (`segmentation.segment`), each normalised the MNIST
   way; the whole drawing is normalised as one field too, as older versions read it;
3. every field is read in one batch by `classify` (normalised fields (N, 28, 28) -> the model's
   softmax, ten digits and, for a model with refusal, an eleventh class "not a digit"), and the
   probabilities are calibrated with the model's temperature (`calibration`);
4. a part whose "not a digit" probability reaches the policy's threshold is refused, and one
   refused part refuses the whole drawing (a digit beside a letter is not a number).

Nothing here knows about Flask or Keras.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import calibration
import numpy as np
import preprocessing
import segmentation
from PIL import Image

DIGITS = 10
# A mark whose ink spans less than this share of the image's longer side is too small to read.
TINY_SHARE = 0.06
TINY_PIXELS = 12  # ... or fewer pixels than this, whatever the image's size
# Larger drawings are read reduced by a whole factor to at most this many pixels, so that what
# reading costs stays bounded (a 28x28 field needs far fewer); boxes stay in the image's pixels.
READ_PIXELS = 500_000

Classify = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Policy:
    """How raw probabilities become an answer: the calibration temperature and the threshold."""

    temperature: float = 1.0
    refuse_at: float = 0.5  # refuse a field whose "not a digit" probability is at least this

    @classmethod
    def from_card(cls, card: dict) -> Policy:
        """The policy a model card records (`refusal`), else the defaults."""
        refusal = card.get("refusal") or {}
        return cls(
            temperature=float(refusal.get("temperature", 1.0)),
            refuse_at=float(refusal.get("threshold", 0.5)),
        )


@dataclass(frozen=True)
class Answer:
    """The calibrated reading of one normalised field."""

    digit: int
    confidence: float  # the digit's probability among the ten digits
    probabilities: list[float]  # the ten digits', summing to 1
    not_a_digit: float  # the probability that the field is no digit at all

    @classmethod
    def of(cls, probs: np.ndarray) -> Answer:
        """From calibrated probabilities over 10 or 11 classes."""
        not_a_digit = float(probs[DIGITS]) if probs.size > DIGITS else 0.0
        digits = np.asarray(probs[:DIGITS], np.float64)
        digits = digits / digits.sum() if digits.sum() > 0 else np.full(DIGITS, 1 / DIGITS)
        digit = int(digits.argmax())
        return cls(digit, float(digits[digit]), [float(p) for p in digits], not_a_digit)


@dataclass(frozen=True)
class DigitRead:
    """One digit of the reading, with where it is in the posted image."""

    digit: int
    confidence: float
    probabilities: list[float]
    not_a_digit: float
    box: list[int]  # [x0, y0, x1, y1], image pixels, x1 and y1 one past the ink
    field: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class Reading:
    """What a drawing holds, and the whole drawing read as one digit (the older answer)."""

    reading: str  # "digit", "number" or "not_a_digit"
    number: str  # the digits left to right; "" when not a digit
    digits: list[DigitRead]  # one per digit; empty when not a digit
    whole: Answer  # the whole drawing as one field
    field: np.ndarray = field(repr=False, compare=False)  # that field
    not_a_digit: float = 0.0  # the highest "not a digit" probability of any part
    reason: str = ""  # for "not_a_digit": "too_small" or "not_a_digit"
    parts: int = 1  # pieces of ink read

    def as_dict(self) -> dict:
        """Plain JSON-ready data (fields left out; `model_input` is added by the caller)."""
        return {
            **asdict(self.whole),
            "reading": self.reading,
            "number": self.number,
            "digits": [{k: v for k, v in asdict(d).items() if k != "field"} for d in self.digits],
            "not_a_digit": self.not_a_digit,
            **({"reason": self.reason} if self.reason else {}),
        }


def _tiny(segments: list[segmentation.Segment], shape: tuple[int, int]) -> bool:
    """Whether the ink is a mark too small to be read as anything."""
    x0, y0 = min(s.box[0] for s in segments), min(s.box[1] for s in segments)
    x1, y1 = max(s.box[2] for s in segments), max(s.box[3] for s in segments)
    extent = max(x1 - x0, y1 - y0)
    return extent < TINY_PIXELS or extent < TINY_SHARE * max(shape)


def _answers(fields: list[np.ndarray], classify: Classify, policy: Policy) -> list[Answer]:
    """Calibrated answers for fields, read in one batch."""
    probs = calibration.calibrated(classify(np.stack(fields)), policy.temperature)
    return [Answer.of(p) for p in probs]


def _reduced(coverage: np.ndarray, factor: int) -> np.ndarray:
    """Coverage averaged over factor x factor blocks (a ragged edge under one block dropped)."""
    h, w = (n // factor * factor for n in coverage.shape)
    blocks = coverage[:h, :w].reshape(h // factor, factor, w // factor, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def _scaled(read: Reading, factor: int, shape: tuple[int, int]) -> Reading:
    """A reading of the reduced drawing with its boxes back in the drawing's own pixels."""
    limits = [shape[1], shape[0]] * 2

    def box(b: list[int]) -> list[int]:
        return [min(v * factor, limit) for v, limit in zip(b, limits, strict=True)]

    return replace(read, digits=[replace(d, box=box(d.box)) for d in read.digits])


def _factor(pixels: int) -> int:
    """The whole factor that brings this many pixels down to READ_PIXELS or fewer."""
    return math.ceil(math.sqrt(pixels / READ_PIXELS))


def read_ink(coverage: np.ndarray, classify: Classify, policy: Policy) -> Reading:
    """Ink coverage (H, W) in [0, 1] -> the reading (see the module's docstring)."""
    factor = _factor(coverage.size)
    if factor > 1:
        reduced = read_ink(_reduced(coverage, factor), classify, policy)
        return _scaled(reduced, factor, coverage.shape)
    segments = segmentation.segment(coverage)
    whole_field = segments[0].field if len(segments) == 1 else preprocessing.normalise_ink(coverage)
    extra = [whole_field] if len(segments) > 1 else []
    answers = _answers([s.field for s in segments] + extra, classify, policy)
    whole = answers[-1]
    parts = answers[: len(segments)]
    worst = max(a.not_a_digit for a in parts)
    refused = ""
    if _tiny(segments, coverage.shape):
        refused = "too_small"
    elif worst >= policy.refuse_at and worst > 0:  # a model without the class never refuses
        refused = "not_a_digit"
    if refused:
        return Reading("not_a_digit", "", [], whole, whole_field, worst, refused, len(segments))
    digits = [
        DigitRead(a.digit, a.confidence, a.probabilities, a.not_a_digit, list(s.box), s.field)
        for a, s in zip(parts, segments, strict=True)
    ]
    kind = "digit" if len(digits) == 1 else "number"
    number = "".join(str(d.digit) for d in digits)
    return Reading(kind, number, digits, whole, whole_field, worst, "", len(segments))


def read(
    image: Image.Image,
    classify: Classify,
    policy: Policy,
    strokes: list[np.ndarray] | None = None,
) -> Reading:
    """A decoded drawing -> the reading; `strokes` (in the image's pixels) are not used yet."""
    factor = _factor(image.width * image.height)
    if factor > 1 and image.mode in REDUCIBLE:  # cheaper than finding the ink at full size
        reduced = read_ink(preprocessing.ink(image.reduce(factor)), classify, policy)
        return _scaled(reduced, factor, (image.height, image.width))
    return read_ink(preprocessing.ink(image), classify, policy)


REDUCIBLE = ("L", "LA", "RGB", "RGBA")  # modes Pillow reduces by averaging (others: the ink)


def read_bytes(data: bytes, classify: Classify, policy: Policy) -> Reading:
    """Image bytes -> the reading: `read(preprocessing.decode(data), ...)`."""
    return read(preprocessing.decode(data), classify, policy)
