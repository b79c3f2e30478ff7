"""The evaluation's figures: the confusion matrix and the worst mistakes, refusals and numbers.

Figures without pyplot: no global state, no window, any backend (a notebook shows them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from drawadigit.evaluation.scores import MnistScores
from drawadigit.reading import preprocessing

WORST = 40  # mistakes shown in the grid


def confusion_figure(matrix: np.ndarray, accuracy: float) -> Figure:
    """The confusion matrix drawn with counts in every cell."""
    fig = Figure(figsize=(6.4, 5.6), dpi=100)
    ax = fig.subplots()
    shown = np.where(matrix > 0, np.log10(matrix + 1), 0)  # log scale: errors stay visible
    ax.imshow(shown, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            colour = "white" if shown[row, col] > shown.max() * 0.6 else "black"
            ax.text(col, row, str(count), ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    ax.set_title(f"MNIST test set: {accuracy:.2%} correct")
    fig.tight_layout()
    return fig


def _mistake(i: int, labels, predicted, probs) -> dict:
    """One mistake as the report lists it."""
    return {
        "index": int(i),
        "label": int(labels[i]),
        "predicted": int(predicted[i]),
        "confidence": round(float(probs[i, predicted[i]]), 4),
    }


def worst_figure(fields, labels, probs, count: int = WORST) -> tuple[Figure, list[dict]]:
    """A grid of the most confident mistakes (the image the model saw, truth and answer)."""
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]])][:count]
    columns = 10
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig = Figure(figsize=(columns * 1.1, rows * 1.35), dpi=100)
    axes = fig.subplots(rows, columns)
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, i in zip(np.ravel(axes), wrong, strict=False):
        ax.imshow(fields[i], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{labels[i]}→{predicted[i]} {probs[i, predicted[i]]:.0%}", fontsize=8)
    fig.suptitle("Most confident mistakes on the MNIST test set (true→read)", fontsize=10)
    fig.tight_layout()
    return fig, [_mistake(i, labels, predicted, probs) for i in wrong]


def two_rows(rows: list[tuple[str, list]], count: int, title: str, width: float) -> Figure:
    """Two rows of pictures, each row named: `rows` holds (name, [(image, caption), ...])."""
    fig = Figure(figsize=(count * width, 2 * 1.5), dpi=100)
    axes = np.reshape(fig.subplots(2, count), (2, count))
    for row, (what, items) in enumerate(rows):
        for col in range(count):
            ax = axes[row, col]
            ax.axis("off")
            if col < len(items):
                image, caption = items[col]
                ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
                ax.set_title(caption, fontsize=6)
        axes[row, 0].text(
            -0.1, 0.5, what, rotation=90, va="center", fontsize=7, transform=axes[row, 0].transAxes
        )
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.03, right=0.99, bottom=0.02, top=0.78, hspace=0.8)
    return fig


def worst_refusals_figure(digit_refusals: list, accepted: list, count: int = 20) -> Figure:
    """Real digits refused with the most conviction, and negatives let through most easily."""
    rows = [
        (what, [(r.field, f"{name}\n{p:.0%} not") for p, name, r in items[:count]])
        for what, items in (("digit refused", digit_refusals), ("negative accepted", accepted))
    ]
    title = "Worst refusals: digits refused (top), negatives read as digits (bottom)"
    return two_rows(rows, count, title, 0.9)


def drawings_grid(items: list[tuple[bytes, str, list]], title: str, count: int = 12) -> Figure:
    """Drawings in a grid of three columns, each its ink with a caption and the boxes given."""
    columns = 3
    rows = max(1, int(np.ceil(min(count, len(items)) / columns)))
    fig = Figure(figsize=(columns * 3.2, rows * 1.5 + 0.5), dpi=100)
    axes = np.ravel(fig.subplots(rows, columns))
    for ax in axes:
        ax.axis("off")
    for ax, (png, caption, boxes) in zip(axes, items[:count], strict=False):
        ink = preprocessing.ink(preprocessing.decode(png))
        ax.imshow(ink, cmap="gray_r", vmin=0, vmax=1)
        for x0, y0, x1, y1 in boxes:
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="tab:red", lw=0.8))
        ax.set_title(caption, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=1 - 0.5 / (rows * 1.5 + 0.5))
    return fig


def worst_numbers_figure(wrong: list, count: int = 12) -> Figure:
    """Numbers misread: the drawing with what it shows and what was read."""
    items = [
        (d.png, f"{d.number} → {r.number or r.reading}", [g.box for g in r.digits])
        for d, r in wrong
    ]
    return drawings_grid(items, "Worst numbers: misread numbers (truth → read)", count)


def draw_mnist(out: Path, scores: MnistScores, labels: np.ndarray) -> list[dict]:
    """Write confusion_matrix.png and worst_mistakes.png; return the mistakes shown."""
    confusion_figure(scores.matrix, scores.accuracy).savefig(out / "confusion_matrix.png")
    worst, mistakes = worst_figure(scores.fields, labels, scores.probs)
    worst.savefig(out / "worst_mistakes.png")
    return mistakes


def draw_reading(out: Path, refusals: list, accepted: list, wrong: list) -> None:
    """Write worst_refusals.png (digits refused, surest first) and worst_numbers.png."""
    refusals = sorted(refusals, key=lambda r: -r[0])
    worst_refusals_figure(refusals, accepted).savefig(out / "worst_refusals.png")
    worst_numbers_figure(wrong).savefig(out / "worst_numbers.png")
