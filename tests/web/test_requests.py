"""Request bodies at the edges: streamed bodies past the limit, or broken off; forms with too
many parts or fields; JSON nested too deeply or too wide; field names cut in messages; uploads
kept in memory."""

from __future__ import annotations

import io
import json

import pytest

from tests.support import SEVEN, SEVEN_URL, assert_json_error

LIMIT = 4 * 1024 * 1024


def streamed(client, body: bytes, content_type: str, path: str = "/predict"):
    """POST `body` with no Content-Length, as a chunked request reaches the app."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def multipart(fields: dict[str, bytes], boundary: str = "b0undary") -> tuple[bytes, str]:
    """A multipart/form-data body with one file part per field."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data in fields.items()
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"image": "' + b"A" * LIMIT + b'"}', "application/json"),
        (b"imageBase64=" + b"A" * LIMIT, "application/x-www-form-urlencoded"),
        (multipart({"image": b"\0" * LIMIT}), None),
    ],
    ids=["json", "form", "multipart"],
)
def test_a_streamed_body_over_the_limit_gets_a_json_413(client, body, content_type):
    if isinstance(body, tuple):
        body, content_type = body
    message = assert_json_error(streamed(client, body, content_type), 413)
    assert f"at most {LIMIT:,} bytes" in message


def test_a_streamed_body_within_the_limit_is_read_whole(client):
    sent = json.dumps({"image": SEVEN_URL}).encode()
    answer = streamed(client, sent, "application/json")
    assert answer.status_code == 200
    assert answer.get_json() == client.post("/predict", json={"image": SEVEN_URL}).get_json()
    body, content_type = multipart({"image": SEVEN.png})
    assert streamed(client, body, content_type).status_code == 200


class BrokenStream(io.BytesIO):
    """A request body that fails midway, as a malformed chunk or a client gone does."""

    def read(self, size: int | None = -1) -> bytes:
        raise OSError("Invalid chunk header")


def test_a_streamed_body_that_breaks_off_gets_a_json_400(client):
    response = client.post(
        "/predict",
        input_stream=BrokenStream(),
        content_type="application/json",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_json_error(response, 400)


def test_a_streamed_correction_body_over_the_limit_gets_a_json_413(client):
    body = b'{"image": "' + b"A" * LIMIT + b'", "label": 7}'
    assert_json_error(streamed(client, body, "application/json", "/api/feedback"), 413)


def test_a_form_with_too_many_parts_gets_a_413_saying_so(client):
    body = b"".join(
        b'--x\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n1\r\n' % i for i in range(1200)
    )
    response = client.post(
        "/predict", data=body + b"--x--\r\n", content_type="multipart/form-data; boundary=x"
    )
    assert "Expected a form of at most 1,000 fields" in assert_json_error(response, 413)


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_100k_deep_gets_a_400_saying_so(client, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 100_000 + "1" + closing * 100_000
    response = client.post("/predict", data=body, content_type="application/json")
    assert "nested too deeply" in assert_json_error(response, 400)


def test_a_json_object_with_300k_keys_gets_a_short_400(client):
    body = json.dumps({f"{i:06d}": 0 for i in range(300_000)}, separators=(",", ":"))
    assert len(body) < LIMIT
    response = client.post("/predict", data=body, content_type="application/json")
    message = assert_json_error(response, 400)
    assert len(response.data) < 1000
    assert "received fields ['000000', '000001'," in message
    assert "'000009'] and 299,990 more" in message


def test_a_form_with_many_fields_gets_a_short_400(client):
    body = "&".join(f"f{i}=1" for i in range(50_000))
    response = client.post("/predict", data=body, content_type="application/x-www-form-urlencoded")
    assert len(response.data) < 1000 and "and 49,990 more" in assert_json_error(response, 400)


def test_long_field_names_are_cut_in_messages(client):
    response = client.post("/predict", json={"x" * 10_000: 1})
    message = assert_json_error(response, 400)
    assert f"['{'x' * 40}...']" in message and len(message) < 400


def test_a_multipart_upload_stays_in_memory(client, disk_writes):
    # Werkzeug spools a part to a temporary file once the body passes 500 KB.
    padded = SEVEN.png + b"\0" * (1024 * 1024)  # trailing bytes after IEND: still the seven
    body, content_type = multipart({"image": padded})
    response = client.post("/predict", data=body, content_type=content_type)
    assert response.status_code == 200 and response.get_json()["digit"] >= 0
    assert disk_writes == []


def test_uploaded_files_are_kept_in_bytesio(app):
    body, content_type = multipart({"image": b"\0" * (1024 * 1024)})
    with app.test_request_context(
        "/predict", method="POST", data=body, content_type=content_type
    ) as context:
        assert isinstance(context.request.files["image"].stream, io.BytesIO)
