"""What every response promises a browser: the security headers (errors and static files
included), CORS only for the origins listed, HSTS over HTTPS only, forwarded headers only from
trusted proxies, no client-supplied host in redirects; and what the server keeps: nothing on
disk, sizes and outcomes in the logs, never the drawing; no debugger."""

from __future__ import annotations

import base64
import logging

import pytest
from flask import request
from PIL import Image

from drawadigit import web
from drawadigit.web import security
from tests.support import SEVEN, assert_json_error, data_url, png_bytes, seven_in_mode

LIMIT = 4 * 1024 * 1024


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/", {}),
        ("GET", "/static/app.js", {}),
        ("GET", "/healthz", {}),
        ("GET", "/api/model", {}),
        ("GET", "/nowhere", {}),
        ("POST", "/predict", {"json": {"image": data_url(SEVEN.png)}}),
        ("POST", "/predict", {"json": {"image": 1}}),
        ("GET", "/predict", {}),
    ],
)
def test_every_response_carries_the_security_headers(client, method, path, kwargs):
    response = client.open(path, method=method, **kwargs)
    for name, value in security.SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    response.close()  # a static file is streamed from an open file


def test_cors_is_off_by_default(client):
    response = client.post(
        "/predict", json={"image": data_url(SEVEN.png)}, headers={"Origin": "https://other.example"}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_answers_only_the_listed_origins(make_app):
    app = make_app(CORS_ORIGINS=["https://friend.example"])
    client = app.test_client()
    friend = {"Origin": "https://friend.example"}
    answer = client.post("/predict", json={"image": data_url(SEVEN.png)}, headers=friend)
    assert answer.headers["Access-Control-Allow-Origin"] == "https://friend.example"
    preflight = client.options(
        "/predict",
        headers={
            **friend,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://friend.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    stranger = client.post(
        "/predict", json={"image": data_url(SEVEN.png)}, headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in stranger.headers
    assert "Access-Control-Allow-Origin" not in client.get("/", headers=friend).headers


def test_predict_writes_nothing_to_disk(shipped_client, disk_writes):
    for payload in (
        {"image": data_url(SEVEN.png)},
        {"image": data_url(png_bytes(seven_in_mode("CMYK"), "JPEG"))},
        {"image": data_url(b"not an image")},
        {"image": data_url(png_bytes(Image.new("L", (50, 50), 255)))},
    ):
        shipped_client.post("/predict", json=payload)
    assert disk_writes == []


def test_logs_hold_sizes_and_outcomes_never_what_the_user_sent(client, caplog):
    secret = base64.b64encode(SEVEN.png).decode()
    with caplog.at_level(logging.DEBUG):
        client.post("/predict", json={"image": "data:image/png;base64," + secret})
        client.post("/predict", json={"image": secret[:50] + "!!!"})
        client.post("/predict", data="imageBase64=" + secret[:80], content_type="text/plain")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "bytes" in logged  # the size and the outcome are logged ...
    for piece in (secret[:24], secret[24:48], secret[:50]):
        assert piece not in logged  # ... the drawing is not


def test_debug_mode_is_off_unless_asked_for(monkeypatch):
    calls = []

    class App:
        def run(self, **kwargs):
            calls.append(kwargs)

    monkeypatch.setattr(web, "create_app", lambda settings: App())
    web.main([])
    web.main(["--debug"])
    assert [c["debug"] for c in calls] == [False, True]


def test_the_app_itself_is_not_in_debug_mode(client):
    assert client.application.debug is False
    response = client.get("/nowhere")
    assert response.is_json and "Traceback" not in response.get_data(as_text=True)


def test_hsts_is_sent_over_https_and_never_over_http(client):
    secure = client.get("/healthz", base_url="https://digits.example")
    assert secure.headers["Strict-Transport-Security"] == security.HSTS
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    errors = client.get("/nowhere", base_url="https://digits.example")
    assert errors.headers["Strict-Transport-Security"] == security.HSTS


def test_forwarded_headers_count_only_from_trusted_proxies(make_app):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}

    def ask(proxies: int):
        app = make_app(TRUSTED_PROXIES=proxies)
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
    client = web.create_app().test_client()
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
