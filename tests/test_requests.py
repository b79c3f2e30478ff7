"""Requests at the edges: streamed bodies past the limit, deep or wide JSON, uploads kept in
memory, HSTS behind a proxy, no client-supplied host in redirects, errors always JSON."""

from __future__ import annotations

import io
import json

import flaskapp
import pytest
import security
from flask import request
from support import SEVEN, SEVEN_URL
from test_robustness import DiskWrites, disk_writes  # noqa: F401  (a fixture)

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


def assert_json_error(response, status: int) -> str:
    """A JSON error with the status and the security headers; its message."""
    assert response.status_code == status, response.data[:300]
    assert response.is_json, response.data[:300]
    for name, value in security.SECURITY_HEADERS.items():
        assert response.headers[name] == value
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]
    return body["error"]


# --- bodies --------------------------------------------------------------------------------


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


def test_a_streamed_feedback_body_over_the_limit_gets_a_json_413(client):
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


def test_a_multipart_upload_stays_in_memory(client, disk_writes):  # noqa: F811
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


# --- headers and redirects -----------------------------------------------------------------


def test_hsts_is_sent_over_https_and_never_over_http(client):
    secure = client.get("/healthz", base_url="https://digits.example")
    assert secure.headers["Strict-Transport-Security"] == security.HSTS
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    errors = client.get("/nowhere", base_url="https://digits.example")
    assert errors.headers["Strict-Transport-Security"] == security.HSTS


def test_forwarded_headers_count_only_from_trusted_proxies(tiny_model_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}

    def ask(proxies: int):
        app = flaskapp.create_app(
            {
                "MODEL_PATH": str(tiny_model_path),
                "TRAIN_IF_MISSING": False,
                "TRUSTED_PROXIES": proxies,
            }
        )
        seen = {}
        app.before_request(lambda: seen.update(addr=request.remote_addr))
        return app.test_client().get("/healthz", headers=forwarded), seen["addr"]

    plain, addr = ask(0)  # by default anyone could send these headers: they are ignored
    assert "Strict-Transport-Security" not in plain.headers and addr == "127.0.0.1"
    proxied, addr = ask(1)  # behind one TLS-terminating proxy, they are the proxy's
    assert proxied.headers["Strict-Transport-Security"] == security.HSTS
    assert addr == "203.0.113.9"


def test_trusted_proxies_can_be_set_from_the_environment(tiny_model_path, monkeypatch):
    monkeypatch.setenv("MODEL_PATH", str(tiny_model_path))
    monkeypatch.setenv("FLASK_TRAIN_IF_MISSING", "false")
    monkeypatch.setenv("FLASK_TRUSTED_PROXIES", "1")
    client = flaskapp.create_app().test_client()
    answer = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers["Strict-Transport-Security"] == security.HSTS


@pytest.mark.parametrize(
    ("path", "query", "location"),
    [
        ("/api//model", "", "/api/model"),
        ("/api//model", "x=1", "/api/model?x=1"),
        ("//api//model", "", "/api/model"),
    ],
)
def test_automatic_redirects_never_name_the_clients_host(client, path, query, location):
    response = client.get(
        "/",
        environ_overrides={"PATH_INFO": path, "QUERY_STRING": query},
        headers={"Host": "evil.example"},
    )
    assert response.status_code == 308 and response.headers["Location"] == location
    assert "evil" not in str(response.headers) and b"evil" not in response.data
    assert response.is_json and response.get_json() == {"location": response.headers["Location"]}
    for name, value in security.SECURITY_HEADERS.items():
        assert response.headers[name] == value


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/nowhere", {}, 404),
        ("GET", "/static/nowhere.js", {}, 404),
        ("GET", "/%ff%fe", {}, 404),
        ("DELETE", "/predict", {}, 405),
        ("PUT", "/healthz", {}, 405),
        ("POST", "/predict", {"data": b"x" * (LIMIT + 1), "content_type": "application/json"}, 413),
        ("POST", "/predict", {"data": b"x", "content_type": "image/png"}, 415),
        ("POST", "/predict", {"data": b"[1", "content_type": "application/json"}, 400),
    ],
)
def test_every_error_is_json_with_the_security_headers(client, method, path, kwargs, status):
    assert_json_error(client.open(path, method=method, **kwargs), status)
