"""Colours as Chromium computes them, and WCAG's contrast between them."""

from __future__ import annotations

__all__ = ["SEEN_COLOURS", "contrast", "luminance", "text_contrasts"]

# For each element of a control that has words of its own (the control and its descendants;
# a text field's value counts):
# its text colour and the background it is seen on, every background behind it flattened on top
# of the one beneath, root first; and whatever would make computed colours not what is seen
# (opacity or a filter on the way up), so a test can insist there is none.
SEEN_COLOURS = """
(control) => {
  const parse = (c) => {
    const v = c.match(/[\\d.]+/g).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
  const css = (rgb) => `rgb(${rgb.map((c) => Math.round(c)).join(', ')})`;
  const seen = (element) => {
    const chain = [];
    for (let e = element; e; e = e.parentElement) chain.unshift(e);
    let under = [255, 255, 255];
    const altered = [];
    for (const e of chain) {
      const s = getComputedStyle(e);
      under = over(parse(s.backgroundColor), under);
      if (s.opacity !== '1' || s.filter !== 'none') altered.push(`${e.localName}.${e.className}`);
    }
    const style = getComputedStyle(element);
    return { text: css(over(parse(style.color), under)), background: css(under), altered };
  };
  const worded = [control, ...control.querySelectorAll('*')].filter((e) =>
    (e.localName === 'input' && e.value) ||
    [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()));
  return worded.map(seen);
}
"""


def luminance(css: str) -> float:
    """WCAG relative luminance of an opaque "rgb(r, g, b)"."""
    channels = [float(v) / 255 for v in css[css.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_contrasts(locator) -> list[tuple[float, list[str]]]:
    """For each part of the control at `locator` with words: the contrast of its text on what
    is behind it, and what (opacity, a filter) would make that figure not what is seen."""
    return [
        (contrast(part["text"], part["background"]), part["altered"])
        for part in locator.evaluate(SEEN_COLOURS)
    ]
