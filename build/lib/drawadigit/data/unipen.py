"""Real pen handwriting: the UNIPEN share, read, split by writer and drawn as the page draws.

The share (`UNIPEN_DIR`, see the README) is one gzipped JSON object per line and file:

    {"label": "46", "writer": "apc/Dave_Stauffer", "contributor": "apc",
     "units_per_mm": [10.0, 10.0], "strokes": [[[1570, 15573], [1576, 15566], ...], ...]}

`load(folder, kind)` reads one kind (`KINDS`); a line that breaks the format is a `UnipenError`
naming the file and the line. Writers are split once and for all by a hash of their id
(`split_of`): a fixed quarter is held out for evaluation and never reaches training, a tenth
validates training runs (early stopping, calibration, the refusal threshold), the rest trains.
`drawing` draws samples the way the page would send them (any canvas size, a round pen of 6-24
px, every background and ink); `field` draws one small and normalises it, for training. Several
samples drawn together (a symbol beside a digit, a number composed of digits) keep their real
sizes, from `units_per_mm`.

Pure NumPy and Pillow; nothing here knows about models or Flask.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from drawadigit.data import sketches
from drawadigit.data.pen import ink_lines
from drawadigit.reading import preprocessing

KINDS = {
    "digits": "digits.jsonl.gz",
    "letters": "letters.jsonl.gz",
    "symbols": "symbols.jsonl.gz",
    "words": "words.jsonl.gz",
    "numbers": "numbers.jsonl.gz",
    "separators": "numbers_with_separators.jsonl.gz",
}
SOURCE = (
    "UNIPEN train_r01_v07 (International Unipen Foundation, 1999), CC BY 4.0, "
    "https://doi.org/10.5281/zenodo.1195803"
)
# Writers held out of every training run, and those that validate it, by a hash of their id.
TEST_SHARE = 0.25
VALIDATION_SHARE = 0.10
DIGIT_HEIGHT_MM = 5.4  # a digit's usual height; letters, which carry no scale, are drawn so tall
# How the page draws (static/drawing.js): canvases of 224-800 px, a round pen of 6-24 px, the
# ink cropped with a margin of 4 % of the pad's longer side.
CANVAS_PX = (224, 800)
PEN_PX = (6.0, 24.0)
MAX_PEN_SHARE = 0.14  # nobody writes with a pen thicker than this share of the writing's height
UPLOAD_MARGIN = 0.04
SUPERSAMPLE = 2


class UnipenError(ValueError):
    """A share file that cannot be read, naming the file and the line."""


@dataclass(frozen=True)
class Sample:
    """One written sample: its label, its writer and its strokes in millimetres (y down)."""

    label: str
    writer: str  # "<site>/<writer id>"
    strokes: tuple[np.ndarray, ...]  # each (N, 2) float, x right and y down, in mm
    scaled: bool  # whether `units_per_mm` gave its real size (else drawn DIGIT_HEIGHT_MM tall)

    @property
    def site(self) -> str:
        """The contributing site."""
        return self.writer.split("/", 1)[0]

    @property
    def box(self) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 of its points."""
        points = np.concatenate(self.strokes)
        return (*points.min(axis=0), *points.max(axis=0))

    def moved(self, dx: float, dy: float) -> Sample:
        """The same sample moved by (dx, dy) mm."""
        shift = np.array([dx, dy])
        return Sample(self.label, self.writer, tuple(s + shift for s in self.strokes), self.scaled)


def _fail(path: Path, line: int, what: str) -> UnipenError:
    return UnipenError(f"{path}, line {line}: {what}")


def _strokes(raw, path: Path, line: int) -> list[np.ndarray]:
    """The strokes of one line as float arrays, checked."""
    if not isinstance(raw, list) or not raw:
        raise _fail(path, line, f"expected 'strokes' to be a non-empty list; got {raw!r:.60}")
    strokes = []
    for i, stroke in enumerate(raw):
        try:
            points = np.asarray(stroke, np.float64)
        except (TypeError, ValueError):
            points = None
        if points is None or points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise _fail(path, line, f"stroke {i} is not a list of [x, y] points: {stroke!r:.60}")
        if not np.isfinite(points).all():
            raise _fail(path, line, f"stroke {i} has a point that is not a finite number")
        strokes.append(points)
    return strokes


def _scale(raw, path: Path, line: int) -> tuple[float, float] | None:
    """`units_per_mm` of one line: two positive numbers, or None."""
    if raw is None or raw == [None, None]:  # some sites give no resolution
        return None
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(isinstance(v, int | float) and v > 0 for v in raw)
    ):
        raise _fail(path, line, f"expected 'units_per_mm' to be [x, y] > 0 or null; got {raw!r}")
    return float(raw[0]), float(raw[1])


def parse(text: str, path: Path, line: int) -> Sample:
    """One line of a share file -> a `Sample` in millimetres."""
    try:
        row = json.loads(text)
    except json.JSONDecodeError as error:
        raise _fail(path, line, f"not JSON ({error.msg})") from None
    if not isinstance(row, dict):
        raise _fail(path, line, f"expected a JSON object; got {type(row).__name__}")
    for key in ("label", "writer"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise _fail(path, line, f"expected '{key}' to be a non-empty string")
    strokes = _strokes(row.get("strokes"), path, line)
    scale = _scale(row.get("units_per_mm"), path, line)
    if scale is None:  # no real size: as tall as a digit
        points = np.concatenate(strokes)
        height = max(float(np.ptp(points[:, 1])), float(np.ptp(points[:, 0])) / 2, 1e-6)
        scale = (height / DIGIT_HEIGHT_MM,) * 2
    # Some tablets have another resolution in y than in x: millimetres make them agree.
    mm = tuple(s / np.array(scale) for s in strokes)
    return Sample(
        row["label"], row["writer"], mm, _scale(row.get("units_per_mm"), path, line) is not None
    )


def read(path: str | os.PathLike) -> Iterator[Sample]:
    """Every sample of one share file (gzipped JSON lines)."""
    path = Path(path)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, text in enumerate(lines, 1):
                if text.strip():
                    yield parse(text, path, number)
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise UnipenError(f"{path}: not a readable gzipped JSON-lines file ({error})") from None


def load(folder: str | os.PathLike, kind: str) -> list[Sample]:
    """One kind of sample (`KINDS`) from the share's folder."""
    path = Path(folder) / KINDS[kind]
    if not path.is_file():
        raise UnipenError(
            f"No {KINDS[kind]} in {folder}: set UNIPEN_DIR to the folder of the UNIPEN share"
        )
    return list(read(path))


def split_of(writer: str) -> str:
    """ "test", "validation" or "train": the writer's fixed share, from a hash of the id."""
    digest = hashlib.sha256(writer.encode("utf-8")).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    if share < TEST_SHARE:
        return "test"
    return "validation" if share < TEST_SHARE + VALIDATION_SHARE else "train"


def of_split(samples: Sequence[Sample], split: str) -> list[Sample]:
    """The samples whose writers are in `split`."""
    return [s for s in samples if split_of(s.writer) == split]


def beside(parts: Sequence[Sample], gaps: Sequence[float]) -> Sample:
    """Samples set left to right at their real sizes, `gaps[i]` (in units of the first part's
    height, negative to overlap) between part i and i + 1, their vertical middles aligned."""
    height = max(parts[0].box[3] - parts[0].box[1], 1e-6)
    middle = (parts[0].box[1] + parts[0].box[3]) / 2
    placed, right = [parts[0]], parts[0].box[2]
    for part, gap in zip(parts[1:], gaps, strict=True):
        x0, y0, _, y1 = part.box
        moved = part.moved(right + gap * height - x0, middle - (y0 + y1) / 2)
        placed.append(moved)
        right = max(right, moved.box[2])
    label = "".join(p.label for p in parts)
    return Sample(label, parts[0].writer, sum((p.strokes for p in placed), ()), parts[0].scaled)


def _layout(sample: Sample, canvas: tuple[int, int], fill: float, rng) -> list[np.ndarray]:
    """The strokes in canvas pixels: the ink's box filling `fill` of the canvas, placed anywhere."""
    x0, y0, x1, y1 = sample.box
    width, height = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    scale = fill * min(canvas[0] / width, canvas[1] / height)
    room = (canvas[0] - width * scale, canvas[1] - height * scale)
    left, top = rng.uniform(0, room[0]), rng.uniform(0, room[1])
    return [(s - (x0, y0)) * scale + (left, top) for s in sample.strokes]


def ink(sample: Sample, canvas: tuple[int, int], fill: float, pen: float, rng) -> np.ndarray:
    """Coverage (H, W) of a sample written on a canvas with a round pen of `pen` px."""
    return _written(sample, canvas, fill, pen, rng)[0]


def _written(
    sample: Sample, canvas: tuple[int, int], fill: float, pen: float, rng
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Coverage (H, W) of a sample written on a canvas, and its strokes in canvas pixels."""
    lines = _layout(sample, canvas, fill, rng)
    points = np.concatenate(lines)
    tall = float(np.ptp(points[:, 1])) or 1.0
    pen = min(pen, max(2.0, MAX_PEN_SHARE * tall))
    coverage = ink_lines(canvas, [[tuple(p) for p in line] for line in lines], pen, SUPERSAMPLE)
    return coverage, lines


def _crop_box(coverage: np.ndarray) -> tuple[int, int, int, int]:
    """The ink's box with the page's margin (top, left, bottom, right), as the page uploads it."""
    rows = np.flatnonzero(coverage.max(axis=1) > 0)
    cols = np.flatnonzero(coverage.max(axis=0) > 0)
    margin = round(UPLOAD_MARGIN * max(coverage.shape))
    top, left = max(0, rows[0] - margin), max(0, cols[0] - margin)
    return top, left, rows[-1] + 1 + margin, cols[-1] + 1 + margin


def _cropped(coverage: np.ndarray) -> np.ndarray:
    """The ink's box with the page's margin, as the page uploads it."""
    top, left, bottom, right = _crop_box(coverage)
    return coverage[top:bottom, left:right]


@dataclass(frozen=True)
class Drawing:
    """One sample drawn as the page sends it, and how."""

    png: bytes
    label: str
    writer: str
    style: str
    pen: float
    canvas: tuple[int, int]
    strokes: list[np.ndarray]  # the pen's strokes in the PNG's pixels, as the page sends them


def drawing(sample: Sample, rng: np.random.Generator, label: str | None = None) -> Drawing:
    """A sample drawn as the page would send it: a random canvas of 224-800 px a side, a pen of
    6-24 px, one of the page's backgrounds and inks, and half the time cropped to the ink."""
    canvas = (int(rng.integers(*CANVAS_PX)), int(rng.integers(*CANVAS_PX)))
    pen = float(rng.uniform(*PEN_PX))
    coverage, lines = _written(sample, canvas, float(rng.uniform(0.4, 0.9)), pen, rng)
    if rng.random() < 0.5:
        top, left, bottom, right = _crop_box(coverage)
        coverage = coverage[top:bottom, left:right]
        lines = [line - (left, top) for line in lines]
    style = str(rng.choice(list(sketches.STYLES)))
    png = sketches.encode(coverage, style)
    label = sample.label if label is None else label
    return Drawing(png, label, sample.writer, style, pen, canvas, lines)


def at_real_size(sample: Sample, rng: np.random.Generator, px_per_mm: float, pad: int) -> bytes:
    """A sample written at its real size on a square pad of `pad` px, `px_per_mm` px to the
    millimetre, uploaded as the page does (cropped to the ink with its margin), black on none."""
    x0, y0, x1, y1 = sample.box
    span = max(x1 - x0, y1 - y0) * px_per_mm
    fill = min(0.95, span / pad)
    pen = float(rng.uniform(*PEN_PX)) * pad / 500  # the page's pens on a pad of about 500 px
    coverage = _cropped(ink(sample, (pad, pad), fill, pen, rng))
    return sketches.encode(coverage, "transparent-black")


def field(sample: Sample, rng: np.random.Generator) -> np.ndarray:
    """A sample written small with a random pen, normalised the MNIST way: a training field."""
    canvas = (int(rng.integers(90, 160)),) * 2
    pen = float(rng.uniform(0.04, 0.13)) * canvas[0]
    return preprocessing.normalise_ink(ink(sample, canvas, 0.85, pen, rng))


def as_image(png: bytes) -> Image.Image:
    """A drawing's PNG as an image (for figures)."""
    return Image.open(io.BytesIO(png))
