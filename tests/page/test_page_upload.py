"""The page sends only the ink, and the server reads the same thing from it as from the canvas.

Hundreds of drawings (the project's sketches in many hands, MNIST test digits, whole numbers)
are painted onto the page's own canvas at a phone's device pixel ratio of 3, then taken two
ways: the whole canvas as `toDataURL` gives it (what the page used to send, and what other
clients still may), and through the page's own crop-and-scale (`drawing.js`'s `inkUpload`).
Both are posted from Python in parallel; the readings must agree, and the uploads stay small.
"""

from __future__ import annotations

import base64
import io
import json
import statistics
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from drawadigit.data import sketches
from tests.support import DESKTOP, PHONE, draw_with_touch, open_page, settled_prediction

MATCH_AT_LEAST = 0.99
TYPICAL_UPLOAD = 10 * 1024  # bytes of JSON per prediction
CHUNK = 40  # drawings per round trip into the page

# Paint each drawing (a PNG data URL) onto the pad's canvas, fitted and centred, and take it
# both ways; `window.placeBox[i]` keeps each upload's box mapping for later.
TAKE_BOTH = """
async ([urls, first]) => {
  const { inkUpload } = await import('/static/drawing.js');
  const canvas = document.querySelector('#canvas');
  const ctx = canvas.getContext('2d');
  window.placeBox = window.placeBox || [];
  const out = [];
  for (const [k, url] of urls.entries()) {
    const bytes = Uint8Array.from(atob(url.split(',')[1]), (c) => c.charCodeAt(0));
    const blob = new Blob([bytes], { type: 'image/png' });
    const bitmap = await createImageBitmap(blob);
    const scale = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
    const w = bitmap.width * scale, h = bitmap.height * scale;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
    const upload = inkUpload(canvas);
    window.placeBox[first + k] = upload.place;
    out.push([canvas.toDataURL('image/png'), upload.image]);
  }
  return out;
}
"""


def taken_both_ways(page, urls: list[str]) -> list[tuple[str, str]]:
    """(whole canvas, page's upload) data URLs for each drawing, painted on the page."""
    pairs = []
    for first in range(0, len(urls), CHUNK):
        pairs += page.evaluate(TAKE_BOTH, [urls[first : first + CHUNK], first])
    return pairs


def predict(url: str, image: str) -> dict:
    """POST one image to /predict; the JSON answer (a 422 or other error as its body)."""
    body = json.dumps({"image": image}).encode()
    request = urllib.request.Request(
        url + "/predict", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def reading(answer: dict) -> tuple:
    """What a person is told: the kind of reading, the number, and why it was refused."""
    return answer["reading"], answer["number"], answer.get("reason", "")


def upload_bytes(image: str) -> int:
    """The size of the /predict request body the page sends for `image`."""
    return len(json.dumps({"image": image}))


def png_size(image: str) -> tuple[int, int]:
    return Image.open(io.BytesIO(base64.b64decode(image.split(",", 1)[1]))).size


@pytest.fixture(scope="module")
def phone_pairs(browser, live_url, page_drawings):
    """Every drawing taken both ways on a phone (DPR 3), with the page kept open for boxes."""
    page = open_page(browser, live_url, PHONE).page
    assert page.evaluate("window.devicePixelRatio") == 3
    yield page, taken_both_ways(page, page_drawings)
    page.context.close()


def test_the_server_reads_the_pages_upload_as_it_reads_the_whole_canvas(live_url, phone_pairs):
    page, pairs = phone_pairs
    images = [image for pair in pairs for image in pair]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda image: predict(live_url, image), images))
    whole, cropped = answers[0::2], answers[1::2]
    same = [reading(a) == reading(b) for a, b in zip(whole, cropped, strict=True)]
    rate = sum(same) / len(same)
    print(f"\nsame reading on {sum(same)} of {len(same)} drawings ({rate:.2%})")
    assert len(same) >= 500
    assert rate >= MATCH_AT_LEAST

    # Boxes come back in the upload's pixels; mapped by the page, they land where the
    # whole canvas's boxes are (within 2 % of the canvas).
    side = page.evaluate("document.querySelector('#canvas').width")
    for i, (a, b) in enumerate(zip(whole, cropped, strict=True)):
        if not same[i] or a["reading"] != "number":
            continue
        boxes = [d["box"] for d in b["digits"]]
        placed = page.evaluate("([i, boxes]) => boxes.map(window.placeBox[i])", [i, boxes])
        expected = np.array([d["box"] for d in a["digits"]], float)
        assert np.abs(np.array(placed) - expected).max() <= 0.02 * side, (i, placed, expected)


def test_uploads_are_small_at_a_phones_pixel_ratio(phone_pairs):
    _, pairs = phone_pairs
    sizes = [upload_bytes(cropped) for _, cropped in pairs]
    whole = [upload_bytes(full) for full, _ in pairs]
    median, most, canvas = (
        x / 1024 for x in (statistics.median(sizes), max(sizes), statistics.median(whole))
    )
    print(f"\nDPR 3 upload: median {median:.1f} KB, max {most:.1f} KB (canvas: {canvas:.1f} KB)")
    assert statistics.median(sizes) <= TYPICAL_UPLOAD
    assert max(max(png_size(cropped)) for _, cropped in pairs) <= 200


def test_uploads_are_small_on_a_desktop_too(browser, live_url, page_drawings):
    page = open_page(browser, live_url, DESKTOP).page
    sizes = [upload_bytes(cropped) for _, cropped in taken_both_ways(page, page_drawings[::5])]
    page.context.close()
    print(
        f"\nDPR 1 upload: median {statistics.median(sizes) / 1024:.1f} KB, "
        f"max {max(sizes) / 1024:.1f} KB"
    )
    assert statistics.median(sizes) <= TYPICAL_UPLOAD


def test_a_touch_drawn_digit_goes_up_as_its_ink_only(phone):
    page = phone.page
    sent: list[dict] = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data_json) if r.url.endswith("/predict") else None,
    )
    draw_with_touch(page, sketches.SKETCHES[(2, "curve")])
    assert settled_prediction(page) == "2"
    assert sent, "no prediction was asked for"
    for body in sent:
        assert upload_bytes(body["image"]) <= TYPICAL_UPLOAD
        width, height = png_size(body["image"])
        assert max(width, height) <= 200 and width < height  # the 2's box, not the square pad
