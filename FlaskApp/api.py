"""What the JSON API's routes share: the error they raise and reading a JSON object body."""

from __future__ import annotations

from flask import request

MISSING = object()  # a field that was not sent at all, as opposed to one sent as null


class APIError(Exception):
    """A request the API cannot serve; becomes `{"error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def json_object(example: str) -> dict:
    """The request's JSON object body; 400 when it is not valid JSON or not an object."""
    payload = request.get_json(silent=True)
    if payload is None:
        raise APIError(
            400,
            f"Expected a JSON object like {example}; "
            f"received {request.content_length or 0} bytes that are not valid JSON.",
        )
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
