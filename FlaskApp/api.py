"""What the JSON API's routes share: the error they raise, the app's settings and model,
reading a JSON object body, the drawing sent as JSON, a form or a file, and naming the fields
received in a message (`field_names`)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import TYPE_CHECKING

import preprocessing
from flask import current_app, request

if TYPE_CHECKING:
    from serving import ModelService
    from settings import Settings

MISSING = object()  # a field that was not sent at all, as opposed to one sent as null
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PREDICT_EXAMPLE = '{"image": "data:image/png;base64,..."}'
# An error message lists at most this many of the fields received, each cut to NAME_CHARS.
LISTED_FIELDS = 10
NAME_CHARS = 40


class APIError(Exception):
    """A request the API cannot serve; becomes `{"error": message, **fields}` with `status`
    and `headers` (`errors.answer`)."""

    def __init__(
        self, status: int, message: str, *, headers: dict | None = None, fields: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.fields = fields or {}


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than the parser's recursion limit."""


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


def field_names(fields: Iterable[str]) -> str:
    """The names received, for an error message: the first few in order, and how many more.

    "['image', 'label']"; "none" for none; for thousands, "['a', ..., 'j'] and 349,990 more",
    so a body with 350,000 keys does not get a 3 MB answer.
    """
    names = list(fields)
    if not names:
        return "none"
    first = heapq.nsmallest(LISTED_FIELDS, names)
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


def image_bytes() -> bytes:
    """The image a client sent: JSON field `image` (or `imageBase64`), the form field
    `imageBase64` (or `image`), or a file uploaded as `image`."""
    if request.mimetype == "application/json":
        payload = json_object(PREDICT_EXAMPLE)
        key = "imageBase64" if "imageBase64" in payload and "image" not in payload else "image"
        return _sent_image(payload.get(key, MISSING), payload)
    if request.mimetype in FORM_TYPES:
        upload = request.files.get("image")
        if upload is not None:
            return upload.read()
        value = request.form.get("imageBase64", request.form.get("image", MISSING))
        return _sent_image(value, request.form)
    received = f"'{request.mimetype}'" if request.mimetype else "no Content-Type"
    raise APIError(
        415,
        "Expected Content-Type application/json (or a form with field 'imageBase64'); "
        f"received {received}.",
    )


def _sent_image(value: object, fields: Iterable[str]) -> bytes:
    """The image in the field a prediction was sent in; 400 naming the fields when none was."""
    if value is MISSING:
        raise APIError(
            400,
            "Expected the drawing as a PNG data URL in field 'image' (JSON) or 'imageBase64' "
            f"(form); received fields {field_names(fields)}.",
        )
    return image_field(value, "Expected field 'image' to be a string (a data URL or base64 PNG)")


def image_field(value: object, expected: str) -> bytes:
    """The image bytes in a field holding a data URL or bare base64; 400 `expected` unless the
    field holds a string."""
    if not isinstance(value, str):
        received = "none" if value is MISSING else f"a JSON {json_type(value)}"
        raise APIError(400, f"{expected}; received {received}.")
    return preprocessing.decode_data_url(value)
