"""Image -> what was drawn: one digit, a number, or "that is not a digit".

    read(image, classify, policy, strokes=None) -> Reading   # .as_dict(): the API's answer

1. the ink is found (`preprocessing.ink`); a mark too small to be a digit is refused at once;
2. it is split into digits, left to right: by the pen's strokes when the client sent them
   (`stroke_groups`), else by the pieces of ink (`segmentation.segment`); each is normalised
   the MNIST way; the whole drawing is normalised as one field too, as older versions read it;
3. every field is read in one batch by `classify` (N normalised 28x28 fields -> the model's
   softmax, ten digits and, for a model with refusal, an eleventh class "not a digit"), and the
   probabilities are calibrated with the model's temperature (`calibration`);
4. a part that is wide or not surely one digit is cut where its parts read best: a group of
   strokes into runs of its strokes in drawing order (`stroke_groups.runs`; runs that cross,
   as an X's strokes do, or go back left, as a $'s bar does, are never digits side by side:
   `stroke_groups.side_by_side`), then any part into spans of its columns (`cuts`: touching
   and joined digits), when the pieces read as surer digits than the part does whole;
5. a part whose "not a digit" probability reaches the policy's threshold is refused, and one
   refused part refuses the whole drawing (a digit beside a letter is not a number); so does,
   in a number, a part likelier wrong than right (`DOUBT`): better no number than a wrong one;
   but parts that make no number and share their columns (a 5 whose flag, a 4 whose stem, came
   apart) are one digit when the whole drawing, as narrow as a digit, surely reads as one
   (`whole_digit`);
6. marks and parts shaped like separators between digits are read into the number: a point,
   a comma, a dash, a slash, a colon ("3.14", "679-1238", "12/5", "4:30"; `separators`); a
   bracket, any other mark between digits, or a slash or colon first or last refuses it.

The reading is a `Reading` (`result`): what was read, each digit a `DigitRead`, and the JSON
the API answers. Nothing here knows about Flask or Keras.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from drawadigit.contract import DIGIT, NOT_A_DIGIT_NAME, NUMBER, TOO_SMALL
from drawadigit.reading import (
    calibration,
    cuts,
    preprocessing,
    segmentation,
    separators,
    stroke_groups,
    whole_digit,
)
from drawadigit.reading.result import DigitRead, Reading

# A mark whose ink spans less than this share of the image's longer side is too small to read.
TINY_SHARE = 0.06
TINY_PIXELS = 12  # ... or fewer pixels than this, whatever the image's size
# The side an image has when the two agree: the page sends its pad this large at most, so that
# a cropped upload is refused exactly when the whole pad would have been.
UPLOAD_SIDE = round(TINY_PIXELS / TINY_SHARE)
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


def _tiny(segments: list[segmentation.Segment], shape: tuple[int, int]) -> bool:
    """Whether the ink is a mark too small to be read as anything."""
    x0, y0 = min(s.box[0] for s in segments), min(s.box[1] for s in segments)
    x1, y1 = max(s.box[2] for s in segments), max(s.box[3] for s in segments)
    extent = max(x1 - x0, y1 - y0)
    return extent < TINY_PIXELS or extent < TINY_SHARE * max(shape)


def _answers(fields: list[np.ndarray], classify: Classify, policy: Policy) -> list[DigitRead]:
    """Calibrated readings of fields, read in one batch."""
    probs = calibration.calibrated(classify(np.stack(fields)), policy.temperature)
    return [DigitRead.of(p, f) for p, f in zip(probs, fields, strict=True)]


def _shape(segment: segmentation.Segment, boxes: list, writing: float) -> str | None:
    """What separator (or bracket) a part of a number is shaped like, if any."""
    if segment.ink is None:
        return None
    return separators.glyph(segment.ink, segment.box, boxes, writing)


def _separated(
    segments: list[segmentation.Segment],
    parts: list[DigitRead],
    marks: list[segmentation.Segment],
) -> tuple[list[segmentation.Segment], list[DigitRead], list[tuple[tuple, str | None]]]:
    """The digits, and what stands between them: the small marks and, in a number, the parts
    shaped like a slash, a colon or a bracket (`separators`), each with the separator it is
    ("/", ":", ".", ",", "-") or None (a bracket or another mark: no number is read)."""
    boxes = [s.box for s in segments]
    between = [(m.box, separators.mark(m.box, boxes)) for m in marks]
    if len(segments) < 2:
        return segments, parts, between
    kept_segments, kept_parts = [], []
    writing = separators.slant([s.ink for s in segments if s.ink is not None])
    for k, (segment, part) in enumerate(zip(segments, parts, strict=True)):
        shape = _shape(segment, boxes, writing)
        if shape is None:
            kept_segments.append(segment)
            kept_parts.append(part)
        else:  # a slash or a colon stands between digits, never first or last
            inner = 0 < k < len(segments) - 1 or shape not in "/:"
            between.append((segment.box, separators.READ.get(shape) if inner else None))
    if not kept_segments:  # nothing but separators: no number
        return segments, parts, [(b, None) for b, _ in between]
    return kept_segments, kept_parts, between


def _likeness(answer: DigitRead) -> float:
    """How likely a field is one digit: its likeliest digit's probability, times its
    probability of being a digit at all."""
    return answer.confidence * (1.0 - answer.not_a_digit)


def _by_strokes(
    segments: list[segmentation.Segment], parts: list[DigitRead], strokes, classify, policy: Policy
) -> tuple[list[segmentation.Segment], list[DigitRead]]:
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
        if path and not stroke_groups.side_by_side([answers[span][0].box for span in path]):
            path = None  # runs that cross or go back left: a letter or a symbol, not digits
        out += [answers[span] for span in path] if path else [(segment, answer)]
    out.sort(key=lambda pair: pair[0].box[0] + pair[0].box[2])
    return [s for s, _ in out], [a for _, a in out]


def _cut(
    segments: list[segmentation.Segment], parts: list[DigitRead], classify: Classify, policy: Policy
) -> tuple[list[segmentation.Segment], list[DigitRead]]:
    """Segments that read better as several digits, cut (`cuts`: touching and joined digits)."""
    out_segments, out_parts = [], []
    for segment, answer in zip(segments, parts, strict=True):
        x0, y0, x1, y1 = segment.box
        spans = None
        if segment.ink is not None and cuts.worth_cutting(x1 - x0, y1 - y0, _likeness(answer)):
            read: list[DigitRead] = []

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
    whole, parts = _first_reads(coverage, segments, classify, policy)
    if strokes:
        segments, parts = _by_strokes(segments, parts, strokes, classify, policy)
    segments, parts = _cut(segments, parts, classify, policy)
    tiny = _tiny(segments + marks, coverage.shape)
    segments, parts, between = _separated(segments, parts, marks)
    return _reading(whole, segments, parts, between, tiny=tiny, policy=policy)


def _first_reads(
    coverage: np.ndarray, segments: list[segmentation.Segment], classify: Classify, policy: Policy
) -> tuple[DigitRead, list[DigitRead]]:
    """The whole drawing read as one field, and each segment's field, in one batch."""
    whole_field = segments[0].field if len(segments) == 1 else preprocessing.normalise_ink(coverage)
    extra = [whole_field] if len(segments) > 1 else []
    answers = _answers([s.field for s in segments] + extra, classify, policy)
    return answers[-1], answers[: len(segments)]


def _refusal(
    parts: list[DigitRead], between: list, worst: float, tiny: bool, policy: Policy
) -> str:
    """Why the parts make no digit and no number (`contract.REASONS`), or "" when they do."""
    if tiny:
        return TOO_SMALL
    if worst >= policy.refuse_at and worst > 0:  # a model without the class never refuses
        return NOT_A_DIGIT_NAME
    if None in [c for _, c in between]:
        return NOT_A_DIGIT_NAME  # a mark among the digits that is no separator: no number
    if len(parts) + len(between) > 1 and min(_likeness(a) for a in parts) < DOUBT:
        return NOT_A_DIGIT_NAME  # a number with a doubtful digit: better no number than wrong
    return ""


def _reading(
    whole: DigitRead,
    segments: list[segmentation.Segment],
    parts: list[DigitRead],
    between: list[tuple[tuple, str | None]],
    *,
    tiny: bool,
    policy: Policy,
) -> Reading:
    """The parts' reading: refused (`_refusal`), else one digit or the number they make with
    the separators between them."""
    worst = max((a.not_a_digit for a in parts), default=1.0)
    refused = _refusal(parts, between, worst, tiny, policy)
    boxes = [s.box for s in segments] + [b for b, _ in between]
    if refused == NOT_A_DIGIT_NAME and whole_digit.is_one(whole, boxes, policy.refuse_at):
        return whole_digit.reading(whole, boxes)
    if refused:
        return Reading(
            reading=NOT_A_DIGIT_NAME,
            number="",
            digits=[],
            whole=whole,
            not_a_digit=worst,
            reason=refused,
            parts=len(segments),
        )
    digits = [a.placed(s) for a, s in zip(parts, segments, strict=True)]
    placed = [(s.box[0] + s.box[2], str(d.digit)) for s, d in zip(segments, digits, strict=True)]
    placed += [(box[0] + box[2], c) for box, c in between]
    return Reading(
        reading=DIGIT if len(digits) == 1 and not between else NUMBER,
        number="".join(c for _, c in sorted(placed)),
        digits=digits,
        whole=whole,
        not_a_digit=worst,
        parts=len(segments),
    )


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
