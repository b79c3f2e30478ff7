"""The evaluation on real pen numbers: as people wrote them, composed of held-out writers' own
digits (apart and touching), and tokens with separators; each from the PNG alone and with the
page's strokes, writers weighing evenly.

    scores = number_scores(read, folder, n)   # n: at most this many of each kind

`numbers_figure` draws the numbers misread from the PNG.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from matplotlib.figure import Figure

from drawadigit.contract import NOT_A_DIGIT_NAME
from drawadigit.data import unipen
from drawadigit.evaluation.figures import drawings_grid
from drawadigit.evaluation.real_pen import SEED, Reader, per_writer, sample_of

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


def number_scores(read: Reader, folder, n: int, seed: int = SEED, writers: str = "test") -> dict:
    """Numbers as people wrote them, numbers composed of held-out writers' digits, apart and
    touching, and tokens with separators; each from the PNG alone and with the strokes.

    No number or token is trained on, so with `writers="test"` they are all read but those of
    the writers reading is developed on (split "validation"), which `writers="validation"`
    reads alone; the composed numbers take the digits of split `writers`."""
    rng = np.random.default_rng(seed)
    natural = _of(unipen.load(folder, "numbers"), writers, lambda s: s.label.isdigit())
    digits = [
        s for s in unipen.of_split(unipen.load(folder, "digits"), writers) if s.label.isdigit()
    ]
    tokens = _of(unipen.load(folder, "separators"), writers)
    result = {"natural": _numbers(read, sample_of(natural, n, rng), rng)}
    for name, made in composed_numbers(digits, n, rng).items():
        result[name] = _numbers(read, made, rng)
    result["separators"] = separator_scores(read, sample_of(tokens, n, rng), rng)
    worst = [w for part in result.values() for w in part.pop("worst")]
    result["worst"] = worst
    return result


def _of(samples: list, writers: str, keep=lambda s: True) -> list:
    """The samples of the validation writers, or (`writers="test"`) of all the others."""
    development = (unipen.split_of(s.writer) == "validation" for s in samples)
    wanted = writers == "validation"
    return [s for s, dev in zip(samples, development, strict=True) if dev == wanted and keep(s)]


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
