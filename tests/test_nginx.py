"""deploy/nginx.conf in front of `make run`'s server: drawings pass, slow headers are cut, and
nginx's own errors are JSON with the security headers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT, started_gunicorn
from tests.support.servers import closed_within, connect, fetch, free_port, healthy, raw

NGINX = Path("/usr/sbin/nginx")

pytestmark = pytest.mark.usefixtures("shipped_model")  # `server` serves it


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`make run`'s server, one worker."""
    folder = tmp_path_factory.mktemp("server")
    with started_gunicorn(folder, env={"WEB_CONCURRENCY": "1"}) as (url, _, _):
        yield url


@pytest.fixture(scope="module")
def nginx(server, tmp_path_factory):
    """deploy/nginx.conf in front of `server`, on a free port, its header timeout 2 s."""
    if not NGINX.exists():
        pytest.fail("nginx is missing: `make system-packages` installs Debian's nginx")
    prefix, port = tmp_path_factory.mktemp("nginx"), free_port()
    (prefix / "nginx.conf").write_text(nginx_config(server, port))
    command = [str(NGINX), "-p", str(prefix), "-c", "nginx.conf", "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        healthy(url, process, 10)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def nginx_config(server: str, port: int) -> str:
    """deploy/nginx.conf with `server` its one upstream, listening on `port`, its header
    timeout 2 s."""
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = [line for line in config.splitlines() if line.strip().startswith("server 127.")]
    config = config.replace(upstreams[0], f"        server {server.removeprefix('http://')};")
    config = config.replace(upstreams[1] + "\n", "")
    config = config.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};")
    config = config.replace("client_header_timeout 10s;", "client_header_timeout 2s;")
    if os.geteuid() == 0:  # as root, nginx's workers would run as nobody, outside the prefix
        config = "user root;\n" + config
    return config


def test_nginx_passes_drawings_to_the_app(nginx, server, sketch_body):
    status, headers, body = fetch(nginx + "/predict", sketch_body)
    assert status == 200 and "digit" in json.loads(body)
    # No header gives away an instance's address (X-Upstream did).
    address = server.removeprefix("http://")
    assert "X-Upstream" not in headers
    assert not [name for name, value in headers.items() if address in value]


def test_nginx_cuts_slow_headers_and_answers_its_own_errors_as_json(nginx):
    slow = connect(nginx)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    try:
        assert closed_within(slow, 10) is not None
    finally:
        slow.close()
    big = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    code, headers, body = raw(nginx, big + b"Content-Length: 5000000\r\n\r\n")
    assert code == 413 and headers["Content-Type"] == "application/json"
    assert "X-Content-Type-Options" in headers and "4 MB" in json.loads(body)["error"]
