"""Training augmentation aimed at drawings: what still varies after normalisation.

Normalisation (`preprocessing`) takes away place, size and most of the pen width, so what is
left to learn is the shape itself as different people draw it. Each augmented digit is:

1. sometimes re-written in a style MNIST barely has (`VARIANTS`): a zero with a slash or a dot
   through it, a one with a flag and a foot, a seven with a crossbar;
2. distorted: a small rotation, shear and change of aspect ratio, plus an elastic warp;
3. re-inked: often with the even, hard-edged stroke of a round pen instead of a scanned
   ballpoint's soft one, a little thinner or thicker; now and then with a gap in a stroke;
4. passed through the serving pipeline (`preprocessing.normalise_ink`), so the network learns
   the very images it will be served.

Pure NumPy/SciPy/Pillow (no TensorFlow): `augment_many` spreads the work over processes.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

import numpy as np
from PIL import Image
from scipy import ndimage

from drawadigit import contract
from drawadigit.data.pen import ink_lines
from drawadigit.reading import preprocessing

SIZE = contract.SIZE
FINE = preprocessing.FINE
MARGIN = 8  # room around a 28x28 digit for a flag, a foot or a slash to reach outside it

# Distortion ranges, chosen to cover how people's digits differ once normalised.
ROTATION_DEGREES = 12.0
SHEAR = 0.3  # slant: x shifts by up to this share of the height
ASPECT = 0.15  # width and height scale independently by up to this share
ELASTIC_ALPHA = 1.6  # pixels of displacement, before smoothing ...
ELASTIC_SIGMA = 3.0  # ... over this many pixels
PEN_WIDTHS = (1.6, 3.4)  # round-pen stroke widths tried, in output pixels
ROUND_PEN_SHARE = 0.6  # share of digits re-inked with a round pen
GAP_SHARE = 0.15  # share of digits given a break in a stroke
VARIANT_SHARE = 0.35  # share of zeros, ones and sevens re-written in another style
DISTORT_SHARE = 0.85  # the rest keep their shape, to be learnt as drawn

Job = TypeVar("Job")
Part = TypeVar("Part")


def _ink_box(field: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the ink at or above half strength, inclusive."""
    rows = np.flatnonzero(field.max(axis=1) >= 0.5)
    cols = np.flatnonzero(field.max(axis=0) >= 0.5)
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def add_strokes(
    field: np.ndarray, lines: list[list[tuple[float, float]]], width: float
) -> np.ndarray:
    """Draw pen lines (x, y in the field's pixels) onto a field with a round pen."""
    height, field_width = field.shape
    centred = [[(x + 0.5, y + 0.5) for x, y in line] for line in lines]  # pixel centres
    return np.maximum(field, ink_lines((field_width, height), centred, width, FINE))


def slashed_zero(field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A zero with a slash (mostly '/') or a dot through it."""
    box = _ink_box(field)
    if box is None:
        return field
    top, bottom, left, right = box
    height, width = bottom - top, right - left
    pen = rng.uniform(1.6, 3.0)
    if rng.random() < 0.25:  # a dot in the middle
        cy = (top + bottom) / 2 + rng.normal(0, height * 0.05)
        cx = (left + right) / 2 + rng.normal(0, width * 0.05)
        return add_strokes(field, [[(cx, cy)]], pen * rng.uniform(1.0, 1.6))
    reach = rng.uniform(-0.15, 0.25, size=2) * height  # past the ring (or short of it)
    inset = rng.uniform(-0.05, 0.2, size=2) * width
    start = (left + inset[0], bottom + reach[0])
    end = (right - inset[1], top - reach[1])
    if rng.random() < 0.25:  # '\' instead of '/'
        start, end = (right - inset[0], bottom + reach[0]), (left + inset[1], top - reach[1])
    return add_strokes(field, [[start, end]], pen)


def flagged_one(field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A one with a flag at the top, often with a foot at the bottom too."""
    box = _ink_box(field)
    if box is None:
        return field
    top, bottom, _, _ = box
    height = bottom - top
    tip_x = float(np.flatnonzero(field[top] >= 0.5).mean())
    foot_x = float(np.flatnonzero(field[bottom] >= 0.5).mean())
    pen = rng.uniform(1.6, 3.0)
    length = rng.uniform(0.2, 0.4) * height
    # Directions as angles from straight down, positive towards the right. The flag leaves the
    # top of the stem down and to the left, at an angle to the stem (not to the page), and
    # always falls a little: a flat flag would make it a seven.
    stem = math.atan2(foot_x - tip_x, height)
    flag = max(stem - math.radians(rng.uniform(30, 60)), math.radians(-78))
    end = (tip_x + length * math.sin(flag), top + length * math.cos(flag))
    lines = [[(tip_x, top), end]]
    if rng.random() < 0.45:
        half = rng.uniform(0.18, 0.4) * height
        shift = rng.normal(0, 0.05) * height
        lines.append([(foot_x - half + shift, bottom), (foot_x + half + shift, bottom)])
    return add_strokes(field, lines, pen)


def crossed_seven(field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A seven with a bar across its stem."""
    box = _ink_box(field)
    if box is None:
        return field
    top, bottom, left, right = box
    row = round(top + rng.uniform(0.4, 0.65) * (bottom - top))
    stem = np.flatnonzero(field[row] >= 0.5)
    if stem.size == 0:
        return field
    centre = float(stem.mean())
    span = max(right - left, (bottom - top) * 0.6)
    ends = rng.uniform(0.15, 0.35, size=2) * span
    y0, y1 = row + rng.normal(0, 0.6, size=2)
    return add_strokes(
        field, [[(centre - ends[0], y0), (centre + ends[1], y1)]], rng.uniform(1.6, 3.0)
    )


# Styles MNIST barely has, by the digit they are written for.
VARIANTS: dict[int, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    0: slashed_zero,
    1: flagged_one,
    7: crossed_seven,
}


def distort(field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rotate, shear, stretch and elastically warp a field about its centre."""
    angle = math.radians(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    shear = rng.uniform(-SHEAR, SHEAR)
    sy, sx = 1.0 + rng.uniform(-ASPECT, ASPECT, size=2)
    cos, sin = math.cos(angle), math.sin(angle)
    # Maps output (row, col) offsets to input offsets: inverse of rotate . shear . scale.
    forward = (
        np.array([[cos, -sin], [sin, cos]]) @ np.array([[1, 0], [shear, 1]]) @ np.diag([sy, sx])
    )
    inverse = np.linalg.inv(forward)
    height, width = field.shape
    centre = np.array([(height - 1) / 2, (width - 1) / 2])
    rows, cols = np.indices(field.shape, dtype=np.float64)
    offsets = np.stack([rows - centre[0], cols - centre[1]])
    source = np.tensordot(inverse, offsets, axes=1) + centre[:, None, None]
    for axis in range(2):  # elastic: a smooth random displacement field
        noise = rng.uniform(-1, 1, size=field.shape)
        smooth = ndimage.gaussian_filter(noise, ELASTIC_SIGMA, mode="constant")
        smooth *= ELASTIC_ALPHA / max(float(np.abs(smooth).max()), 1e-6)
        source[axis] += smooth
    warped = ndimage.map_coordinates(field, source, order=1, mode="constant", cval=0.0)
    return np.clip(warped, 0.0, 1.0).astype(np.float32)


def round_pen(field: np.ndarray, width: float) -> np.ndarray:
    """Re-ink a digit with the even, hard-edged stroke of a round pen `width` pixels wide."""
    height, field_width = field.shape
    fine = np.asarray(
        Image.fromarray(field.astype(np.float32)).resize(
            (field_width * FINE, height * FINE), Image.Resampling.BILINEAR
        )
    )
    mask = fine >= 0.5
    if not mask.any():
        return field
    # The centre line of every stroke, then a disc of the pen's radius around it.
    depth = ndimage.distance_transform_edt(mask)
    ridge = mask & (depth >= ndimage.maximum_filter(depth, size=3))
    distance = ndimage.distance_transform_edt(~ridge)
    radius = width * FINE / 2
    pen = np.clip(radius + 0.5 - distance, 0.0, 1.0)
    return np.asarray(
        Image.fromarray(pen.astype(np.float32)).resize((field_width, height), Image.Resampling.BOX),
        np.float32,
    )


def break_stroke(field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lift the pen for a moment: wipe a small disc centred on a stroke."""
    ys, xs = np.nonzero(field >= 0.5)
    if ys.size < 20:
        return field
    i = rng.integers(ys.size)
    radius = rng.uniform(0.8, 1.6)
    rows, cols = np.indices(field.shape)
    gap = np.hypot(rows - ys[i], cols - xs[i]) <= radius
    return np.where(gap, 0.0, field).astype(np.float32)


def augment(field: np.ndarray, label: int, rng: np.random.Generator) -> np.ndarray:
    """One augmented, normalised version of an MNIST field (28x28, [0, 1], ink high)."""
    work = np.pad(np.asarray(field, np.float32), MARGIN)
    variant = VARIANTS.get(int(label))
    if variant is not None and rng.random() < VARIANT_SHARE:
        work = variant(work, rng)
    if rng.random() < DISTORT_SHARE:
        work = distort(work, rng)
    if rng.random() < ROUND_PEN_SHARE:
        work = round_pen(work, rng.uniform(*PEN_WIDTHS))
    if rng.random() < GAP_SHARE:
        work = break_stroke(work, rng)
    try:
        return preprocessing.normalise_ink(work)
    except preprocessing.NothingDrawn:  # a warp that lost the digit: keep the original
        return preprocessing.normalise_ink(np.asarray(field, np.float32))


def map_in_processes(
    function: Callable[[Job], Part], jobs: list[Job], workers: int | None
) -> list[Part]:
    """`function` of every job, in `workers` processes (all cores when None) unless there is one
    job or `workers` is 1; returns a list of the results, in the order of the jobs."""
    if workers == 1 or len(jobs) <= 1:
        return [function(job) for job in jobs]
    # Forked workers use only NumPy, SciPy and Pillow, so a parent that has imported
    # TensorFlow is safe to fork; spawning would re-run the parent's main script.
    method = "fork" if sys.platform == "linux" else "spawn"
    with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
        return list(pool.map(function, jobs))


def _augment_chunk(args: tuple[np.ndarray, np.ndarray, np.random.SeedSequence]) -> np.ndarray:
    fields, labels, seed = args
    rng = np.random.default_rng(seed)
    return np.stack([augment(f, y, rng) for f, y in zip(fields, labels, strict=True)])


def augment_many(
    fields: np.ndarray,
    labels: np.ndarray,
    seed: int,
    *,
    workers: int | None = None,
    chunk: int = 2000,
) -> np.ndarray:
    """Augment every field once; the same seed gives the same digits whatever `workers` is."""
    seeds = np.random.SeedSequence(seed).spawn(math.ceil(len(fields) / chunk))
    jobs = [
        (fields[i : i + chunk], labels[i : i + chunk], s)
        for i, s in zip(range(0, len(fields), chunk), seeds, strict=True)
    ]
    parts = map_in_processes(_augment_chunk, jobs, workers)
    return np.concatenate(parts) if parts else np.zeros((0, SIZE, SIZE), np.float32)
