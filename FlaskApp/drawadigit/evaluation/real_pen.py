"""The evaluation on real pen writing: the UNIPEN share's held-out writers, drawn as the page
draws and read as the server reads, every figure weighting writers evenly.

    scores = pen_scores(read, folder, n)     # n: at most this many drawings of each kind

* digits: read right (one digit, the right one) and wrongly refused;
* letters refused (all but the lookalikes training leaves out, `pen_writing.LOOKALIKES`; the
  upper and lower case apart), and all letters;
* symbols refused: each drawn at its real size beside a digit of a held-out writer
  (`units_per_mm`), the symbols of issue 23's list and all symbols; and each symbol alone;
* words refused.

Only writers that no training run sees are read (`unipen.split_of(...) == "test"`), so the
figures estimate how the app reads writers it has never seen. `pen_figure` draws the worst
cases: digits misread or refused with most conviction, and negatives read as digits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from drawadigit.contract import NOT_A_DIGIT_NAME
from drawadigit.data import pen_writing, unipen
from drawadigit.evaluation.figures import drawings_grid, two_rows
from drawadigit.reading import calibration, preprocessing

Reader = Callable[[bytes], object]
# The symbols the issue measured: none of them is ever part of a number.
SYMBOLS = "#%&*+<=>@~^{}$?"
GAP = (0.15, 0.6)  # a symbol's gap to the digit beside it, in digit heights
SEED = 23
# The page's pad as uploaded (static/drawing.js: 200 px on its longer side), a digit written on it
# half as tall as the pad: the scale at which a symbol's real size is judged "too small".
PAD_PX = 200
DIGIT_SHARE_OF_PAD = 0.5


def per_writer(hits: list[tuple[str, bool]]) -> float | None:
    """The mean over writers of each writer's share of hits (writers weigh evenly)."""
    by_writer: dict[str, list[bool]] = defaultdict(list)
    for writer, hit in hits:
        by_writer[writer].append(hit)
    if not by_writer:
        return None
    return round(float(np.mean([np.mean(v) for v in by_writer.values()])), 4)


def _sample(samples: list, n: int, rng: np.random.Generator) -> list:
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


def _digits(read: Reader, digits: list, rng) -> tuple[Outcomes, Outcomes]:
    """Held-out digits: read right, and wrongly refused."""
    right, kept = Outcomes(), Outcomes()
    for sample in digits:
        d = unipen.drawing(sample, rng)
        r = read(d.png)
        ok = r.reading == "digit" and r.number == sample.label
        told = r.number or r.reading
        right.add(sample.writer, ok, r.whole.confidence, f"{sample.label} → {told}", r, d.png)
        kept.add(sample.writer, not _refused(r), r.not_a_digit, f"{sample.label} refused", r, d.png)
    return right, kept


def _negatives(read: Reader, samples: list, rng, beside: list | None = None) -> Outcomes:
    """Share refused; with `beside`, each sample is drawn at its real size next to a digit."""
    out = Outcomes()
    for sample in samples:
        shown = sample
        if beside:
            digit = beside[int(rng.integers(len(beside)))]
            gap = float(rng.uniform(*GAP))
            pair = [digit, sample] if rng.random() < 0.5 else [sample, digit]
            shown = unipen.beside(pair, [gap])
            shown = unipen.Sample(shown.label, sample.writer, shown.strokes, shown.scaled)
        d = unipen.drawing(shown, rng)
        r = read(d.png)
        told = r.number or r.reading
        out.add(sample.writer, _refused(r), -r.not_a_digit, f"{shown.label} → {told}", r, d.png)
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


def pen_scores(read: Reader, folder, n: int, seed: int = SEED) -> dict:
    """Every figure of the section (see the module's docstring), and the worst cases."""
    rng = np.random.default_rng(seed)

    def held_out(kind: str, keep=lambda s: True) -> list:
        return [s for s in unipen.of_split(unipen.load(folder, kind), "test") if keep(s)]

    digits = held_out("digits", lambda s: s.label.isdigit())
    scaled_digits = [s for s in digits if s.scaled]
    letters = held_out("letters")
    symbols = held_out("symbols", lambda s: s.scaled)
    words = held_out("words")
    right, kept = _digits(read, _sample(digits, n, rng), rng)
    plain = [s for s in letters if s.label not in pen_writing.LOOKALIKES]
    parts = {
        "letters": _negatives(read, _sample(plain, n, rng), rng),
        "upper_case": _negatives(
            read, _sample([s for s in plain if s.label.isupper()], n, rng), rng
        ),
        "lower_case": _negatives(
            read, _sample([s for s in plain if s.label.islower()], n, rng), rng
        ),
        "all_letters": _negatives(read, _sample(letters, n, rng), rng),
        "symbols": _negatives(
            read, _sample([s for s in symbols if s.label in SYMBOLS], n, rng), rng, scaled_digits
        ),
        "all_symbols": _negatives(read, _sample(symbols, n, rng), rng, scaled_digits),
        "symbols_alone": _negatives(
            read, _sample([s for s in symbols if s.label in SYMBOLS], n, rng), rng
        ),
        "words": _negatives(read, _sample(words, n, rng), rng),
    }
    result = {
        "source": unipen.SOURCE,
        "held_out": f"writers of split 'test' ({unipen.TEST_SHARE:.0%} of writers, by hash)",
        "digits_read_right": right.summary(),
        "digits_wrongly_refused": {**kept.summary(), "rate": _complement(kept.rate())},
        **{f"{name}_refused": part.summary() for name, part in parts.items()},
    }
    worst_digits = sorted(right.worst + kept.worst, key=lambda w: -w[0])
    worst_negatives = sorted(
        [w for name in ("letters", "symbols", "words") for w in parts[name].worst],
        key=lambda w: w[0],
    )
    result["calibration"] = calibration_error(
        _sample(digits, n // 2, rng), _sample(plain, n // 2, rng), read, rng
    )
    result["symbols_at_real_size"] = real_size_scores(read, _sample(symbols, n, rng), rng)
    result["worst"] = {"digits": worst_digits, "negatives": worst_negatives}
    return result


NUMBER_GAPS = {"apart": (0.15, 0.5), "touching": (-0.1, 0.1)}  # in digit heights
NUMBER_LENGTHS = range(2, 11)


def _number_outcome(read: Reader, d: unipen.Drawing, with_strokes: bool) -> tuple[bool, str]:
    """Whether a number was read exactly, and what was read."""
    r = read(d.png, d.strokes if with_strokes else None)
    return r.reading in ("number", "digit") and r.number == d.label, r.number or r.reading


def _numbers(read: Reader, samples: list, rng) -> dict:
    """Numbers read exactly from the PNG alone and with the strokes, overall and per length."""
    result, worst = {}, []
    drawings = [unipen.drawing(s, rng) for s in samples]
    for how in ("png", "strokes"):
        hits, per_length = [], defaultdict(list)
        for d in drawings:
            ok, told = _number_outcome(read, d, how == "strokes")
            hits.append((d.writer, ok))
            per_length[len(d.label)].append((d.writer, ok))
            if not ok and how == "png":
                worst.append((0.0, f"{d.label} → {told}", None, d.png))
        result[how] = {
            "exact": per_writer(hits),
            "n": len(hits),
            "writers": len({w for w, _ in hits}),
            "per_length": {str(k): per_writer(v) for k, v in sorted(per_length.items())},
        }
    return {**result, "worst": worst}


def composed_numbers(digits: list, n: int, rng) -> dict[str, list]:
    """Numbers of 2-10 digits, each from one held-out writer's own digits, set side by side at
    their real sizes, apart and touching."""
    by_writer: dict[str, list] = defaultdict(list)
    for s in digits:
        if s.scaled:
            by_writer[s.writer].append(s)
    writers = sorted(w for w, v in by_writer.items() if len(v) >= 4)
    made: dict[str, list] = {name: [] for name in NUMBER_GAPS}
    for name, gap in NUMBER_GAPS.items():
        for i in range(n if writers else 0):
            own = by_writer[writers[i % len(writers)]]
            length = int(rng.choice(NUMBER_LENGTHS))
            parts = [own[int(j)] for j in rng.integers(len(own), size=length)]
            made[name].append(unipen.beside(parts, list(rng.uniform(*gap, size=length - 1))))
    return made


def separator_scores(read: Reader, samples: list, rng) -> dict:
    """Tokens of digits and separators: read exactly, refused, or a wrong string (the defect)."""
    outcomes = {"png": defaultdict(list), "strokes": defaultdict(list)}
    worst = []
    for sample in samples:
        d = unipen.drawing(sample, rng)
        for how, kinds in outcomes.items():
            r = read(d.png, d.strokes if how == "strokes" else None)
            kind = (
                "refused"
                if r.reading == NOT_A_DIGIT_NAME
                else ("exact" if r.number == sample.label else "wrong")
            )
            for k in ("exact", "refused", "wrong"):
                kinds[k].append((sample.writer, kind == k))
            if kind == "wrong" and how == "png":
                worst.append((0.0, f"{sample.label} → {r.number}", None, d.png))
    result = {
        how: {k: per_writer(v) for k, v in kinds.items()} | {"n": len(samples)}
        for how, kinds in outcomes.items()
    }
    return {**result, "worst": worst}


def number_scores(read: Reader, folder, n: int, seed: int = SEED) -> dict:
    """Numbers as people wrote them (every writer of numbers.jsonl.gz: none is trained on),
    numbers composed of held-out writers' digits, apart and touching, and tokens with
    separators; each from the PNG alone and with the strokes."""
    rng = np.random.default_rng(seed)
    natural = [s for s in unipen.load(folder, "numbers") if s.label.isdigit()]
    digits = [
        s for s in unipen.of_split(unipen.load(folder, "digits"), "test") if s.label.isdigit()
    ]
    tokens = unipen.load(folder, "separators")
    result = {"natural": _numbers(read, _sample(natural, n, rng), rng)}
    for name, made in composed_numbers(digits, n, rng).items():
        result[name] = _numbers(read, made, rng)
    result["separators"] = separator_scores(read, _sample(tokens, n, rng), rng)
    worst = [w for part in result.values() for w in part.pop("worst")]
    result["worst"] = worst
    return result


def report_numbers(report, scores: dict) -> None:
    """The numbers' printout."""
    report(
        "\nNumbers in real pen writing, read exactly (writers weigh evenly): PNG alone / strokes"
    )
    for name in ("natural", "apart", "touching"):
        png, strokes = scores[name]["png"], scores[name]["strokes"]
        report(f"  {name:<10} {png['exact']:.4f} / {strokes['exact']:.4f}  ({png['n']} numbers)")
        lengths = " ".join(f"{k}:{v:.2f}" for k, v in png["per_length"].items())
        report(f"    per length (PNG): {lengths}")
    for how in ("png", "strokes"):
        sep = scores["separators"][how]
        report(
            f"  separators ({how}): exact {sep['exact']:.4f}, refused {sep['refused']:.4f}, "
            f"wrong {sep['wrong']:.4f}  ({sep['n']} tokens)"
        )


def numbers_figure(worst: list, count: int = 18) -> Figure:
    """Numbers misread, as drawn, with what they show and what was read."""
    items = [(png, caption, []) for _, caption, _, png in worst]
    return drawings_grid(items, "Real pen numbers misread from the PNG (truth → read)", count)


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
    report(f"\nReal pen writing, held-out writers of {folder} (writers weigh evenly):")
    for key, words in LINES.items():
        part = scores[key]
        report(
            f"  {words:<44} {part['rate']:.4f}  ({part['n']} drawings, {part['writers']} writers)"
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
