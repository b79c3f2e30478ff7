"""The evaluation on real pen writing: the UNIPEN share's held-out writers, drawn as the page
draws and read as the server reads, every figure weighting writers evenly.

    scores = pen_scores(read, folder, n)     # n: at most this many drawings of each kind

* digits: read right (one digit, the right one) and wrongly refused;
* letters refused (all but the lookalikes training leaves out, `pen_writing.LOOKALIKES`; the
  upper and lower case apart), and all letters;
* symbols refused: each drawn at its real size beside a digit of a held-out writer
  (`units_per_mm`), the symbols of issue 23's list and all symbols; and each symbol alone;
* words refused;

each from the PNG alone, as other clients send drawings, and with the page's strokes
(`with_strokes`, the same drawings): the strokes group the ink into digits, so a letter of two
strokes must stay refused when they are sent too.

Only writers that no training run sees are read (`unipen.split_of(...) == "test"`), so the
figures estimate how the app reads writers it has never seen. Reading is developed on the
writers of split "validation" (`writers="validation"`, `--writers validation`), whose figures
are never quoted. `pen_figure` draws the worst cases: digits misread or refused with most
conviction, and negatives read as digits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from drawadigit.contract import NOT_A_DIGIT_NAME
from drawadigit.data import unipen
from drawadigit.evaluation.figures import two_rows
from drawadigit.reading import calibration, preprocessing
from drawadigit.training import pen_writing

Reader = Callable[..., object]  # (png, strokes=None) -> the reading
HOW = ("png", "strokes")  # each drawing read from the PNG alone, and with the page's strokes
# The symbols the issue measured: none of them is ever part of a number.
SYMBOLS = "#%&*+<=>@~^{}$?"
GAP = (0.15, 0.6)  # a symbol's gap to the digit beside it, in digit heights
SEED = 23
# The page's pad as uploaded (static/drawing.js: 200 px on its longer side), a digit written on it
# half as tall as the pad: the scale at which a symbol's real size is judged "too small".
PAD_PX = 200
DIGIT_SHARE_OF_PAD = 0.5
HELD_OUT = {
    "test": f"writers of split 'test' ({unipen.TEST_SHARE:.0%} of writers, by hash)",
    "validation": f"writers of split 'validation' ({unipen.VALIDATION_SHARE:.0%}, to develop on)",
}


def per_writer(hits: list[tuple[str, bool]]) -> float | None:
    """The mean over writers of each writer's share of hits (writers weigh evenly)."""
    by_writer: dict[str, list[bool]] = defaultdict(list)
    for writer, hit in hits:
        by_writer[writer].append(hit)
    if not by_writer:
        return None
    return round(float(np.mean([np.mean(v) for v in by_writer.values()])), 4)


def sample_of(samples: list, n: int, rng: np.random.Generator) -> list:
    """At most n of the samples, spread over the writers (each writer's in turn)."""
    by_writer: dict[str, list] = defaultdict(list)
    for i in rng.permutation(len(samples)):
        by_writer[samples[i].writer].append(samples[i])
    chosen, queues = [], list(by_writer.values())
    while len(chosen) < n and queues:
        queues = [q for q in queues if q]
        for queue in queues:
            if len(chosen) < n and queue:
                chosen.append(queue.pop())
    return chosen


class Outcomes:
    """Readings of one kind of drawing: per writer, what was hit, and the worst cases."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, bool]] = []
        self.worst: list[tuple[float, str, object, bytes]] = []  # (badness, caption, reading, png)

    def add(self, writer: str, hit: bool, badness: float, caption: str, read, png: bytes) -> None:
        """One drawing's outcome; a miss is kept among the worst cases by its badness."""
        self.hits.append((writer, hit))
        if not hit:
            self.worst.append((badness, caption, read, png))

    def rate(self) -> float | None:
        """The share of hits, writers weighing evenly."""
        return per_writer(self.hits)

    def summary(self) -> dict:
        """The figure, how many drawings and writers it stands on."""
        return {
            "rate": self.rate(),
            "n": len(self.hits),
            "writers": len({w for w, _ in self.hits}),
            "plain_rate": round(float(np.mean([h for _, h in self.hits])), 4)
            if self.hits
            else None,
        }


def _refused(reading) -> bool:
    return reading.reading == NOT_A_DIGIT_NAME


def _digits(read: Reader, digits: list, rng) -> dict[str, tuple[Outcomes, Outcomes]]:
    """Held-out digits: read right, and wrongly refused; from the PNG alone ("png") and with
    the page's strokes ("strokes"), the same drawings."""
    outcomes = {how: (Outcomes(), Outcomes()) for how in HOW}
    for sample in digits:
        d = unipen.drawing(sample, rng)
        for how, (right, kept) in outcomes.items():
            r = read(d.png, d.strokes if how == "strokes" else None)
            ok = r.reading == "digit" and r.number == sample.label
            told = r.number or r.reading
            right.add(sample.writer, ok, r.whole.confidence, f"{sample.label} → {told}", r, d.png)
            kept.add(
                sample.writer, not _refused(r), r.not_a_digit, f"{sample.label} refused", r, d.png
            )
    return outcomes


def _negatives(read: Reader, samples: list, rng, beside: list | None = None) -> dict:
    """Share refused, from the PNG alone and with the strokes (`HOW`); with `beside`, each
    sample is drawn at its real size next to a digit."""
    out = {how: Outcomes() for how in HOW}
    for sample in samples:
        shown = sample
        if beside:
            digit = beside[int(rng.integers(len(beside)))]
            gap = float(rng.uniform(*GAP))
            pair = [digit, sample] if rng.random() < 0.5 else [sample, digit]
            shown = unipen.beside(pair, [gap])
            shown = unipen.Sample(shown.label, sample.writer, shown.strokes, shown.scaled)
        d = unipen.drawing(shown, rng)
        for how, outcomes in out.items():
            r = read(d.png, d.strokes if how == "strokes" else None)
            told = r.number or r.reading
            caption = f"{shown.label} → {told}"
            outcomes.add(sample.writer, _refused(r), -r.not_a_digit, caption, r, d.png)
    return out


def _probabilities(r) -> np.ndarray:
    """The whole drawing's calibrated probabilities over the ten digits and "not a digit"."""
    digits = np.asarray(r.whole.probabilities) * (1 - r.whole.not_a_digit)
    return np.append(digits, r.whole.not_a_digit)


def calibration_error(digits: list, negatives: list, read: Reader, rng) -> dict:
    """ECE of the calibrated probabilities on held-out writers' digits and letters, each drawn
    alone (the whole drawing read as one field)."""
    probs, labels = [], []
    for sample, label in [(s, int(s.label)) for s in digits] + [(s, 10) for s in negatives]:
        probs.append(_probabilities(read(unipen.drawing(sample, rng).png)))
        labels.append(label)
    if not labels:
        return {"ece": None, "n": 0}
    error = calibration.expected_calibration_error(np.array(probs), np.array(labels))
    return {"ece": round(float(error), 4), "n": len(labels)}


def real_size_scores(read: Reader, symbols: list, rng) -> dict:
    """Each symbol written alone at its real size on the page's pad (a digit half the pad tall):
    the shares answered "too small", refused as no digit, and read as a digit, per symbol."""
    px_per_mm = DIGIT_SHARE_OF_PAD * PAD_PX / unipen.DIGIT_HEIGHT_MM
    per_symbol: dict[str, list[str]] = defaultdict(list)
    for sample in symbols:
        r = read(unipen.at_real_size(sample, rng, px_per_mm, PAD_PX))
        per_symbol[sample.label].append(r.reason or "read")
    result = {}
    for label, outcomes in sorted(per_symbol.items()):
        result[label] = {
            kind: round(outcomes.count(kind) / len(outcomes), 3)
            for kind in ("too_small", NOT_A_DIGIT_NAME, "read")
        }
    return result


def _negative_parts(read: Reader, held_out: dict[str, list], n: int, rng) -> dict:
    """Letters (all, the plain ones, upper and lower case), symbols (at their real size beside
    a held-out writer's digit, and alone) and words, each read and scored."""
    letters, symbols = held_out["letters"], held_out["symbols"]
    plain = [s for s in letters if s.label not in pen_writing.LOOKALIKES]
    listed = [s for s in symbols if s.label in SYMBOLS]
    beside = held_out["scaled_digits"]

    def refused(samples: list, beside: list | None = None) -> dict[str, Outcomes]:
        return _negatives(read, sample_of(samples, n, rng), rng, beside)

    return {
        "letters": refused(plain),
        "upper_case": refused([s for s in plain if s.label.isupper()]),
        "lower_case": refused([s for s in plain if s.label.islower()]),
        "all_letters": refused(letters),
        "symbols": refused(listed, beside),
        "all_symbols": refused(symbols, beside),
        "symbols_alone": refused(listed),
        "words": refused(held_out["words"]),
    }


def pen_scores(read: Reader, folder, n: int, seed: int = SEED, writers: str = "test") -> dict:
    """Every figure of the section (see the module's docstring), and the worst cases; on the
    writers of split `writers` ("validation": the writers to develop on, never quoted)."""
    rng = np.random.default_rng(seed)

    def held_out(kind: str, keep=lambda s: True) -> list:
        return [s for s in unipen.of_split(unipen.load(folder, kind), writers) if keep(s)]

    digits = held_out("digits", lambda s: s.label.isdigit())
    scaled_digits = [s for s in digits if s.scaled]
    letters = held_out("letters")
    symbols = held_out("symbols", lambda s: s.scaled)
    words = held_out("words")
    read_digits = _digits(read, sample_of(digits, n, rng), rng)
    plain = [s for s in letters if s.label not in pen_writing.LOOKALIKES]
    kinds = {"letters": letters, "symbols": symbols, "words": words}
    parts = _negative_parts(read, {**kinds, "scaled_digits": scaled_digits}, n, rng)
    figures = {
        how: _figures(read_digits[how], {k: v[how] for k, v in parts.items()}) for how in HOW
    }
    result = {"source": unipen.SOURCE, "held_out": HELD_OUT[writers], **figures["png"]}
    result["with_strokes"] = {key: part["rate"] for key, part in figures["strokes"].items()}
    right, kept = read_digits["png"]
    worst_digits = sorted(right.worst + kept.worst, key=lambda w: -w[0])
    worst_negatives = sorted(
        [w for name in ("letters", "symbols", "words") for w in parts[name]["png"].worst],
        key=lambda w: w[0],
    )
    result["calibration"] = calibration_error(
        sample_of(digits, n // 2, rng), sample_of(plain, n // 2, rng), read, rng
    )
    result["symbols_at_real_size"] = real_size_scores(read, sample_of(symbols, n, rng), rng)
    result["worst"] = {"digits": worst_digits, "negatives": worst_negatives}
    return result


def _figures(digits: tuple[Outcomes, Outcomes], parts: dict[str, Outcomes]) -> dict:
    """The figures of one way of reading (the PNG alone, or with the strokes)."""
    right, kept = digits
    return {
        "digits_read_right": right.summary(),
        "digits_wrongly_refused": {**kept.summary(), "rate": _complement(kept.rate())},
        **{f"{name}_refused": part.summary() for name, part in parts.items()},
    }


def _complement(rate: float | None) -> float | None:
    return None if rate is None else round(1 - rate, 4)


LINES = {
    "digits_read_right": "digits read right",
    "digits_wrongly_refused": "digits wrongly refused",
    "letters_refused": "letters refused (lookalikes aside)",
    "upper_case_refused": "  upper case",
    "lower_case_refused": "  lower case",
    "all_letters_refused": "all letters refused",
    "symbols_refused": f"symbols {SYMBOLS} beside a digit, refused",
    "all_symbols_refused": "all symbols beside a digit, refused",
    "symbols_alone_refused": "symbols alone, refused",
    "words_refused": "words refused",
}


def report_pen(report, scores: dict | None, folder) -> None:
    """The section's printout, or that it was skipped."""
    if scores is None:
        report("\nReal pen writing: skipped (set UNIPEN_DIR or --unipen-dir to the UNIPEN share)")
        return
    report(f"\nReal pen writing of {folder}, {scores['held_out']} (writers weigh evenly):")
    report(f"  {'':<44} PNG alone / with the strokes")
    for key, words in LINES.items():
        part, strokes = scores[key], scores["with_strokes"][key]
        report(
            f"  {words:<44} {_rate(part['rate'])} / {_rate(strokes)}  "
            f"({part['n']} drawings, {part['writers']} writers)"
        )
    ece = scores["calibration"]
    report(
        f"  {'calibration error (ECE), digits and letters':<44} {ece['ece']}  ({ece['n']} drawings)"
    )
    report(
        "  symbols alone at their real size (a digit half the pad tall): too small / refused / read"
    )
    for label, shares in scores["symbols_at_real_size"].items():
        small, refused, read = (shares[k] for k in ("too_small", NOT_A_DIGIT_NAME, "read"))
        report(f"    {label!r:<6} {small:.2f} / {refused:.2f} / {read:.2f}")


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.4f}"


def pen_figure(worst: dict, count: int = 16) -> Figure:
    """The worst cases as the page drew them: digits misread or refused, negatives accepted."""

    def pictures(items: list) -> list:
        return [
            (preprocessing.ink(preprocessing.decode(png)), caption)
            for _, caption, _, png in items[:count]
        ]

    rows = [("digits", pictures(worst["digits"])), ("negatives", pictures(worst["negatives"]))]
    title = (
        "Real pen writing, held-out writers: digits misread or refused (top), "
        "letters, symbols and words read as digits (bottom)"
    )
    return two_rows(rows, count, title, 1.1)
