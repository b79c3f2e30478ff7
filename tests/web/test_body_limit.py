"""The body limit is one setting: under `make run` (gunicorn.conf.py and its waitress worker)
FLASK_MAX_CONTENT_LENGTH decides what the worker reads as well as what the app takes."""

from __future__ import annotations

import json

import pytest

from tests.support import SEVEN_URL, raw, started_gunicorn

MEGABYTE = 1024 * 1024


def five_megabyte_prediction() -> bytes:
    """A POST of a real drawing in a JSON body padded with whitespace (valid JSON) to 5 MB."""
    body = json.dumps({"image": SEVEN_URL}).encode()
    body += b" " * (5 * MEGABYTE - len(body))
    head = (
        "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@pytest.mark.parametrize(
    "limit, status",
    [(None, 413), (str(8 * MEGABYTE), 200)],
    ids=["default-4-MB", "raised-to-8-MB"],
)
def test_raising_max_content_length_lets_a_larger_body_through(tmp_path, limit, status):
    env = {"WEB_CONCURRENCY": "1"}
    if limit is not None:
        env["FLASK_MAX_CONTENT_LENGTH"] = limit
    args = ["-c", "gunicorn.conf.py"]
    with started_gunicorn(tmp_path, args, env) as (url, _, _):
        code, headers, body = raw(url, five_megabyte_prediction())
    assert code == status, body[:200]
    assert headers["Content-Type"] == "application/json"
    answer = json.loads(body)
    if status == 200:
        assert answer["digit"] == 7
    else:
        assert "error" in answer
