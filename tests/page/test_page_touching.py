"""The page's strokes in use: "2026" written with its digits touching is one piece of ink in
the uploaded PNG, and the page, sending its strokes, still reads 2026 (issue 24)."""

from __future__ import annotations

import base64

import numpy as np

from drawadigit.data.sketches import SKETCHES
from drawadigit.reading import preprocessing, segmentation
from tests.support import NUMBER, NUMBER_SKETCHES, draw_with_mouse, settled_prediction

# Each digit's box reaches into the next one's: with a fat pen the four digits touch.
TOUCHING_BOXES = [(0.08 + 0.2 * i, 0.3, 0.23, 0.4) for i in range(4)]


def test_2026_with_touching_digits_is_read_from_the_pages_strokes(desktop):
    page = desktop.page
    posted = []
    page.on(
        "request",
        lambda r: posted.append(r) if r.method == "POST" and r.url.endswith("/predict") else None,
    )
    page.locator("#pen-size").fill("24")
    for sketch, box in zip(NUMBER_SKETCHES, TOUCHING_BOXES, strict=True):
        draw_with_mouse(page, SKETCHES[sketch], box)
    assert settled_prediction(page) == NUMBER
    body = posted[-1].post_data_json
    assert len(body["strokes"]) >= 4
    png = base64.b64decode(body["image"].split(",", 1)[1])
    coverage = preprocessing.ink(preprocessing.decode(png))
    pieces = [s for s in segmentation.segment(coverage) if not s.mark]
    assert len(pieces) < 4, "the digits should touch in the PNG, or the test proves nothing"
    assert np.isclose(coverage.max(), 1.0, atol=0.2)
