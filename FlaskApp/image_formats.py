"""What image bytes are, read off their first bytes, without decoding (or even opening) them.

`preprocessing.decode` opens only the formats the API promises (ACCEPTED). For bytes that are
not one of them, `identify` names what they are (a TIFF, an ICO, ...), so that the answer can
be "415: a TIFF, which is not read here" rather than "400: not an image". It never opens a file
to find out: Pillow decodes some formats whole while opening them (ICO, ICNS, and IPTC, which
carries an image of any format and size inside a small declared one). It asks Pillow's plugins
only their signature tests (`accept`, comparisons on the first 16 bytes) and reads the few
signatures Pillow has no test for itself.

The declared sizes that must be known before Pillow opens a file are read here too: a WebP's
canvas (libwebp allocates it when the decoder is created, inside `Image.open`).
"""

from __future__ import annotations

import struct

from PIL import Image, SpiderImagePlugin

# The formats the API reads (Pillow's names), and how a message names them.
ACCEPTED = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
NAMES = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF", "BMP": "BMP"}
ACCEPTED_TEXT = "PNG, JPEG, WebP, GIF or BMP"

PREFIX = 16  # what Pillow's own signature tests look at
TGA_FOOTER = b"TRUEVISION-XFILE.\x00"  # TGA 2.0; older TGA files have no signature at all
IPTC_RECORDS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 240}


def identify(data: bytes) -> str | None:
    """Pillow's name for the format of image bytes (ACCEPTED first), or None when none fits."""
    prefix = data[:PREFIX]
    Image.init()
    named = [*ACCEPTED, *(name for name in Image.OPEN if name not in ACCEPTED)]
    for name in named:
        accept = Image.OPEN[name][1]
        if accept is not None and _accepts(accept, prefix):
            return name
    return _unsigned(data)


def _accepts(accept, prefix: bytes) -> bool:
    """Whether a plugin's signature test takes `prefix`; a test that fails takes nothing."""
    try:
        return bool(accept(prefix))
    except Exception:  # a test written for longer prefixes (IndexError, struct.error)
        return False


def _unsigned(data: bytes) -> str | None:
    """The formats Pillow reads without a signature test of its own."""
    if data.startswith(b"Image type:"):
        return "IM"
    if len(data) > 1 and data[0] == 0x1C and data[1] in IPTC_RECORDS:
        return "IPTC"
    if data.endswith(TGA_FOOTER):
        return "TGA"
    if data[2048:2055] == b"PCD_IPI":
        return "PCD"
    if len(data) >= 108:
        for order in (">", "<"):  # SPIDER headers are floats, in either byte order
            header = struct.unpack(f"{order}27f", data[:108])
            if SpiderImagePlugin.isSpiderHeader(header):
                return "SPIDER"
    return None


def webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas a WebP declares (its first chunk: VP8X, VP8L or VP8), or None if unreadable."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk, body = data[12:16], data[20:30]
    if chunk == b"VP8X":
        width = int.from_bytes(body[4:7], "little") + 1
        return width, int.from_bytes(body[7:10], "little") + 1
    if chunk == b"VP8L" and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        width = int.from_bytes(body[6:8], "little") & 0x3FFF
        return width, int.from_bytes(body[8:10], "little") & 0x3FFF
    return None


def jpeg_scans(data: bytes) -> int:
    """How many scans a JPEG holds at most: its start-of-scan markers, thumbnails' included.

    0xFF 0xDA appears in coded data only as a marker (there every 0xFF is followed by 0x00); the
    bytes of a metadata segment may add a stray one, never a hundred.
    """
    return data.count(b"\xff\xda")
