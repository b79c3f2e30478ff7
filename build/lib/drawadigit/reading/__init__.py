"""Image -> what was drawn: one digit, a number, or "that is not a digit".

    read(image, classify, policy, strokes=None) -> Reading

1. the ink is found (`preprocessing.ink`); a mark too small to be a digit is refused at once;
2. it is split into digits, left to right: by the pen's strokes when the client sent them
   (`stroke_groups`), else by the pieces of ink (`segmentation.segment`); each is normalised
   the MNIST way; the whole drawing is normalised as one field too, as older versions read it;
3. every field is read in one batch by `classify` (normalised fields (N, 28, 28) -> the model's
   softmax, ten digits and, for a model with refusal, an eleventh class "not a digit"), and the
   probabilities are calibrated with the model's temperature (`calibration`);
4. a part that is wide or not surely one digit is cut where its parts read best: a group of
   strokes into runs of its strokes in drawing order (`stroke_groups.runs`), then any part
   into spans of its columns (`cuts`: touching and joined digits), when the pieces read as
   surer digits than the part does whole;
5. a part whose "not a digit" probability reaches the policy's threshold is refused, and one
   refused part refuses the whole drawing (a digit beside a letter is not a number); so does,
   in a number, a part likelier wrong than right (`DOUBT`): better no number than a wrong one;
6. marks and parts shaped like separators between digits are read into the number: a point,
   a comma, a dash, a slash, a colon ("3.14", "679-1238", "12/5", "4:30"; `separators`); a
   bracket, any other mark between digits, or a slash or colon first or last refuses it.

Nothing here knows about Flask or Keras.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from PIL import Image

from drawadigit.reading import (
    calibration,
    cuts,
    preprocessing,
    segmentation,
    separators,
    stroke_groups,
)

DIGITS = 10
# A mark whose ink spans less than this share of the image's longer side is too small to read.
TINY_SHARE = 0.06
TINY_PIXELS = 12  # ... or fewer pixels than this, whatever the image's size
# Larger drawings are read reduced by a whole factor to at most this many pixels, so that what
# reading costs stays bounded (a 28x28 field needs far fewer); boxes stay in the image's pixels.
READ_PIXELS = 500_000
# A part of a number likelier some other digit or none than its digit refuses the number.
DOUBT = 0.5

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


def _shape(segment: segmentation.Segment, boxes: list) -> str | None:
    """What separator (or bracket) a part of a number is shaped like, if any."""
    return None if segment.ink is None else separators.glyph(segment.ink, segment.box, boxes)


def _separated(
    segments: list[segmentation.Segment],
    parts: list[Answer],
    marks: list[segmentation.Segment],
) -> tuple[list[segmentation.Segment], list[Answer], list[tuple[tuple, str | None]]]:
    """The digits, and what stands between them: the small marks and, in a number, the parts
    shaped like a slash, a colon or a bracket (`separators`), each with the separator it is
    ("/", ":", ".", ",", "-") or None (a bracket or another mark: no number is read)."""
    boxes = [s.box for s in segments]
    between = [(m.box, separators.mark(m.box, boxes)) for m in marks]
    if len(segments) < 2:
        return segments, parts, between
    kept_segments, kept_parts = [], []
    for k, (segment, part) in enumerate(zip(segments, parts, strict=True)):
        shape = _shape(segment, boxes)
        if shape is None:
            kept_segments.append(segment)
            kept_parts.append(part)
        else:  # a slash or a colon stands between digits, never first or last
            inner = 0 < k < len(segments) - 1 or shape not in "/:"
            between.append((segment.box, separators.READ.get(shape) if inner else None))
    if not kept_segments:  # nothing but separators: no number
        return segments, parts, [(b, None) for b, _ in between]
    return kept_segments, kept_parts, between


def _likeness(answer: Answer) -> float:
    """How likely a field is one digit: its likeliest digit's probability, times its
    probability of being a digit at all."""
    return answer.confidence * (1.0 - answer.not_a_digit)


def _by_strokes(
    segments: list[segmentation.Segment], parts: list[Answer], strokes, classify, policy: Policy
) -> tuple[list[segmentation.Segment], list[Answer]]:
    """Groups of strokes that read better as runs of their strokes, split (touching digits
    that the grouping took for one; `stroke_groups.runs`, `cuts.best_split`)."""
    runs = {
        k: stroke_groups.runs(s, strokes)
        for k, (s, a) in enumerate(zip(segments, parts, strict=True))
        if len(s.strokes) > 1
        and cuts.worth_cutting(s.box[2] - s.box[0], s.box[3] - s.box[1], _likeness(a))
    }
    fields = [r.segment.field for found in runs.values() for r in found]
    if not fields:
        return segments, parts
    read = iter(_answers(fields, classify, policy))  # every group's runs in one batch
    out = []
    for k, (segment, answer) in enumerate(zip(segments, parts, strict=True)):
        found = runs.get(k, [])
        answers = {(r.i, r.j): (r.segment, next(read)) for r in found}
        likeness = {span: _likeness(a) for span, (_, a) in answers.items()}
        path = cuts.best_split(len(segment.strokes), likeness, _likeness(answer)) if found else None
        out += [answers[span] for span in path] if path else [(segment, answer)]
    out.sort(key=lambda pair: pair[0].box[0] + pair[0].box[2])
    return [s for s, _ in out], [a for _, a in out]


def _cut(
    segments: list[segmentation.Segment], parts: list[Answer], classify: Classify, policy: Policy
) -> tuple[list[segmentation.Segment], list[Answer]]:
    """Segments that read better as several digits, cut (`cuts`: touching and joined digits)."""
    out_segments, out_parts = [], []
    for segment, answer in zip(segments, parts, strict=True):
        x0, y0, x1, y1 = segment.box
        spans = None
        if segment.ink is not None and cuts.worth_cutting(x1 - x0, y1 - y0, _likeness(answer)):
            read: list[Answer] = []

            def likeness(fields: list[np.ndarray], read=read) -> list[float]:
                read[:] = _answers(fields, classify, policy)
                return [_likeness(a) for a in read]

            spans = cuts.cut(segment.ink, _likeness(answer), likeness)
        if not spans:
            out_segments.append(segment)
            out_parts.append(answer)
            continue
        for span, i in spans:
            box = (x0 + span.x0, y0 + span.rows[0], x0 + span.x1, y0 + span.rows[1])
            ink = segment.ink[span.rows[0] : span.rows[1], span.x0 : span.x1]
            out_segments.append(segmentation.Segment(box, span.field, ink))
            out_parts.append(read[i])
    return out_segments, out_parts


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


def read_ink(
    coverage: np.ndarray,
    classify: Classify,
    policy: Policy,
    strokes: list[np.ndarray] | None = None,
) -> Reading:
    """Ink coverage (H, W) in [0, 1] (and the strokes that drew it, in its pixels) -> the
    reading (see the module's docstring)."""
    factor = _factor(coverage.size)
    if factor > 1:
        reduced = read_ink(_reduced(coverage, factor), classify, policy, _shrunk(strokes, factor))
        return _scaled(reduced, factor, coverage.shape)
    if strokes:
        found = stroke_groups.segment(coverage, strokes)
    else:
        found = segmentation.segment(coverage, marks=True)
    segments = [s for s in found if not s.mark]  # marks stand only between digits
    marks = [s for s in found if s.mark]
    whole_field = segments[0].field if len(segments) == 1 else preprocessing.normalise_ink(coverage)
    extra = [whole_field] if len(segments) > 1 else []
    answers = _answers([s.field for s in segments] + extra, classify, policy)
    whole = answers[-1]
    segments, parts = segments, answers[: len(segments)]
    if strokes:
        segments, parts = _by_strokes(segments, parts, strokes, classify, policy)
    segments, parts = _cut(segments, parts, classify, policy)
    tiny = _tiny(segments + marks, coverage.shape)
    segments, parts, between = _separated(segments, parts, marks)
    worst = max((a.not_a_digit for a in parts), default=1.0)
    refused = ""
    if tiny:
        refused = "too_small"
    elif worst >= policy.refuse_at and worst > 0:  # a model without the class never refuses
        refused = "not_a_digit"
    elif None in [c for _, c in between]:
        refused = "not_a_digit"  # a mark among the digits that is no separator: no number
    elif len(parts) + len(between) > 1 and min(_likeness(a) for a in parts) < DOUBT:
        refused = "not_a_digit"  # a number with a doubtful digit: better no number than wrong
    if refused:
        return Reading("not_a_digit", "", [], whole, whole_field, worst, refused, len(segments))
    digits = [
        DigitRead(a.digit, a.confidence, a.probabilities, a.not_a_digit, list(s.box), s.field)
        for a, s in zip(parts, segments, strict=True)
    ]
    kind = "digit" if len(digits) == 1 and not between else "number"
    placed = [(s.box[0] + s.box[2], str(d.digit)) for s, d in zip(segments, digits, strict=True)]
    placed += [(box[0] + box[2], c) for box, c in between]
    number = "".join(c for _, c in sorted(placed))
    return Reading(kind, number, digits, whole, whole_field, worst, "", len(segments))


def read(
    image: Image.Image,
    classify: Classify,
    policy: Policy,
    strokes: list[np.ndarray] | None = None,
) -> Reading:
    """A decoded drawing -> the reading; `strokes`, the pen's strokes in the image's pixels
    ((N, 2) or (N, 3) arrays, in drawing order), group its ink into digits."""
    factor = _factor(image.width * image.height)
    if factor > 1 and image.mode in REDUCIBLE:  # cheaper than finding the ink at full size
        coverage = preprocessing.ink(image.reduce(factor))
        reduced = read_ink(coverage, classify, policy, _shrunk(strokes, factor))
        return _scaled(reduced, factor, (image.height, image.width))
    return read_ink(preprocessing.ink(image), classify, policy, strokes)


def _shrunk(strokes: list[np.ndarray] | None, factor: int) -> list[np.ndarray] | None:
    """Strokes in the pixels of the image reduced by `factor`."""
    return None if strokes is None else [s[:, :2] / factor for s in strokes]


REDUCIBLE = ("L", "LA", "RGB", "RGBA")  # modes Pillow reduces by averaging (others: the ink)


def read_bytes(
    data: bytes, classify: Classify, policy: Policy, strokes: list[np.ndarray] | None = None
) -> Reading:
    """Image bytes -> the reading: `read(preprocessing.decode(data), ...)`."""
    return read(preprocessing.decode(data), classify, policy, strokes)
