"""Real pen writing as training fields: the UNIPEN share's digits as digits, its letters, symbols
and words as "not a digit" (class 10), from the writers of the training and validation splits.

    pen = pen_writing.load(folder, seed, report)   # PenSets: train, validation, record

The held-out writers (`unipen.split_of(...) == "test"`) are never read here: the evaluation
measures on them. Letters and symbols that are written like digits (`LOOKALIKES`: an o is a 0,
an l a 1) are left out of the negatives, and so are marks too small to be read alone (a full
stop, a comma): taught as "not a digit", they would teach refusing real digits. Words give the
pieces the server reads them as (`segmentation.segment`), as well as the whole word.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drawadigit.contract import DIGITS, SIZE
from drawadigit.data import augment, unipen
from drawadigit.reading import segmentation
from drawadigit.training.datasets import Labelled, Progress

LOOKALIKES = frozenset("OoIlSsZzBbgq" + "|/\\()!'`,.;:[]")
DIGIT_RENDERS = 2  # each training digit is drawn this many times, with other pens and sizes
MAX_LETTERS = {"train": 10_000, "validation": 2_000}  # a sample of the 57,642 letters
NARROW = 0.4  # word pieces narrower than this share of their height may be a 1: left out


@dataclass(frozen=True)
class PenSets:
    """Training and validation fields from real pen writing, and what the model card says."""

    train: Labelled
    validation: Labelled
    record: dict


def _fields(samples: list[unipen.Sample], seed: int) -> np.ndarray:
    """Each sample drawn and normalised once, in processes."""
    chunks = [samples[i : i + 500] for i in range(0, len(samples), 500)]
    seeds = np.random.SeedSequence(seed).spawn(max(1, len(chunks)))
    parts = augment.map_in_processes(_draw_chunk, list(zip(chunks, seeds, strict=True)), None)
    return np.concatenate(parts) if parts else np.zeros((0, SIZE, SIZE), np.float32)


def _draw_chunk(job: tuple[list[unipen.Sample], np.random.SeedSequence]) -> np.ndarray:
    samples, seed = job
    rng = np.random.default_rng(seed)
    return np.stack([unipen.field(s, rng) for s in samples]).astype(np.float32)


def _word_chunk(job: tuple[list[unipen.Sample], np.random.SeedSequence]) -> np.ndarray:
    """The pieces the server would read each word as, and the whole word."""
    samples, seed = job
    rng = np.random.default_rng(seed)
    out = []
    for sample in samples:
        out.append(unipen.field(sample, rng))
        coverage = unipen.ink(sample, (320, 160), 0.9, float(rng.uniform(4, 12)), rng)
        for part in segmentation.segment(coverage):
            x0, y0, x1, y1 = part.box
            if x1 - x0 >= NARROW * (y1 - y0):
                out.append(part.field)
    return np.stack(out).astype(np.float32)


def _words(samples: list[unipen.Sample], seed: int) -> np.ndarray:
    chunks = [samples[i : i + 200] for i in range(0, len(samples), 200)]
    seeds = np.random.SeedSequence(seed).spawn(max(1, len(chunks)))
    parts = augment.map_in_processes(_word_chunk, list(zip(chunks, seeds, strict=True)), None)
    return np.concatenate(parts) if parts else np.zeros((0, SIZE, SIZE), np.float32)


def _split(folder, split: str, seed: int, report: Progress) -> tuple[Labelled, dict]:
    """The fields of one split's writers, and their counts."""
    rng = np.random.default_rng(seed)
    digits = [s for s in unipen.of_split(unipen.load(folder, "digits"), split) if s.label.isdigit()]
    renders = DIGIT_RENDERS if split == "train" else 1
    letters = [
        s
        for s in unipen.of_split(unipen.load(folder, "letters"), split)
        if s.label not in LOOKALIKES
    ]
    letters = [letters[i] for i in rng.permutation(len(letters))[: MAX_LETTERS[split]]]
    symbols = [
        s
        for s in unipen.of_split(unipen.load(folder, "symbols"), split)
        if s.label not in LOOKALIKES
    ]
    words = unipen.of_split(unipen.load(folder, "words"), split)
    report({"stage": f"drawing real pen writing ({split} writers)"})
    digit_x = np.concatenate([_fields(digits, seed * 10 + r) for r in range(renders)])
    digit_y = np.tile(np.array([int(s.label) for s in digits], np.int64), renders)
    negatives = [_fields(letters, seed * 10 + 5), _fields(symbols, seed * 10 + 6)]
    negatives.append(_words(words, seed * 10 + 7))
    negative_x = np.concatenate(negatives)
    x = np.concatenate([digit_x, negative_x])
    y = np.concatenate([digit_y, np.full(len(negative_x), DIGITS, np.int64)])
    writers = {s.writer for s in digits + letters + symbols + words}
    counts = {
        "writers": len(writers),
        "digits": len(digits),
        "digit_renders": renders,
        "letters": len(letters),
        "symbols": len(symbols),
        "words": len(words),
        "word_fields": len(negatives[2]),
        "fields": len(y),
    }
    return Labelled(x, y), counts


def load(folder, seed: int, report: Progress) -> PenSets:
    """The training and validation writers' fields (never the held-out writers')."""
    train, train_counts = _split(folder, "train", seed, report)
    validation, validation_counts = _split(folder, "validation", seed + 1, report)
    record = {
        "source": unipen.SOURCE,
        "files": {kind: unipen.KINDS[kind] for kind in ("digits", "letters", "symbols", "words")},
        "writer_split": (
            f"sha256 of the writer id: {unipen.TEST_SHARE:.0%} held out (never trained on), "
            f"{unipen.VALIDATION_SHARE:.0%} validation, the rest training"
        ),
        "left_out_as_lookalikes": "".join(sorted(LOOKALIKES)),
        "train": train_counts,
        "validation": validation_counts,
    }
    return PenSets(train, validation, record)
