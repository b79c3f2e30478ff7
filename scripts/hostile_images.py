"""Images an attacker sends, made here for the tests and `benchmarks.abuse`.

    big_png(9400)                 # a real 9400x9400 PNG of ~90 kB (88 MB once decoded)
    iptc(inner), ico(inner), icns(inner)   # containers declaring a small size around `inner`
    unpromised_formats()          # {"TIFF": bytes, "ICO": bytes, ...}: images the API does not read
    accepted_samples()            # {"PNG interlaced": bytes, ...}: every accepted format, variants
    mutate(data, edits)           # bytes with edits applied (flips, cuts, copies, huge fields)

Everything is made in memory with Pillow where Pillow writes the format, by hand where it does
not (IPTC, EPS, XPM); nothing here decodes what it makes.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import warnings
import zlib
from collections.abc import Iterator, Sequence

from PIL import Image, ImageDraw, features

Edit = tuple[str, float, int]  # (kind, where in the file as a share of its length, a value)
EDITS = ("flip", "byte", "cut", "copy", "insert", "huge", "zero")


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def big_png(side: int = 9400) -> bytes:
    """A complete, valid greyscale PNG of side x side black pixels, compressed row by row
    (never held decoded here): about side * side / 1000 bytes."""
    packer = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # filter byte 0, then the row
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def _iptc_field(record: int, dataset: int, data: bytes) -> bytes:
    """One IPTC/NAA field; a long one with its length in four extra bytes."""
    if len(data) < 0x8000:
        return bytes([0x1C, record, dataset]) + struct.pack(">H", len(data)) + data
    return bytes([0x1C, record, dataset, 0x84, 0]) + struct.pack(">I", len(data)) + data


def iptc(inner: bytes, declared: int = 100) -> bytes:
    """An IPTC/NAA file (.iim) declaring declared x declared greyscale pixels, `inner` its
    image data (Pillow opens whatever image that is, of whatever size, on load)."""
    side = struct.pack(">H", declared)
    return (
        _iptc_field(3, 60, b"\x01\x00")  # one layer, no components: greyscale
        + _iptc_field(3, 20, side)
        + _iptc_field(3, 30, side)
        + _iptc_field(3, 120, b"\x05")  # "JPEG" compression: the data is an image file
        + _iptc_field(8, 10, inner)
    )


def ico(inner: bytes, declared: int = 16) -> bytes:
    """A Windows icon with one entry declaring declared x declared pixels, `inner` its image."""
    directory = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", declared, declared, 0, 0, 1, 32, len(inner), 6 + 16)
    return directory + entry + inner


def icns(inner: bytes) -> bytes:
    """A macOS icon whose one entry (ic09: 512x512) holds `inner`."""
    entry = b"ic09" + struct.pack(">I", 8 + len(inner)) + inner
    return b"icns" + struct.pack(">I", 8 + len(entry)) + entry


def containers(side: int = 9400) -> dict[str, bytes]:
    """The containers that declare a small size around a side x side PNG."""
    inner = big_png(side)
    return {"IPTC": iptc(inner), "ICO": ico(inner), "ICNS": icns(inner)}


def drawing(size: int = 48) -> Image.Image:
    """A small RGBA drawing: a dark stroke, a 7, on a transparent canvas."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.line([(size // 5, size // 5), (size * 4 // 5, size // 5)], fill=(0, 0, 0, 255), width=4)
    pen.line([(size * 4 // 5, size // 5), (size // 3, size * 4 // 5)], fill=(0, 0, 0, 255), width=4)
    return image


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    """`image` written in `fmt` (formats Pillow means to drop, such as IM, included)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        image.save(buffer, fmt, **options)
    return buffer.getvalue()


# Formats Pillow reads and the API does not, with the mode each is written in.
UNPROMISED_MODES = {
    "TIFF": "L",
    "JPEG2000": "L",
    "AVIF": "RGB",
    "PPM": "L",
    "PCX": "L",
    "SGI": "L",
    "TGA": "L",
    "ICO": "RGBA",
    "ICNS": "RGBA",
    "IM": "L",
    "SPIDER": "F",
    "QOI": "RGB",
    "XBM": "1",
    "DDS": "RGBA",
    "MSP": "1",
    "BLP": "P",
    "DIB": "RGB",
    "BUFR": None,
}
# Made by hand: formats Pillow reads but does not write (or writes only with Ghostscript).
HANDMADE = {
    "EPS": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\nnewpath 4 4 moveto 24 24 lineto "
    b"stroke showpage\n%%EOF\n",
    "XPM": b'/* XPM */\nstatic char *d[] = {\n"2 2 2 1",\n"  c #FFFFFF",\n". c #000000",\n'
    b'" .",\n". "\n};\n',
    "IPTC": iptc(b"P5\n2 2\n255\n\0\0\0\0", declared=2),
}


def unpromised_formats() -> dict[str, bytes]:
    """A small image in every format Pillow here can write (or that is made by hand) that the
    API does not read, by Pillow's name for it."""
    made = dict(HANDMADE)
    for fmt, mode in UNPROMISED_MODES.items():
        if mode is None or (fmt in ("JPEG2000", "AVIF") and not _codec(fmt)):
            continue
        image = drawing(32).convert(mode)
        try:
            made[fmt] = _saved(image, fmt)
        except (OSError, ValueError, KeyError):  # not writable by this Pillow
            continue
    return made


def _codec(fmt: str) -> bool:
    """Whether this Pillow was built with the codec a format needs."""
    return bool(features.check({"JPEG2000": "jpg_2000", "AVIF": "avif"}[fmt]))


@functools.cache
def accepted_samples() -> dict[str, bytes]:
    """The drawing in every accepted format, in the variants their decoders take apart."""
    image = drawing()
    frames = [image, image.rotate(90), image.rotate(180)]
    grey = image.convert("L")
    return {
        "PNG RGBA": _saved(image, "PNG"),
        "PNG L interlaced": _saved(grey, "PNG", interlace=1),
        "PNG P": _saved(image.convert("P"), "PNG"),
        "PNG animated": _saved(image, "PNG", save_all=True, append_images=frames[1:]),
        "JPEG baseline": _saved(grey, "JPEG", quality=90),
        "JPEG progressive": _saved(image.convert("RGB"), "JPEG", progressive=True),
        "JPEG rotated": _saved(image.convert("RGB"), "JPEG", exif=_exif_rotated()),
        "WebP lossy": _saved(image, "WEBP", quality=80),
        "WebP lossless": _saved(image, "WEBP", lossless=True),
        "WebP animated": _saved(image, "WEBP", save_all=True, append_images=frames[1:]),
        "GIF": _saved(image.convert("P"), "GIF"),
        "GIF animated": _saved(image, "GIF", save_all=True, append_images=frames[1:]),
        "BMP RGB": _saved(image.convert("RGB"), "BMP"),
        "BMP P": _saved(image.convert("P"), "BMP"),
        "BMP 1": _saved(grey.convert("1"), "BMP"),
    }


def _exif_rotated() -> bytes:
    """EXIF that says: rotated 90 degrees clockwise (orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return exif.tobytes()


def mutate(data: bytes, edits: Sequence[Edit]) -> bytes:
    """`data` with each edit applied in turn: a flipped bit, a byte set, the end cut off, a
    stretch copied elsewhere, bytes inserted, a 4-byte field made huge or zero."""
    out = bytearray(data)
    for kind, where, value in edits:
        if not out:
            break
        at = min(len(out) - 1, int(where * len(out)))
        if kind == "flip":
            out[at] ^= 1 << (value % 8)
        elif kind == "byte":
            out[at] = value % 256
        elif kind == "cut":
            del out[max(1, at) :]
        elif kind == "copy":
            out[at:at] = out[value % len(out) :][: 1 + value % 64]
        elif kind == "insert":
            out[at:at] = bytes([value % 256]) * (1 + value % 16)
        elif kind == "huge":
            out[at : at + 4] = b"\xff\xff\x7f\xff"
        elif kind == "zero":
            out[at : at + 4] = b"\0\0\0\0"
    return bytes(out)


def random_edits(rng: random.Random) -> list[Edit]:
    """One to four edits, chosen with `rng`."""
    return [
        (rng.choice(EDITS), rng.random(), rng.randrange(1 << 16)) for _ in range(rng.randint(1, 4))
    ]


def mutated(count: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """`count` mutated images of the accepted formats, each with the sample it came from."""
    rng = random.Random(seed)
    samples = accepted_samples()
    names = sorted(samples)
    for _ in range(count):
        name = rng.choice(names)
        yield name, mutate(samples[name], random_edits(rng))


def _bmp_rle8(side: int, data: bytes) -> bytes:
    """A BMP declaring side x side 8-bit pixels, run-length encoded as `data`."""
    palette = b"\0\0\0\0" * 256
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, side, side, 1, 8, 1, len(data), 2835, 2835, 256, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(data), 0, 0, offset) + info + palette + data


def walked_structures(n: int = 500_000) -> dict[str, bytes]:
    """Accepted formats holding `n` or so tiny structures that Pillow walks one at a time in
    Python (about 3 MB each: a second or more of one worker's time, undefended)."""
    samples = accepted_samples()
    png, jpeg, gif = samples["PNG L interlaced"], samples["JPEG baseline"], samples["GIF"]
    empty = _chunk(b"abCd", b"")
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"  # a start of scan, one component
    app0 = 4 + int.from_bytes(jpeg[4:6], "big")  # after the first segment
    table = 13 + (3 << ((gif[10] & 7) + 1) if gif[10] & 0x80 else 0)
    return {
        "PNG of tiny chunks": png[:33] + empty * (n // 2) + png[33:],
        "JPEG of comments": jpeg[:2] + b"\xff\xfe\x00\x02" * (n * 3 // 2) + jpeg[2:],
        "JPEG of stray bytes": jpeg[:app0] + b"\x00" * (n * 5) + jpeg[app0:],
        "JPEG of scans": jpeg[:-2] + scan * 200 + b"\xff\xd9",
        "GIF of comments": gif[:table] + b"\x21\xfe" + b"\x01a" * (n * 3) + b"\x00" + gif[table:],
        "BMP of short runs": _bmp_rle8(1732, b"\x01\x00" * (n * 3)),
    }
