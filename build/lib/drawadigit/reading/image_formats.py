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
# Signature tests tried before the rest: the accepted formats, and XPM, whose "/* XPM */" XBM's
# test (any C comment) would take too.
FIRST = (*ACCEPTED, "XPM")

Image.init()  # every plugin's signature test, imported once at start-up, not in a request


def identify(data: bytes) -> str | None:
    """Pillow's name for the format of image bytes (ACCEPTED first), or None when none fits."""
    prefix = data[:PREFIX]
    named = [*FIRST, *(name for name in Image.OPEN if name not in FIRST)]
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


# The structures Pillow walks in Python, one at a time, before (or while) it decodes: a few
# bytes each, so a 3 MB body can hold a million of them, a second or more of one worker's time.
# Real files hold a handful; a PNG split into libpng's 8 kB chunks holds 512 at 4 MB.
MAX_STRUCTURES = 2048
MAX_JPEG_SCANS = 100  # each scan of a progressive JPEG is a pass over every pixel
MAX_RLE_BMP = 64 * 1024  # BMP's run-length decoder is Python: about 0.5 us a byte


def costly(kind: str, data: bytes) -> str | None:
    """Why reading these bytes as `kind` would cost far more than their pixels, or None."""
    if kind == "PNG" and png_chunks(data) > MAX_STRUCTURES:
        return f"a PNG of at most {MAX_STRUCTURES:,} chunks; received one of more"
    if kind == "JPEG":
        if jpeg_header_steps(data) > MAX_STRUCTURES:
            return f"a JPEG of at most {MAX_STRUCTURES:,} markers before its pixels; received more"
        if (scans := jpeg_scans(data)) > MAX_JPEG_SCANS:
            return f"a JPEG of at most {MAX_JPEG_SCANS} scans; received one of {scans:,}"
    if kind == "GIF" and gif_blocks(data) > MAX_STRUCTURES:
        return f"a GIF of at most {MAX_STRUCTURES:,} blocks before its first frame; received more"
    if kind == "BMP" and bmp_run_length(data) and len(data) > MAX_RLE_BMP:
        return (
            f"a run-length encoded BMP of at most {MAX_RLE_BMP:,} bytes; "
            f"received {len(data):,} bytes"
        )
    return None


def png_chunks(data: bytes, limit: int = MAX_STRUCTURES) -> int:
    """How many chunks a PNG holds, counted up to IEND, the end of the data or `limit` + 1."""
    count, at = 0, 8
    while at + 8 <= len(data) and count <= limit:
        (length,) = struct.unpack_from(">I", data, at)
        count += 1
        if data[at + 4 : at + 8] == b"IEND":
            break
        at += 12 + length
    return count


def jpeg_header_steps(data: bytes, limit: int = MAX_STRUCTURES) -> int:
    """How many steps Pillow takes through a JPEG's markers up to its first scan: one per
    marker and one per stray byte between them (up to `limit` + 1)."""
    steps, at = 0, 2
    while at + 4 <= len(data) and steps <= limit:
        if data[at] != 0xFF or data[at + 1] in (0x00, 0xFF):
            steps, at = steps + 1, at + 1  # Pillow skips a stray byte at a time
            continue
        marker = data[at + 1]
        steps += 1
        if marker == 0xDA:  # start of scan: libjpeg reads on from here
            break
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:  # markers without a length
            at += 2
        else:
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return steps


def jpeg_scans(data: bytes) -> int:
    """How many scans a JPEG holds at most: its start-of-scan markers, thumbnails' included.

    0xFF 0xDA appears in coded data only as a marker (there every 0xFF is followed by 0x00); the
    bytes of a metadata segment may add a stray one, never a hundred.
    """
    return data.count(b"\xff\xda")


def gif_blocks(data: bytes, limit: int = MAX_STRUCTURES) -> int:
    """How many extension sub-blocks come before a GIF's first image (up to `limit` + 1)."""
    if len(data) < 13:
        return 0
    flags = data[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # after the global colour table
    count = 0
    while at < len(data) and data[at] == 0x21 and count <= limit:  # "!": an extension
        at += 2
        while at < len(data) and data[at] and count <= limit:  # its sub-blocks, to a 0 length
            count += 1
            at += 1 + data[at]
        at += 1
        count += 1
    return count


def bmp_run_length(data: bytes) -> bool:
    """Whether a BMP's pixels are run-length encoded (RLE8 or RLE4)."""
    if len(data) < 34 or int.from_bytes(data[14:18], "little") < 40:
        return False  # OS/2 headers have no compression field
    return int.from_bytes(data[30:34], "little") in (1, 2)
