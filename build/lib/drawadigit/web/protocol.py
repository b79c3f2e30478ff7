"""How the app reads requests and writes JSON: bounded, in memory, and never NaN.

* `Request`: a body sent without Content-Length (chunked) is read up to MAX_CONTENT_LENGTH and
  refused with 413 beyond it, rather than silently cut there; an uploaded file stays in memory
  (the body is bounded anyway), so no request writes a temporary file.
* `JSONProvider`: refuses to write NaN or infinity (not JSON: `JSON.parse` fails on them) and
  to read them; a text nested too deeply to parse raises `api.JSONTooDeep`, not RecursionError.
"""

from __future__ import annotations

import io
import json
from typing import IO, Any

from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.utils import cached_property

from drawadigit.web.api import JSONConstant, JSONTooDeep

CHUNK = 64 * 1024


class Request(FlaskRequest):
    """Flask's request, with streamed bodies bounded and file uploads kept in memory."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body; a streamed one is read whole here, and 413 past MAX_CONTENT_LENGTH."""
        limit = self.max_content_length
        streamed = self.content_length is None and "wsgi.input_terminated" in self.environ
        if not streamed or limit is None:
            return super().stream  # Werkzeug's own checks: Content-Length against the limit
        source, chunks, size = self.environ["wsgi.input"], [], 0
        while size <= limit:  # one byte past the limit is enough to know
            try:
                chunk = source.read(min(CHUNK, limit + 1 - size))
            except (OSError, ValueError) as exc:  # a broken chunk, a client gone: as Werkzeug
                raise ClientDisconnected() from exc
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        return io.BytesIO(b"".join(chunks))

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        """Where an uploaded file goes while the form is parsed: memory, never a temporary file."""
        return io.BytesIO()


def _no_constant(name: str) -> None:
    """Refuse NaN, Infinity and -Infinity in a request body: they are not JSON."""
    raise JSONConstant(name)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, strict: no NaN or infinity either way, and a clear error for deep nesting."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """JSON text; ValueError for NaN or infinity anywhere in `obj`."""
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """The decoded value; ValueError for invalid JSON, NaN or infinity, and nesting too deep."""
        kwargs.setdefault("parse_constant", _no_constant)
        try:
            return json.loads(s, **kwargs)
        except RecursionError as exc:
            raise JSONTooDeep("JSON nested too deeply to read") from exc
