"""What the JSON API's routes share: the error they raise, the app's settings and model,
reading a JSON object body, the drawing sent as JSON, a form or a file (its image and its
optional strokes, `sent_drawing`), reading it (`read_drawing`), and naming the keys received
in a message (`key_names`).

A request's parts are "keys" here (a JSON object's members, a form's parts), since a "field"
is a normalised 28x28, as in `reading`; the messages a client reads still say "field"."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from flask import current_app, request
from PIL import Image

from drawadigit import reading
from drawadigit.reading import preprocessing

if TYPE_CHECKING:
    from drawadigit.model.serving import ModelService
    from drawadigit.settings import Settings

MISSING = object()  # a key that was not sent at all, as opposed to one sent as null
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PREDICT_EXAMPLE = '{"image": "data:image/png;base64,..."}'
# An error message lists at most this many of the keys received, each cut to NAME_CHARS.
LISTED_KEYS = 10
NAME_CHARS = 40
# What one drawing's strokes may hold, so that the work they cause stays bounded.
MAX_STROKES = 512
MAX_STROKE_POINTS = 20_000  # points in all the strokes together
POINT = "[x, y] or [x, y, t]"
STROKES_EXPECTED = f"Expected field 'strokes' to be a list of strokes, each a list of {POINT}"


class APIError(Exception):
    """A request the API cannot serve; becomes `{"error": message, **extra}` with `status`
    and `headers` (`errors.answer`)."""

    def __init__(
        self, status: int, message: str, *, headers: dict | None = None, extra: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than the parser's recursion limit."""


class JSONConstant(ValueError):
    """NaN, Infinity or -Infinity in a JSON text: JavaScript has them, JSON does not."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not JSON")
        self.name = name


def current_settings() -> Settings:
    """The settings the app was built with."""
    return current_app.extensions["settings"]


def model_service() -> ModelService:
    """The model the app was built around."""
    return current_app.extensions["digit_model"]


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def key_names(keys: Iterable[str]) -> str:
    """The keys received, for an error message: the first few in order, and how many more.

    "['image', 'label']"; "none" for none; for thousands, "['a', ..., 'j'] and 349,990 more",
    so a body with 350,000 keys does not get a 3 MB answer.
    """
    names = list(keys)
    if not names:
        return "none"
    first = heapq.nsmallest(LISTED_KEYS, names)
    shown = [n if len(n) <= NAME_CHARS else n[:NAME_CHARS] + "..." for n in first]
    more = len(names) - len(first)
    return f"{shown}" + (f" and {more:,} more" if more else "")


def json_object(example: str) -> dict:
    """The request's JSON object body; 400 when it is not valid JSON or not an object.

    A body over MAX_CONTENT_LENGTH raises Werkzeug's 413 (`RequestEntityTooLarge`) here.
    """
    data = request.get_data(cache=True)
    try:
        payload = current_app.json.loads(data)
    except JSONTooDeep as exc:
        raise APIError(
            400, f"Expected a JSON object like {example}; received JSON nested too deeply to read."
        ) from exc
    except JSONConstant as exc:
        raise APIError(
            400,
            f"Expected a JSON object like {example}, its numbers finite; "
            f"received {exc.name}, which is not JSON.",
        ) from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError, NaN and Infinity
        raise APIError(
            400,
            f"Expected a JSON object like {example}; "
            f"received {len(data):,} bytes that are not valid JSON.",
        ) from None
    if not isinstance(payload, dict):
        raise APIError(
            400, f"Expected a JSON object like {example}; received a JSON {json_type(payload)}."
        )
    return payload


def require_json(what: str) -> None:
    """415 unless the request says it is JSON."""
    if request.mimetype != "application/json":
        received = f"'{request.mimetype}'" if request.mimetype else "no Content-Type"
        raise APIError(415, f"Expected Content-Type application/json {what}; received {received}.")


def sent_drawing() -> tuple[bytes, list[np.ndarray]]:
    """The drawing a client sent: the image, in JSON key `image` (or `imageBase64`), the form
    part `imageBase64` (or `image`) or a file uploaded as `image`; and its strokes, in JSON key
    `strokes` or, in a form, part `strokes` holding them as JSON text (`parse_strokes`; none
    sent: [])."""
    if request.mimetype == "application/json":
        payload = json_object(PREDICT_EXAMPLE)
        key = "imageBase64" if "imageBase64" in payload and "image" not in payload else "image"
        data = _sent_image(payload.get(key, MISSING), payload)
        return data, parse_strokes(payload.get("strokes", MISSING))
    if request.mimetype in FORM_TYPES:
        upload = request.files.get("image")
        if upload is not None:
            data = upload.read()
        else:
            value = request.form.get("imageBase64", request.form.get("image", MISSING))
            data = _sent_image(value, request.form)
        return data, parse_strokes(_json_text(request.form.get("strokes", MISSING)))
    received = f"'{request.mimetype}'" if request.mimetype else "no Content-Type"
    raise APIError(
        415,
        "Expected Content-Type application/json (or a form with field 'imageBase64'); "
        f"received {received}.",
    )


def read_drawing(data: bytes, strokes: list[np.ndarray]) -> tuple[Image.Image, reading.Reading]:
    """The decoded drawing, and what the serving model reads in it (`reading.read`), once its
    strokes are known to lie about the image (`strokes_within`).

    Raises `preprocessing.ImageError` (`ImageTooLarge`, `UnsupportedFormat`) for bytes that are
    no image it reads, `preprocessing.NothingDrawn` for a blank one, and the model's own errors
    (`serving.ModelUnavailable`, `serving.ModelFailed`).
    """
    image = preprocessing.decode(data)
    checked = strokes_within(strokes, image.size) or None  # none sent: read from the ink alone
    model = model_service()
    return image, reading.read(image, model.classify, model.policy, checked)


def _json_text(value: object) -> object:
    """A form part's JSON text decoded (MISSING stays MISSING); 400 when it is not JSON."""
    if value is MISSING or not isinstance(value, str):
        return value
    expected = f"{STROKES_EXPECTED}, as JSON text"
    try:
        return current_app.json.loads(value)
    except JSONTooDeep:
        raise APIError(400, f"{expected}; received JSON nested too deeply to read.") from None
    except JSONConstant as exc:
        raise APIError(400, f"{expected}; received {exc.name}, which is not JSON.") from None
    except ValueError:
        received = f"{len(value):,} characters that are not valid JSON"
        raise APIError(400, f"{expected}; received {received}.") from None


def parse_strokes(value: object) -> list[np.ndarray]:
    """The pen-down strokes sent with a drawing, each an (N, 2) or (N, 3) float64 array of
    points [x, y] or [x, y, t] (all of the drawing's alike); none sent, null or []: [].

    400 naming the first stroke or point that is not so; 413 past MAX_STROKES strokes or
    MAX_STROKE_POINTS points in all. Where the points lie is `strokes_within`'s to check.
    """
    if value is MISSING or value is None:
        return []
    if not isinstance(value, list):
        raise APIError(400, f"{STROKES_EXPECTED}; received a JSON {json_type(value)}.")
    if len(value) > MAX_STROKES:
        raise APIError(
            413,
            f"Expected at most {MAX_STROKES:,} strokes in field 'strokes' (MAX_STROKES); "
            f"received {len(value):,}.",
        )
    for i, stroke in enumerate(value):
        if not isinstance(stroke, list) or not stroke:
            received = "an empty list" if stroke == [] else f"a JSON {json_type(stroke)}"
            raise APIError(
                400, f"Expected strokes[{i}] to be a list of {POINT} points; received {received}."
            )
    total = sum(len(stroke) for stroke in value)
    if total > MAX_STROKE_POINTS:
        raise APIError(
            413,
            f"Expected at most {MAX_STROKE_POINTS:,} points in all the strokes "
            f"(MAX_STROKE_POINTS); received {total:,}.",
        )
    first = value[0][0] if value else None
    size = len(first) if isinstance(first, list) else 0  # every point has as many numbers
    for i, stroke in enumerate(value):
        for j, point in enumerate(stroke):
            problem = _point_problem(point, size)
            if problem:
                raise APIError(400, f"Expected strokes[{i}][{j}] to be {problem}.")
    return [np.asarray(stroke, dtype=np.float64) for stroke in value]


def _point_problem(point: object, size: int) -> str:
    """What is wrong with one point, as "what was expected; what was received" ("" if none)."""
    expected = f"a point {POINT} of finite numbers"
    if not isinstance(point, list):
        return f"{expected}; received a JSON {json_type(point)}"
    if not 2 <= len(point) <= 3:
        return f"{expected}; received a list of {len(point)} values"
    for v in point:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return f"{expected}; received a list holding a JSON {json_type(v)}"
        if not math.isfinite(v if isinstance(v, float) else 0.0) or abs(v) > 1e300:
            return f"{expected}; received a list holding {v!r:.20}"
    if len(point) != size:
        like = "[x, y, t]" if size == 3 else "[x, y]"
        return (
            f"{like} like strokes[0][0] (every point with a time, or none); "
            f"received {len(point)} numbers"
        )
    return ""


def strokes_within(strokes: list[np.ndarray], size: tuple[int, int]) -> list[np.ndarray]:
    """The strokes, checked to lie about an image of `size` (width, height): 400 for a point
    farther outside the image than the image's longer side."""
    width, height = size
    reach = max(width, height)
    for i, stroke in enumerate(strokes):
        x, y = stroke[:, 0], stroke[:, 1]
        outside = (x < -reach) | (x > width + reach) | (y < -reach) | (y > height + reach)
        if outside.any():
            j = int(np.argmax(outside))
            raise APIError(
                400,
                f"Expected every point of 'strokes' in the image's pixels, at most {reach:,} "
                f"(its longer side) outside the {width:,}x{height:,} image; received "
                f"strokes[{i}][{j}] at ({x[j]:.6g}, {y[j]:.6g}).",
            )
    return strokes


def _sent_image(value: object, keys: Iterable[str]) -> bytes:
    """The image under the key a prediction was sent in; 400 naming the keys when none was."""
    if value is MISSING:
        raise APIError(
            400,
            "Expected the drawing as a PNG data URL in field 'image' (JSON) or 'imageBase64' "
            f"(form); received fields {key_names(keys)}.",
        )
    return image_bytes(value, "Expected field 'image' to be a string (a data URL or base64 PNG)")


def image_bytes(value: object, expected: str) -> bytes:
    """The image bytes in a value holding a data URL or bare base64; 400 `expected` unless the
    value is a string."""
    if not isinstance(value, str):
        received = "none" if value is MISSING else f"a JSON {json_type(value)}"
        raise APIError(400, f"{expected}; received {received}.")
    return preprocessing.decode_data_url(value)
