"""Digits drawn in pieces side by side (`merges`): a 4 whose bent stroke ends short of its stem
is one digit; two sure digits, or a separator's shape, are never joined."""

from __future__ import annotations

import merges
import modelfile
import numpy as np
import pytest
import reading
import sketches
import tf_runtime
from pen import ink_lines
from support import SHIPPED_MODEL

SIZE = (360, 220)
PEN = 12.0
# A 4 in two strokes that do not touch: the bent stroke stops well short of the stem.
SPLIT_FOUR = [[(0.2, 0.0), (0.1, 0.6), (0.55, 0.6)], [(0.9, 0.05), (0.9, 1.0)]]
ONE = [[(0.5, 0.0), (0.5, 1.0)]]
SURE = [0.0] * 4 + [0.95] + [0.0] * 5 + [0.05]  # ten digits, then "not a digit": a sure 4
REFUSED = [0.02] * 10 + [0.8]


def drawing(*digits, left: float = 120.0, width: float = 84.0, gap: float = 30.0) -> bytes:
    """Digits' strokes (unit squares) side by side, drawn with a round pen, as a PNG."""
    lines = []
    for strokes in digits:
        lines += [[(left + x * width, 40 + y * 140) for x, y in s] for s in strokes]
        left += width + gap
    return sketches.encode(ink_lines(SIZE, lines, PEN, 2), "white-black")


def staged(*batches):
    """A stand-in classifier answering its n-th call with `batches[n]` for every field."""
    calls = []

    def classify(fields):
        probs = batches[min(len(calls), len(batches) - 1)]
        calls.append(len(fields))
        return np.tile(np.asarray(probs, np.float64), (len(fields), 1))

    return classify, calls


def test_pieces_that_read_as_one_sure_digit_together_are_joined():
    classify, calls = staged(REFUSED, SURE)  # pieces refused apart, a sure 4 together
    answer = reading.read_bytes(drawing(SPLIT_FOUR), classify, reading.Policy())
    assert (answer.reading, answer.number) == ("digit", "4")
    (four,) = answer.digits
    assert four.box[2] - four.box[0] > 0.8 * 84  # one box over both pieces
    assert calls == [3, 1]  # both pieces and the whole drawing, then the pair


def test_pieces_that_do_not_read_surely_together_stay_refused():
    classify, calls = staged(REFUSED, REFUSED)
    answer = reading.read_bytes(drawing(SPLIT_FOUR), classify, reading.Policy())
    assert answer.reading == "not_a_digit" and answer.parts == 2


def test_two_sure_digits_side_by_side_are_never_read_again_together():
    ones = [0.0, 0.97] + [0.0] * 8 + [0.03]
    classify, calls = staged(ones)
    answer = reading.read_bytes(drawing(ONE, ONE, width=30, gap=10), classify, reading.Policy())
    assert answer.number == "11" and calls == [3]


def test_geometry_of_one_digit():
    assert merges.fits((0, 0, 40, 100), (50, 20, 90, 100))  # close, side by side, sharing rows
    assert not merges.fits((0, 0, 60, 100), (75, 0, 140, 100))  # wider than tall together
    assert not merges.fits((0, 0, 30, 100), (60, 0, 90, 100))  # too far apart
    assert not merges.fits((0, 0, 40, 40), (45, 60, 85, 100))  # one above the other's rows


def test_a_separator_shaped_part_is_never_joined():
    segments = [
        reading.segmentation.Segment((0, 0, 40, 100), np.zeros((28, 28)), np.ones((100, 40))),
        reading.segmentation.Segment((45, 0, 80, 100), np.zeros((28, 28)), np.ones((100, 35))),
    ]
    read = lambda fields: pytest.fail("a fixed part was read again")  # noqa: E731
    assert merges.merge(segments, [(0.1, 0.9), (0.1, 0.9)], read, 0.5, [False, True]) == []


@pytest.fixture(scope="module")
def read_shipped(shipped_model):
    policy = reading.Policy.from_card(modelfile.load_card(SHIPPED_MODEL))
    classify = tf_runtime.compiled(shipped_model)
    return lambda png: reading.read_bytes(png, classify, policy)


def test_shipped_model_reads_a_four_in_two_pieces_and_a_number_with_one(read_shipped):
    assert read_shipped(drawing(SPLIT_FOUR)).number == "4"
    assert read_shipped(drawing(ONE, SPLIT_FOUR, width=84, gap=40)).number == "14"
