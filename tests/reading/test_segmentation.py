"""Splitting drawn numbers into digits: pieces of one digit stay together, digits come apart,
left to right, with boxes in the image's pixels."""

from __future__ import annotations

import numpy as np
import pytest

from drawadigit.data.sketches import SKETCHES
from drawadigit.reading import preprocessing, segmentation
from tests import support


def segments_of(drawing) -> tuple[np.ndarray, list[segmentation.Segment]]:
    """The ink of a drawing and its segments."""
    ink = preprocessing.ink(preprocessing.decode(drawing.png))
    return ink, segmentation.segment(ink)


# Digits people write in more than one piece of ink.
SPLIT_DIGITS = [
    (5, "two-strokes"),  # the flag of a 5, drawn on its own
    (7, "crossed"),  # the crossbar of a 7
    (4, "open"),  # a 4 in two strokes
    (0, "slashed"),
    (0, "dotted"),
    (1, "flag-foot"),
]


@pytest.mark.parametrize(("digit", "variant"), SPLIT_DIGITS)
def test_pieces_of_one_digit_stay_one_segment(digit, variant):
    strokes = SKETCHES[(digit, variant)]
    if variant == "open":  # lift the pen so the stem does not touch the bar
        strokes = [strokes[0], [(0.72, 0.05), (0.72, 0.5)], [(0.72, 0.7), (0.72, 1.0)]]
    drawing = support.stroke_drawing(strokes, digit, pen_width=8.0)
    _, segments = segments_of(drawing)
    assert len(segments) == 1


@pytest.mark.parametrize(("digit", "variant"), SPLIT_DIGITS)
def test_split_digits_inside_a_number_stay_whole(digit, variant):
    drawing = support.number_drawing([(2, "curve"), (digit, variant), (8, "loops")])
    _, segments = segments_of(drawing)
    assert len(segments) == 3


def test_a_single_digit_is_normalised_exactly_as_before():
    drawing = support.stroke_drawing(support.STROKES[3], 3)
    ink, (only,) = segments_of(drawing)
    np.testing.assert_array_equal(only.field, preprocessing.normalise_bytes(drawing.png))
    rows, cols = np.nonzero(ink >= preprocessing.BBOX_THRESHOLD)
    assert only.box == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)


def test_digits_come_left_to_right_with_boxes_around_their_own_ink():
    digits = [(2, "curve"), (0, "oval"), (2, "curve"), (6, "curl")]
    drawing = support.number_drawing(digits, size=(560, 240))
    ink, segments = segments_of(drawing)
    assert len(segments) == 4
    boxes = [s.box for s in segments]
    assert all(a[2] <= b[0] for a, b in zip(boxes, boxes[1:], strict=False))  # left to right
    covered = np.zeros(ink.shape, bool)
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= ink.shape[1] and 0 <= y0 < y1 <= ink.shape[0]
        covered[y0:y1, x0:x1] = True
    assert not (ink >= preprocessing.BBOX_THRESHOLD)[~covered].any()  # every stroke is in a box
    for segment in segments:  # each one normalised the MNIST way
        assert segment.field.shape == (28, 28) and segment.field.max() == pytest.approx(1.0)
    # The fields are the digits, not the same field four times: the two 2s alike, the 0 not.
    same = np.abs(segments[0].field - segments[2].field).mean()
    other = np.abs(segments[0].field - segments[1].field).mean()
    assert same < other / 4


@pytest.mark.parametrize(
    ("size", "slant", "height"),
    [((900, 200), 0.0, 0.5), ((400, 300), 0.25, 0.3), ((280, 280), 0.1, 0.15)],
    ids=["wide", "slanted", "small"],
)
def test_eight_digit_numbers_split_at_any_size_and_slant(size, slant, height):
    digits = [(1, "flag"), (2, "loop"), (3, "round"), (4, "closed")]
    digits += [(5, "hooked"), (7, "crossed"), (8, "snowman"), (9, "straight")]
    pen = max(3.0, 0.08 * height * size[1])
    drawing = support.number_drawing(
        digits, size=size, row=support.Row(slant=slant, height=height), pen_width=pen
    )
    _, segments = segments_of(drawing)
    assert len(segments) == 8


def test_specks_beside_the_digits_are_dropped():
    drawing = support.number_drawing([(4, "closed"), (2, "curve")])
    ink = preprocessing.ink(preprocessing.decode(drawing.png))
    ink[5:7, 5:7] = 1.0  # a speck in a corner
    ink[190:193, 380:383] = 1.0
    assert len(segmentation.segment(ink)) == 2


def test_an_equals_sign_stays_one_piece_of_ink():
    drawing = support.stroke_drawing([[(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]], 0)
    _, segments = segments_of(drawing)
    assert len(segments) == 1


def test_nothing_drawn_is_refused():
    with pytest.raises(preprocessing.NothingDrawn):
        segmentation.segment(np.zeros((50, 50), np.float32))


def test_a_stroke_broken_by_a_hair_stays_one_digit():
    # A 7 whose stem the pen left for a moment: a gap of about one percent of its height.
    strokes = [[(0.1, 0.0), (0.9, 0.0), (0.62, 0.55)], [(0.6, 0.57), (0.4, 1.0)]]
    drawing = support.stroke_drawing(strokes, 7, size=(280, 280), pen_width=4.0)
    _, segments = segments_of(drawing)
    assert len(segments) == 1
    # Digits a person leaves a gap between still come apart.
    _, apart = segments_of(
        support.number_drawing([(1, "stroke"), (1, "stroke")], row=support.Row(gap=0.3))
    )
    assert len(apart) == 2
