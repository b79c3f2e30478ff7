"""A digit that came apart: parts that make no number, read as the one digit they are whole.

A 5 whose flag, or a 4 whose stem, stands a little apart is two pieces of ink; read apart, the
pieces are no digits and refuse the drawing. When the pieces share their columns (none stands
beside the others, as a symbol beside a digit does), the whole drawing is as narrow as a digit,
and read as one field it is surely a digit, it is that digit.

Pure Python; nothing here knows about models or Flask.
"""

from __future__ import annotations

from dataclasses import replace

from drawadigit.contract import DIGIT
from drawadigit.reading.result import DigitRead, Reading

WIDTH = 1.0  # the whole drawing at most this wide for its height ...
SURE = 0.9  # ... reads as a digit at least this surely (its digit's probability times a digit's)
OVERLAP = 0.1  # ... and each part shares this share of its columns with those before it


def union(boxes: list) -> list[int]:
    """The box around boxes ([x0, y0, x1, y1] each)."""
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def overlapping(boxes: list) -> bool:
    """Whether every box, left to right, shares `OVERLAP` of its columns with those before it."""
    reach = None
    for x0, _, x1, _ in sorted(boxes):
        if reach is not None and reach - x0 < OVERLAP * (x1 - x0):
            return False
        reach = x1 if reach is None else max(reach, x1)
    return True


def is_one(whole: DigitRead, boxes: list, refuse_at: float) -> bool:
    """Whether parts in `boxes` that make no number are the one digit `whole` reads."""
    x0, y0, x1, y1 = union(boxes)
    narrow = x1 - x0 <= WIDTH * (y1 - y0)
    sure = whole.not_a_digit < refuse_at and whole.confidence * (1 - whole.not_a_digit) >= SURE
    return narrow and sure and overlapping(boxes)


def reading(whole: DigitRead, boxes: list) -> Reading:
    """The drawing read as the one digit `whole`, boxed around all its parts."""
    return Reading(
        reading=DIGIT,
        number=str(whole.digit),
        digits=[replace(whole, box=union(boxes))],
        whole=whole,
        not_a_digit=whole.not_a_digit,
        parts=len(boxes),
    )
