"""What an image costs the server against its pixel count, and the worst one /predict accepts.

    python -m benchmarks.decode [--megapixels 1 2 4 8 16] [--repeat 5]

For each size (square-ish, as many megapixels as asked), images a client could send are made:
a drawing on a transparent canvas (what the page sends), the same on white as PNG, JPEG and
WebP, speckled (1 % of the pixels dark: many pieces for the segmentation) and noise (nothing
compresses). Each is timed, median of `--repeat` runs, as the server reads it:

* decode: Pillow reading the header and then every pixel (`Image.open` + `load`);
* read: everything /predict does before the model, decoding included: the ink, segmentation
  and normalisation (`reading.read`, with a stand-in for the model, whose cost does not grow
  with the image).

"fits" says whether the image fits in a request (its data URL within MAX_CONTENT_LENGTH);
"accepted" whether `preprocessing.decode` lets it through (MAX_SIDE, MAX_PIXELS). Images over
the limits are timed too, bypassing them, to show what the limits refuse. The last two lines
name the worst images that both fit and are accepted: the slowest to read, the slowest to decode.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

from drawadigit import reading
from drawadigit.reading import preprocessing

MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # the app's default
DATA_URL_OVERHEAD = 64  # '{"image": "data:image/png;base64,' and the closing '"}'


def classify(fields: np.ndarray) -> np.ndarray:
    """A stand-in model: the same answer for every field (the model's cost is per field)."""
    return np.full((len(fields), 11), 1 / 11)


def side_lengths(megapixels: float) -> tuple[int, int]:
    """Width and height of a 4:3 image of about this many megapixels."""
    height = round(math.sqrt(megapixels * 1e6 * 3 / 4))
    return round(megapixels * 1e6 / height), height


def stroke(draw: ImageDraw.ImageDraw, width: int, height: int, fill) -> None:
    """A seven, scaled to the image, with a pen as thick as the page's."""
    pen = max(2, round(min(width, height) / 25))
    points = [(0.3, 0.2), (0.7, 0.2), (0.45, 0.8)]
    draw.line([(x * width, y * height) for x, y in points], fill=fill, width=pen, joint="curve")


def images(megapixels: float, rng: np.random.Generator) -> list[tuple[str, str, Image.Image]]:
    """(kind, format, image) for one size."""
    width, height = side_lengths(megapixels)
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    stroke(ImageDraw.Draw(canvas), width, height, (0, 0, 0, 255))
    white = Image.new("RGB", (width, height), "white")
    stroke(ImageDraw.Draw(white), width, height, "black")
    speckled = np.full((height, width), 255, np.uint8)
    speckled[rng.random((height, width)) < 0.01] = 0
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    return [
        ("canvas", "PNG", canvas),
        ("white", "PNG", white),
        ("white", "JPEG", white),
        ("white", "WEBP", white),
        ("speckled", "PNG", Image.fromarray(speckled)),
        ("noise", "PNG", Image.fromarray(noise)),
    ]


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return buffer.getvalue()


def median_ms(work, repeat: int) -> float:
    """Median wall time of `work()` in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def decode_unlimited(data: bytes) -> Image.Image:
    """Pillow's decoding with no size limit (to time what the limits refuse)."""
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def read(data: bytes) -> None:
    """What /predict does with the bytes before the model; blank or tiny drawings count too."""
    try:
        reading.read(decode_unlimited(data), classify, reading.Policy())
    except preprocessing.NothingDrawn:
        pass


def accepted(data: bytes) -> bool:
    try:
        preprocessing.decode(data)
    except preprocessing.ImageTooLarge:
        return False
    return True


def measured(megapixels: float, rng: np.random.Generator, args) -> list[tuple]:
    """Print a line per image of this size; (read ms, decode ms, image, size) of each that fits
    in a request and is accepted."""
    worst = []
    for kind, fmt, image in images(megapixels, rng):
        data = encode(image, fmt)
        fits = len(data) * 4 / 3 + DATA_URL_OVERHEAD <= MAX_CONTENT_LENGTH
        ok = accepted(data)
        decode_ms = median_ms(lambda data=data: decode_unlimited(data), args.repeat)
        read_ms = median_ms(lambda data=data: read(data), args.repeat)
        name = f"{kind} {fmt}"
        size = f"{image.width}x{image.height}"
        print(
            f"{name:<16} {size:>11} {image.width * image.height / 1e6:>5.1f} "
            f"{len(data):>11,} {'yes' if fits else 'no':>5} {'yes' if ok else 'no':>8} "
            f"{decode_ms:>9.1f} {read_ms:>8.1f}",
            flush=True,
        )
        if fits and ok:
            worst.append((read_ms, decode_ms, name, size))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(
        f"limits: MAX_PIXELS {preprocessing.MAX_PIXELS:,}, MAX_SIDE {preprocessing.MAX_SIDE}, "
        f"MAX_CONTENT_LENGTH {MAX_CONTENT_LENGTH:,}; median of {args.repeat} runs"
    )
    header = f"{'image':<16} {'size':>11} {'MP':>5} {'bytes':>11} {'fits':>5} {'accepted':>8}"
    print(f"{header} {'decode ms':>9} {'read ms':>8}")
    worst = [row for megapixels in args.megapixels for row in measured(megapixels, rng, args)]
    if not worst:
        print("no image both fits in a request and is accepted")
        return 1
    for label, column in (("to read", 0), ("to decode", 1)):
        times = max(worst, key=lambda row: row[column])
        print(
            f"worst accepted image {label}: {times[2]} {times[3]}: "
            f"{times[0]:.1f} ms to read, {times[1]:.1f} ms of it to decode"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
