"""`make run`'s server (gunicorn, waitress worker) against slow, idle and malformed clients."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
from pathlib import Path

import pytest

from tests.support import closed_within, connect, fetch, raw, started_gunicorn, wait_until

SECURITY = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")


@contextlib.contextmanager
def gunicorn(tmp_path: Path, args: tuple[str, ...] = (), **env: str):
    """`make run`'s server (gunicorn.conf.py, then `args`) on a free port; its URL and process."""
    with started_gunicorn(tmp_path, ["-c", "gunicorn.conf.py", *args], env) as (url, process, _):
        yield url, process


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One worker with two threads; requests must arrive within 2 s, idle ones close after 2 s."""
    tmp_path = tmp_path_factory.mktemp("server")
    env = {
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "REQUEST_TIMEOUT": "2",
        "GUNICORN_CMD_ARGS": "--keep-alive 2",
    }
    with gunicorn(tmp_path, **env) as (url, _):
        yield url


class Trickle:
    """Connections that send a byte at a time (or never read), until stopped; `trickling` is set
    once each has sent a byte past its opening."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sockets: list[socket.socket] = []
        self.stop = threading.Event()
        self.trickling = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self, kind: str, n: int) -> None:
        host = self.url.removeprefix("http://")
        for _ in range(n):
            s = connect(self.url)
            if kind == "header":
                s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n".encode())
            elif kind == "body":
                head = "POST /predict HTTP/1.1\r\nContent-Type: application/json\r\n"
                s.sendall(f"{head}Host: {host}\r\nContent-Length: 50000\r\n\r\n".encode())
            else:  # asks for the script again and again and never reads the answers
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.sendall(f"GET /static/app.js HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() * 64)
            self.sockets.append(s)

    def run(self) -> None:
        while not self.stop.wait(0.5):  # a byte every 0.5 s: the slowness under test
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.send(b"X")
            self.trickling.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        for s in self.sockets:
            s.close()


@pytest.mark.usefixtures("shipped_model")
def test_slow_and_idle_clients_hold_no_thread(server, sketch_body):
    # Far more slow connections than the worker has threads: the app must not notice them.
    with Trickle(server) as trickle:
        trickle.open("header", 24)
        trickle.open("body", 8)
        trickle.open("never-reading", 8)
        assert trickle.trickling.wait(10)
        answers = [fetch(server + "/predict", sketch_body, timeout=5)[0] for _ in range(20)]
        health = fetch(server + "/healthz", timeout=5)[0]
    assert answers == [200] * 20 and health == 200


@pytest.mark.usefixtures("shipped_model")
def test_a_request_still_arriving_after_the_deadline_is_cut(server):
    host = server.removeprefix("http://")
    header = connect(server)
    header.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n".encode())
    body = connect(server)
    body.sendall(f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Length: 900\r\n\r\n".encode())
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.3):  # a byte every 0.3 s: the slowness under test
            for s in (header, body):
                with contextlib.suppress(OSError):
                    s.send(b"X")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        # Still sending, a byte every 0.3 s: cut 2 s (REQUEST_TIMEOUT) after the first byte.
        assert closed_within(header, 10) is not None
        assert closed_within(body, 10) is not None
    finally:
        stop.set()
        thread.join()
        header.close()
        body.close()


@pytest.mark.usefixtures("shipped_model")
def test_an_idle_connection_is_closed_after_keepalive(server):
    idle = connect(server)
    try:
        took = closed_within(idle, 10)
    finally:
        idle.close()
    assert took is not None and took >= 1.5


@pytest.mark.usefixtures("shipped_model")
def test_an_answer_left_unread_is_dropped(server):
    unread = connect(server)
    host = server.removeprefix("http://")
    unread.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    with contextlib.suppress(OSError):
        for _ in range(400):
            unread.sendall(f"GET /static/app.js HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    try:
        # Never read: the buffers on both sides fill, then nothing moves for 2 s (keepalive).
        assert dropped_within(unread, 30)
    finally:
        unread.close()


def dropped_within(s: socket.socket, seconds: float) -> bool:
    """Whether the server closed its end of `s` (reading nothing from it) within `seconds`.

    Its FIN waits behind the unread answers, so the client cannot see it: the server's end of
    the connection, in /proc/net/tcp, leaves ESTABLISHED when the server closes it.
    """
    ours, theirs = s.getsockname()[1], s.getpeername()[1]
    return wait_until(lambda: server_end_state(theirs, ours) != ESTABLISHED, seconds)


ESTABLISHED = "01"  # the kernel's TCP states, as /proc/net/tcp writes them


def server_end_state(server_port: int, client_port: int) -> str | None:
    """The TCP state of the server's end of a local connection; None once it is gone."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        if (
            int(local.split(":")[1], 16) == server_port
            and int(remote.split(":")[1], 16) == client_port
        ):
            return state
    return None


@pytest.mark.parametrize(
    "data, status",
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 33_000 + b"\r\n\r\n", 431),
        (
            b"POST /predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + (b"100000\r\n" + b"a" * 0x100000 + b"\r\n") * 4
            + b"20000\r\n"
            + b"a" * 0x20000
            + b"\r\n"
            + b"0\r\n\r\n",
            413,
        ),
    ],
    ids=["malformed", "headers-too-large", "chunked-body-too-large"],
)
@pytest.mark.usefixtures("shipped_model")
def test_the_servers_own_errors_are_json_with_the_security_headers(server, data, status):
    code, headers, body = raw(server, data)
    assert code == status
    assert headers["Content-Type"] == "application/json"
    assert all(name in headers for name in SECURITY)
    assert "error" in json.loads(body)


@pytest.mark.usefixtures("shipped_model")
def test_two_instances_share_no_control_socket(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"WEB_CONCURRENCY": "1", "HOME": str(home)}
    with gunicorn(tmp_path, **env) as (first, _), gunicorn(tmp_path, **env) as (second, process):
        process.terminate()
        process.wait(timeout=30)
        assert fetch(first + "/healthz")[0] == 200
    assert not list(home.rglob("*.ctl")), "a control socket was created"


@pytest.mark.usefixtures("shipped_model")
def test_workers_restart_on_hup_and_stop_cleanly_on_term(tmp_path):
    env = {"WEB_CONCURRENCY": "1"}
    with started_gunicorn(tmp_path, env=env) as (url, process, log):
        process.send_signal(signal.SIGHUP)  # new workers; the old one finishes and exits
        assert wait_until(lambda: hup_done(log.read_text()), 60), log.read_text()[-3000:]
        assert fetch(url + "/healthz", timeout=60)[0] == 200  # once the new worker has loaded
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def hup_done(log: str) -> bool:
    """Whether gunicorn's log says the worker before the HUP exited and a new one booted."""
    return log.count("Booting worker with pid") >= 2 and "Worker exiting" in log


def test_a_worker_whose_every_thread_is_stuck_in_the_app_is_restarted(tmp_path):
    env = {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
    args = ["--timeout", "3", "tests.programs.hanging_app:app"]
    with gunicorn(tmp_path, args=args, **env) as (url, _):
        first = fetch(url + "/pid")[2]

        def hang():
            with contextlib.suppress(OSError):  # the worker is killed under it
                fetch(url + "/hang", timeout=30)

        hanging = [threading.Thread(target=hang) for _ in range(2)]  # both threads
        for thread in hanging:
            thread.start()

        def another_worker() -> bool:
            with contextlib.suppress(OSError):
                return fetch(url + "/pid", timeout=1)[2] != first
            return False

        if not wait_until(another_worker, 30):
            pytest.fail("the stuck worker was not restarted within 30 s")
        for thread in hanging:
            thread.join()
