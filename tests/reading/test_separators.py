"""What stands between digits (`separators`), by geometry alone: a slash told from a 1 by how
steeply it leans beyond the writing's own slant and by its height, brackets before slashes, a
comma low in the band, and the rules `reading` adds: a slash never first or last, a doubtful
digit refuses a number."""

from __future__ import annotations

import numpy as np
import pytest

from drawadigit import reading
from drawadigit.data import sketches
from drawadigit.data.pen import ink_lines
from drawadigit.reading import separators

DIGITS = [(0, 100, 60, 200), (200, 100, 260, 200)]  # two digits' boxes: the band is y 100-200


def line(lean: float, height: int, thick: int = 5) -> np.ndarray:
    """The ink of a straight line `height` tall leaning `lean` (x over y) up to the right."""
    width = int(abs(lean) * height) + thick + 1
    ink = np.zeros((height, width), np.float32)
    for y in range(height):
        x = int(lean * (height - 1 - y)) if lean >= 0 else int(-lean * y)
        ink[y, x : x + thick] = 1.0
    return ink


def placed(ink: np.ndarray, left: int = 120, top: int = 100) -> tuple[int, int, int, int]:
    return (left, top, left + ink.shape[1], top + ink.shape[0])


@pytest.mark.parametrize(
    ("lean", "expected"),
    [
        (0.9, "/"),  # steep: a slash
        (0.3, None),  # leaning as a 1 may: a 1
        (-0.9, None),  # leaning back: no slash
    ],
)
def test_a_steep_line_is_a_slash(lean, expected):
    ink = line(lean, 100)
    assert separators.glyph(ink, placed(ink), DIGITS) == expected


def test_a_line_leaning_with_slanted_writing_is_a_1_and_one_leaning_beyond_it_a_slash():
    writing = separators.slant([line(0.6, 100), line(0.55, 100), line(0.65, 100)])
    assert writing == pytest.approx(0.6, abs=0.05)
    one, slash = line(0.9, 100), line(1.5, 100)
    assert separators.glyph(one, placed(one), DIGITS) == "/"  # steep for upright writing
    assert separators.glyph(one, placed(one), DIGITS, writing) is None  # as the writing leans
    assert separators.glyph(slash, placed(slash), DIGITS, writing) == "/"


def test_the_writing_never_counts_as_leaning_left():
    assert separators.slant([line(-0.5, 100), line(-0.4, 100)]) == 0.0
    assert separators.slant([]) == 0.0


def test_a_line_taller_than_the_digits_is_a_slash_and_one_as_tall_is_a_1():
    tall, one = line(0.12, 140), line(0.12, 100)
    assert separators.glyph(tall, placed(tall, top=80), DIGITS) == "/"
    assert separators.glyph(one, placed(one), DIGITS) is None


def test_a_bowed_bracket_is_a_bracket_even_when_it_leans():
    ink = np.zeros((100, 40), np.float32)
    for y in range(100):  # "(" : the middle far left of the ends, the whole leaning right
        x = int(30 - 25 * np.sin(np.pi * y / 99) - 0.1 * (99 - y) + 10)
        ink[y, max(0, x - 2) : x + 3] = 1.0
    assert separators.glyph(ink, placed(ink), DIGITS) == "("


def test_a_thin_part_low_in_the_band_is_a_comma():
    comma = np.ones((40, 10), np.float32)  # top 55 % down the band, tall and thin
    assert separators.glyph(comma, placed(comma, top=155), DIGITS) == ","
    small_digit = np.ones((40, 30), np.float32)  # low but round: left to the model
    assert separators.glyph(small_digit, placed(small_digit, top=155), DIGITS) is None


SIZE = (420, 220)


def drawn(*parts) -> bytes:
    """Strokes in pixels drawn with a round pen, as a PNG."""
    lines = [list(stroke) for part in parts for stroke in part]
    return sketches.encode(ink_lines(SIZE, lines, 10.0, 2), "white-black")


SEVEN = [[(x + 0.0, 40.0), (x + 60.0, 40.0), (x + 25.0, 180.0)] for x in (190, 300)]
SLASH = [[(10.0, 190.0), (140.0, 30.0)]]  # a steep line: a slash


def fixed(probs):
    return lambda fields: np.tile(np.asarray(probs, np.float64), (len(fields), 1))


SURE = [0.0] * 7 + [0.97] + [0.0] * 2 + [0.03]


def test_a_slash_first_in_a_number_refuses_it():
    answer = reading.read_bytes(drawn(SLASH, [SEVEN[0]], [SEVEN[1]]), fixed(SURE), reading.Policy())
    assert answer.reading == "not_a_digit"


def test_a_doubtful_digit_refuses_a_number_but_not_a_single_digit():
    doubtful = [0.0] * 7 + [0.45] + [0.3] + [0.2] + [0.05]  # a 7, likelier not than so
    number = drawn([SEVEN[0]], [SEVEN[1]])
    assert reading.read_bytes(number, fixed(doubtful), reading.Policy()).reading == "not_a_digit"
    assert reading.read_bytes(number, fixed(SURE), reading.Policy()).number == "77"
    single = reading.read_bytes(drawn([SEVEN[0]]), fixed(doubtful), reading.Policy())
    assert (single.reading, single.number) == ("digit", "7")
