"""Negatives that are letters: from the Hershey stroke fonts and from strokes of our own.

Only letters that look like no digit (`LETTERS`): an O, an I or an S would teach the model to
refuse real digits. Training draws from `TRAIN_FONTS`; the evaluation from `HELD_OUT_FONTS`,
which training never sees.
"""

from __future__ import annotations

import functools

import numpy as np

from drawadigit.data.sketches import Strokes, arc, to_unit

# Letters whose handwritten forms no digit shares. Left out: O o Q D (0), I l i j J T (1, 7),
# Z z (2), S s (5), B (8), b G (6), g q y (9, 4).
LETTERS = "ACEFHKLMNPRUVWXYacdefhkmnprtuvwx"
TRAIN_FONTS = ("futural", "futuram", "rowmans", "rowmand", "scripts", "timesr")
HELD_OUT_FONTS = ("scriptc", "timesi")


@functools.cache
def _font(name: str):
    """A loaded Hershey font."""
    from HersheyFonts import HersheyFonts

    font = HersheyFonts()
    font.load_default_font(name)
    return font


def font_letter(rng: np.random.Generator, fonts: tuple[str, ...] = TRAIN_FONTS) -> Strokes:
    """A letter from one of `fonts` (Hershey glyphs have y growing downwards, as here)."""
    font = _font(fonts[rng.integers(len(fonts))])
    letter = LETTERS[rng.integers(len(LETTERS))]
    strokes = [s for s in font.strokes_for_text(letter) if len(s) >= 1]
    return to_unit(strokes)


# Letters in our own strokes: the plain capitals and cursive-free small letters people print.
OWN_LETTERS: dict[str, Strokes] = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "A round": [[(0.05, 1.0), (0.45, 0.05), (0.55, 0.05), (0.95, 1.0)], [(0.25, 0.55), (0.8, 0.6)]],
    "E": [[(0.9, 0.0), (0.1, 0.0), (0.1, 1.0), (0.9, 1.0)], [(0.1, 0.5), (0.7, 0.5)]],
    "E strokes": [
        [(0.1, 0.0), (0.1, 1.0)],
        [(0.1, 0.0), (0.85, 0.0)],
        [(0.1, 0.5), (0.7, 0.5)],
        [(0.1, 1.0), (0.9, 1.0)],
    ],
    "F": [[(0.9, 0.0), (0.15, 0.0), (0.15, 1.0)], [(0.15, 0.5), (0.7, 0.5)]],
    "H": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.9, 1.0)], [(0.1, 0.5), (0.9, 0.5)]],
    "K": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.55), (0.85, 1.0)]],
    "K arms": [[(0.15, 0.0), (0.15, 1.0)], [(0.85, 0.0), (0.15, 0.55)], [(0.35, 0.45), (0.9, 1.0)]],
    "M": [[(0.0, 1.0), (0.1, 0.0), (0.5, 0.7), (0.9, 0.0), (1.0, 1.0)]],
    "M straight": [[(0.05, 1.0), (0.05, 0.0), (0.5, 0.6), (0.95, 0.0), (0.95, 1.0)]],
    "N": [[(0.1, 1.0), (0.1, 0.0), (0.9, 1.0), (0.9, 0.0)]],
    "P": [
        [(0.15, 1.0), (0.15, 0.0), (0.55, 0.0)]
        + arc((0.55, 0.25), (0.3, 0.25), -90, 90)
        + [(0.15, 0.5)]
    ],
    "R": [
        [(0.15, 1.0), (0.15, 0.0), (0.55, 0.0)]
        + arc((0.55, 0.25), (0.3, 0.25), -90, 90)
        + [(0.15, 0.5), (0.4, 0.5), (0.9, 1.0)]
    ],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.3), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.1, 0.0), (0.9, 1.0)], [(0.9, 0.0), (0.1, 1.0)]],
    "Y": [[(0.1, 0.0), (0.5, 0.5), (0.9, 0.0)], [(0.5, 0.5), (0.5, 1.0)]],
    "V": [[(0.05, 0.0), (0.5, 1.0), (0.95, 0.0)]],
    "U": [[(0.1, 0.0)] + arc((0.5, 0.6), (0.4, 0.4), 180, 0) + [(0.9, 0.0)]],
    "C": [arc((0.55, 0.5), (0.45, 0.5), -50, -310)],
    "L": [[(0.15, 0.0), (0.15, 1.0), (0.85, 1.0)]],
    "a": [arc((0.42, 0.62), (0.35, 0.36), -20, -340) + [(0.8, 0.3), (0.82, 1.0)]],
    "a two": [arc((0.45, 0.62), (0.35, 0.36), -40, -350), [(0.8, 0.25), (0.8, 0.9), (0.95, 1.0)]],
    "c": [arc((0.55, 0.6), (0.4, 0.38), -45, -300)],
    "d": [arc((0.4, 0.68), (0.3, 0.3), 0, 360), [(0.72, 0.0), (0.72, 1.0)]],
    "e": [[(0.12, 0.58), (0.88, 0.58)] + arc((0.5, 0.6), (0.38, 0.38), 0, -300)],
    "f": [[(0.85, 0.1), (0.65, 0.0), (0.45, 0.1), (0.45, 1.0)], [(0.2, 0.42), (0.78, 0.42)]],
    "h": [
        [(0.2, 0.0), (0.2, 1.0)],
        [(0.2, 0.62)] + arc((0.5, 0.62), (0.3, 0.22), 180, 360) + [(0.8, 1.0)],
    ],
    "k": [[(0.2, 0.0), (0.2, 1.0)], [(0.8, 0.42), (0.2, 0.75), (0.8, 1.0)]],
    "m": [
        [(0.05, 1.0), (0.05, 0.3)] + arc((0.28, 0.45), (0.22, 0.18), 180, 360) + [(0.5, 1.0)],
        [(0.5, 0.45)] + arc((0.72, 0.45), (0.22, 0.18), 180, 360) + [(0.95, 1.0)],
    ],
    "n": [[(0.15, 1.0), (0.15, 0.25)] + arc((0.5, 0.5), (0.35, 0.28), 180, 360) + [(0.85, 1.0)]],
    "p": [[(0.2, 1.0), (0.2, 0.0)] + arc((0.45, 0.25), (0.3, 0.25), 180, 540)],
    "r": [[(0.2, 1.0), (0.2, 0.15)], [(0.2, 0.5)] + arc((0.55, 0.45), (0.35, 0.3), 180, 300)],
    "t": [[(0.45, 0.0), (0.45, 0.88), (0.6, 1.0), (0.8, 0.9)], [(0.12, 0.3), (0.82, 0.3)]],
    "u": [[(0.15, 0.0)] + arc((0.5, 0.62), (0.35, 0.38), 180, 0), [(0.85, 0.0), (0.88, 1.0)]],
    "w": [arc((0.25, 0.3), (0.25, 0.7), 180, 0, 12) + arc((0.75, 0.3), (0.25, 0.7), 180, 0, 12)],
    "x": [[(0.1, 0.1), (0.9, 0.95)], [(0.85, 0.05), (0.15, 0.95)]],
}


def own_letter(rng: np.random.Generator) -> Strokes:
    """A letter from our own strokes."""
    names = list(OWN_LETTERS)
    return OWN_LETTERS[names[rng.integers(len(names))]]
