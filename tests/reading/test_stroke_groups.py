"""Digits from the pen's strokes (issue 24): grouping strokes into digits, cutting touching and
joined digits, and separators between digits, read with the shipped model as the server does."""

from __future__ import annotations

import numpy as np
import pytest

from drawadigit import reading
from drawadigit.data import sketches
from drawadigit.data.pen import ink_lines
from drawadigit.model import modelfile, tf_runtime
from drawadigit.reading import cuts, segmentation, separators, stroke_groups
from tests.support import SHIPPED_MODEL

SIZE = (360, 200)
PEN = 12.0


@pytest.fixture(scope="module")
def read_shipped(shipped_model):
    """(png, strokes) -> reading, with the shipped model and its card's policy."""
    policy = reading.Policy.from_card(modelfile.load_card(SHIPPED_MODEL))
    classify = tf_runtime.compiled(shipped_model)
    return lambda png, strokes=None: reading.read_bytes(png, classify, policy, strokes)


def placed(strokes, left: float, top: float = 30.0, height: float = 140.0, width=None):
    """Strokes in a unit square, placed in pixels (x right, y down)."""
    width = height * 0.6 if width is None else width
    return [np.array([(left + x * width, top + y * height) for x, y in s]) for s in strokes]


def drawn(strokes) -> tuple[bytes, np.ndarray]:
    """The PNG of strokes drawn with a round pen, and its coverage."""
    coverage = ink_lines(SIZE, [[tuple(p) for p in s] for s in strokes], PEN, 2)
    return sketches.encode(coverage, "white-black"), coverage


ZERO = sketches.SKETCHES[(0, "oval")]
FIVE = sketches.SKETCHES[(5, "two-strokes")]
FOUR = sketches.SKETCHES[(4, "open")]


def test_a_five_with_its_flag_apart_is_one_digit():
    flag_apart = [FIVE[0], [(x, y - 0.12) for x, y in FIVE[1]]]  # the flag lifted off the body
    strokes = placed(flag_apart, 120)
    _, coverage = drawn(strokes)
    groups = stroke_groups.segment(coverage, strokes)
    assert len([g for g in groups if not g.mark]) == 1


def test_a_four_in_two_strokes_is_one_digit():
    strokes = placed(FOUR, 120)
    _, coverage = drawn(strokes)
    assert len(stroke_groups.segment(coverage, strokes)) == 1


def test_touching_zeros_are_two_digits_by_their_strokes(read_shipped):
    # Two ovals whose ink overlaps: one piece of ink, two strokes.
    strokes = placed(ZERO, 70, width=100) + placed(ZERO, 134, width=100)
    png, coverage = drawn(strokes)
    assert len(segmentation.segment(coverage)) == 1  # the pixels alone see one piece
    groups = stroke_groups.segment(coverage, strokes)
    assert len(groups) == 2 and groups[0].box[0] < groups[1].box[0]
    assert all(type(v) is int for g in groups for v in g.box)  # plain ints: they become JSON
    answer = read_shipped(png, strokes)
    assert (answer.reading, answer.number) == ("number", "00")


def test_eleven_in_one_stroke_is_cut_into_two_ones(read_shipped):
    # Down, a hairline up to the next top, down again: one stroke, one piece, two digits.
    one_stroke = [[(0.0, 0.0), (0.0, 1.0), (0.5, 0.0), (0.5, 1.0)]]
    strokes = placed(one_stroke, 120, width=120)
    png, coverage = drawn(strokes)
    assert len(stroke_groups.segment(coverage, strokes)) == 1
    for given in (strokes, None):  # from the strokes, and from the PNG alone
        answer = read_shipped(png, given)
        assert (answer.reading, answer.number) == ("number", "11"), given is None


def test_strokes_far_outside_or_too_many_fall_back_to_the_pixels():
    strokes = placed(FOUR, 120)
    _, coverage = drawn(strokes)
    many = [np.array([[5.0, 5.0], [6.0, 6.0]])] * (stroke_groups.MAX_STROKES + 1)
    assert len(stroke_groups.segment(coverage, many)) == len(segmentation.segment(coverage))
    away = [s + 1000 for s in strokes]  # every pixel still goes to the nearest group
    assert len(stroke_groups.segment(coverage, away)) == 1


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((100, 150, 110, 160), "."),  # small, at the foot of the digits
        ((100, 148, 106, 168), ","),  # small, taller than wide, at the foot
        ((95, 90, 125, 98), "-"),  # flat, in the middle
        ((95, 20, 125, 28), None),  # flat, but above the digits
        ((100, 60, 110, 70), None),  # small, in the middle: no separator
    ],
)
def test_small_marks_between_digits_are_separators_by_shape(box, expected):
    digits = [(0, 30, 80, 170), (140, 30, 220, 170)]
    assert separators.mark(box, digits) == expected


def test_a_dash_and_a_point_between_digits_are_read_into_the_number(read_shipped):
    seven = sketches.SKETCHES[(7, "plain")]
    dash = [[(0.0, 0.5), (1.0, 0.5)]]
    strokes = placed(seven, 20) + placed(dash, 130, width=50) + placed(seven, 220)
    png, _ = drawn(strokes)
    for given in (strokes, None):
        answer = read_shipped(png, given)
        assert (answer.reading, answer.number) == ("number", "7-7")
        assert [d.digit for d in answer.digits] == [7, 7]
    point = [[(0.5, 0.95), (0.52, 0.96)]]
    strokes = placed(seven, 20) + placed(point, 125, width=20) + placed(seven, 200)
    png, _ = drawn(strokes)
    assert read_shipped(png).number == "7.7"


def test_a_bracket_in_a_number_refuses_it(read_shipped):
    bracket = [[(0.9, 0.0), (0.2, 0.25), (0.05, 0.5), (0.2, 0.75), (0.9, 1.0)]]
    seven = sketches.SKETCHES[(7, "plain")]
    strokes = placed(bracket, 20, width=40) + placed(seven, 90) + placed(seven, 200)
    png, _ = drawn(strokes)
    answer = read_shipped(png, strokes)
    assert answer.reading == "not_a_digit", answer.number


def test_a_ten_digit_number_costs_a_bounded_number_of_model_calls(shipped_model):
    policy = reading.Policy.from_card(modelfile.load_card(SHIPPED_MODEL))
    model = tf_runtime.compiled(shipped_model)
    batches: list[int] = []

    def classify(fields):
        batches.append(len(fields))
        return model(fields)

    digits = [sketches.SKETCHES[(d, v)] for d, v in [(1, "stroke"), (2, "curve"), (3, "round")]]
    strokes = []
    for i in range(10):  # ten digits, each touching the next
        strokes += placed(digits[i % 3], 10 + i * 58, top=40, height=110, width=66)
    size = (10 + 10 * 58 + 80, 200)
    coverage = ink_lines(size, [[tuple(p) for p in s] for s in strokes], PEN, 2)
    png = sketches.encode(coverage, "white-black")
    for given in (strokes, None):
        batches.clear()
        answer = reading.read_bytes(png, classify, policy, given)
        # One batch for the parts and the whole, then one per part worth cutting, each of at
        # most the spans between MAX_CUTS cuts.
        spans = (cuts.MAX_CUTS + 2) * (cuts.MAX_CUTS + 1) // 2
        assert len(batches) <= 1 + 10 and max(batches[1:], default=0) <= spans
        assert sum(batches) <= 11 + 10 * spans
        assert answer.reading in ("number", "not_a_digit")


def staged(*batches):
    """A stand-in classifier answering its n-th call with `batches[n]` for every field."""
    calls = []

    def classify(fields):
        calls.append(len(fields))
        probs = batches[min(len(calls), len(batches)) - 1]
        return np.tile(np.asarray(probs, np.float64), (len(fields), 1))

    return classify, calls


def test_a_group_that_reads_unsurely_is_split_into_runs_of_its_strokes():
    # A short zero written into a one: their boxes share columns, so the strokes are grouped
    # as one digit (as a 5's flag would be), but each stroke alone is a sure digit.
    strokes = placed([[(0.5, 0.0), (0.5, 1.0)]], 100) + placed(ZERO, 128, 85, 85, 64)
    png, coverage = drawn(strokes)
    (group,) = stroke_groups.segment(coverage, strokes)
    assert group.strokes == (0, 1)
    runs = stroke_groups.runs(group, strokes)
    assert [(r.i, r.j) for r in runs] == [(0, 1), (1, 2)]
    (a, b) = (r.segment.box for r in runs)
    assert a[0] + a[2] < b[0] + b[2]  # the one, then the zero
    unsure = [0.6] + [0.04] * 9 + [0.04]
    sure = [0.97] + [0.0] * 9 + [0.03]
    classify, calls = staged(unsure, sure)
    answer = reading.read_bytes(png, classify, reading.Policy(), strokes)
    assert answer.number == "00" and len(answer.digits) == 2 and calls[:2] == [1, 2]
    classify, calls = staged(unsure, unsure)  # the runs no surer: the group stays whole
    answer = reading.read_bytes(png, classify, reading.Policy(), strokes)
    assert answer.number == "0" and calls[1] == 2


def test_a_run_of_strokes_shorter_than_a_digit_is_never_read_alone():
    # A 5's flag is a stroke of its own, but no digit: the 5's body is the only run.
    strokes = placed(FIVE, 120)
    _, coverage = drawn(strokes)
    (five,) = stroke_groups.segment(coverage, strokes)
    assert [(r.i, r.j) for r in stroke_groups.runs(five, strokes)] == [(0, 1)]


REFUSED = [0.02] * 10 + [0.8]  # the whole: "not a digit"
SURE_ONE = [0.0, 0.99] + [0.0] * 8 + [0.01]  # each run: a 1, as sure as can be


def test_strokes_that_cross_are_never_split_into_digits():
    # An X: two strokes, each alone a 1 as sure as can be, but they cross (so do a Y's).
    # Touching digits stand side by side.
    cross = placed([[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]], 120, width=100)
    png, coverage = drawn(cross)
    (x,) = stroke_groups.segment(coverage, cross)
    assert [(r.i, r.j) for r in stroke_groups.runs(x, cross)] == [(0, 1), (1, 2)]
    assert not stroke_groups.side_by_side([r.segment.box for r in stroke_groups.runs(x, cross)])
    classify, calls = staged(REFUSED, SURE_ONE)
    answer = reading.read_bytes(png, classify, reading.Policy(), cross)
    assert answer.reading == "not_a_digit" and calls[:2] == [1, 2]
    assert stroke_groups.side_by_side([(0, 0, 50, 100), (45, 0, 95, 100), (90, 5, 140, 100)])
    assert not stroke_groups.side_by_side([(0, 0, 50, 100), (10, 0, 60, 100)])


def test_strokes_that_go_back_left_are_never_split_into_digits():
    # A $: an S, then its bar through the middle. Digits are written left to right, so each
    # run of a number stands to the right of the one before; the bar stands within the S.
    dollar = placed(
        [[(0.9, 0.1), (0.1, 0.3), (0.9, 0.7), (0.1, 0.9)], [(0.45, 0.0), (0.45, 1.0)]], 120
    )
    png, coverage = drawn(dollar)
    (group,) = stroke_groups.segment(coverage, dollar)
    runs = stroke_groups.runs(group, dollar)
    assert [(r.i, r.j) for r in runs] == [(0, 1), (1, 2)]
    assert not stroke_groups.side_by_side([r.segment.box for r in runs])
    classify, calls = staged(REFUSED, SURE_ONE)
    answer = reading.read_bytes(png, classify, reading.Policy(), dollar)
    assert answer.reading == "not_a_digit" and calls[:2] == [1, 2]
    # Side by side but drawn right to left: no number either.
    assert not stroke_groups.side_by_side([(60, 0, 110, 100), (0, 0, 50, 100)])
