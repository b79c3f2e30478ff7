"""The one way every error leaves the app: `{"error": "..."}` JSON with a fitting status.

Views raise `api.APIError`; every other exception a request may end in is translated into one
(`TRANSLATIONS` here; the corrections add their storage errors with `register`) and answered by
`answer`, so the status, the body and the headers are made in one place.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from drawadigit.model.serving import ModelFailed, ModelUnavailable
from drawadigit.reading import image_formats, preprocessing
from drawadigit.web.api import APIError

logger = logging.getLogger(__name__)

Translate = Callable[[Exception], APIError]


def answer(exc: APIError) -> tuple[Response, int]:
    """The JSON answer to an error: its message and extra members, its status and headers."""
    response = jsonify({"error": exc.message, **exc.extra})
    response.headers.update(exc.headers)
    return response, exc.status


def register(app: Flask, translations: Mapping[type, Translate]) -> None:
    """Answer each kind of exception as its translation says."""
    for kind, translate in translations.items():
        app.register_error_handler(kind, functools.partial(_translated, translate))


def _translated(translate: Translate, exc: Exception) -> tuple[Response, int]:
    return answer(translate(exc))


def http_error(exc: HTTPException) -> APIError:
    """Werkzeug's errors (404, 405, 413, ...), saying what was expected."""
    if exc.code == 413:
        return APIError(413, too_large_message())
    if exc.code == 405:
        allowed = ", ".join(sorted(exc.valid_methods or []))
        return APIError(405, f"Expected {allowed} for {request.path}; received {request.method}.")
    return APIError(exc.code or 500, exc.description or exc.name)


def too_large_message() -> str:
    """Which of Werkzeug's limits a 413 met: the body's size, or a form's parts."""
    limit, length = request.max_content_length, request.content_length
    if limit is not None and (length is None or length > limit):
        received = "more, in chunks" if length is None else f"{length:,} bytes"
        return f"Expected a request body of at most {limit:,} bytes; received {received}."
    # The body fits: a form broke MAX_FORM_PARTS or MAX_FORM_MEMORY_SIZE.
    parts, memory = (
        f"{n:,}" if n else "any number of"
        for n in (request.max_form_parts, request.max_form_memory_size)
    )
    return (
        f"Expected a form of at most {parts} fields of at most {memory} bytes each; "
        "received a form beyond that."
    )


def unexpected(exc: Exception) -> APIError:
    """Anything else: logged with its traceback, answered without it."""
    logger.exception("unexpected error on %s %s", request.method, request.path)
    return APIError(500, "Internal error while handling the request; it has been logged.")


TRANSLATIONS: dict[type, Translate] = {
    preprocessing.ImageTooLarge: lambda exc: APIError(413, str(exc)),
    preprocessing.UnsupportedFormat: lambda exc: APIError(
        415, str(exc), extra={"accepted": list(image_formats.NAMES.values())}
    ),
    preprocessing.ImageError: lambda exc: APIError(400, str(exc)),
    preprocessing.NothingDrawn: lambda exc: APIError(422, str(exc)),
    ModelUnavailable: lambda exc: APIError(503, str(exc), extra=exc.status),
    ModelFailed: lambda exc: APIError(500, str(exc)),  # `serving` has logged what it answered
    HTTPException: http_error,
    Exception: unexpected,
}


def init_app(app: Flask) -> None:
    """Every error, expected or not, leaves as JSON `{"error": ...}`."""
    app.register_error_handler(APIError, answer)
    register(app, TRANSLATIONS)
