"""What the JSON API's routes share: the error they raise, reading a JSON object body, and
naming the fields received in a message (`field_names`)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from flask import current_app, request

MISSING = object()  # a field that was not sent at all, as opposed to one sent as null
# An error message lists at most this many of the fields received, each cut to NAME_CHARS.
LISTED_FIELDS = 10
NAME_CHARS = 40


class APIError(Exception):
    """A request the API cannot serve; becomes `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than the parser's recursion limit."""


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
