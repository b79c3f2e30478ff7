"""A gunicorn worker whose connections waitress reads and writes: slow clients hold no thread.

Gunicorn keeps what it is good at (processes: forking, restarting a dead worker, signals,
heartbeats); waitress reads each connection in one event loop and hands a request to an
application thread only once it has arrived whole, and the thread leaves the answer in a buffer
that the loop writes out as the client reads. So a client that sends its headers a byte a second,
trickles its body, or never reads its answer costs a socket, not a thread.

On top of waitress's own limits this worker cuts, every second:
- a request still arriving REQUEST_TIMEOUT seconds (`settings`) after its first byte (slow
  headers or body);
- a connection where nothing has moved for `keepalive` seconds (gunicorn's setting): idle, or
  its answers left unread, in waitress's buffer or the kernel's (waitress closes idle ones itself
  only once their socket can be written to);
and it answers waitress's own errors (a malformed request, headers or body too large) as JSON with
the app's security headers, like every other error the server sends. Its heartbeat to gunicorn
stops once every application thread has been inside the app for longer than `timeout`, so that
gunicorn restarts a worker stuck there, as it would a sync one.

Settings come from gunicorn.conf.py: `threads` (application threads per worker),
`worker_connections` (open connections per worker), `keepalive` (idle seconds),
`limit_request_field_size` (and `limit_request_fields`: the header budget), `graceful_timeout`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

from gunicorn.workers.base import Worker
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer, UnixWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.wasyncore import loop

from drawadigit import settings
from drawadigit.web.security import SECURITY_HEADERS

FRAMING = 64 * 1024  # bytes a multipart form's framing may add to the largest body the app takes
IN_MEMORY_BODY = 1024 * 1024  # bodies above this wait in an unlinked temporary file


class JSONErrorTask(ErrorTask):
    """Waitress's own error answers (400, 413, 431, ...) as JSON with the security headers."""

    def execute(self):
        error = self.request.error
        body = json.dumps({"error": f"{error.reason}: {error.body}"}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.response_headers.extend(SECURITY_HEADERS.items())
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class Channel(HTTPChannel):
    """One connection; remembers when the request it is reading began to arrive."""

    error_task_class = JSONErrorTask
    request_began: float | None = None

    def received(self, data):
        reading = self.request
        result = super().received(data)
        if self.request is None:
            self.request_began = None
        elif self.request is not reading or self.request_began is None:
            self.request_began = time.monotonic()
        return result

    def overdue(self, now: float, idle: float, arrive_within: float) -> str | None:
        """Why this connection should be cut now, or None: a request still arriving
        `arrive_within` seconds after its first byte, or nothing moving for `idle` seconds."""
        if self.requests:  # the app is answering it
            return None
        if self.request_began is not None and now - self.request_began > arrive_within:
            return "request still arriving"
        # Nothing read or written for a while: idle, or its answers left unread (in waitress's
        # buffer, or in the kernel's, where waitress's own idle close never gets to run).
        if time.time() - self.last_activity > idle + 1:
            return "no progress"
        return None


class TcpServer(TcpWSGIServer):
    channel_class = Channel


class UnixServer(UnixWSGIServer):
    channel_class = Channel


class WaitressWorker(Worker):
    """Gunicorn worker: waitress's event loop and thread pool around the app."""

    def adjustments(self, app_settings: settings.Settings) -> Adjustments:
        """Waitress's settings from gunicorn's, and its body limit from the app's: the largest
        body the app takes (MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE) and a form's framing."""
        cfg = self.cfg
        largest = max(app_settings.max_content_length, app_settings.max_form_memory_size)
        return Adjustments(
            threads=cfg.threads,
            connection_limit=cfg.worker_connections,
            channel_timeout=cfg.keepalive,
            cleanup_interval=1,
            max_request_header_size=cfg.limit_request_field_size * 4,
            max_request_body_size=largest + FRAMING,
            inbuf_overflow=IN_MEMORY_BODY,
            backlog=cfg.backlog,
            ident="",  # no Server header
            asyncore_use_poll=True,  # select() stops at 1,024 descriptors
            clear_untrusted_proxy_headers=False,  # the app decides whom to trust (TRUSTED_PROXIES)
            log_socket_errors=False,
            expose_tracebacks=False,
        )

    in_app = 0  # requests inside the app right now
    left_app = 0.0  # monotonic: when a request last came out of it
    request_timeout: float  # seconds for a request to arrive whole (settings), read in run()

    def counted(self, environ, start_response):
        """The app, counting the requests inside it (for the heartbeat)."""
        with self.app_lock:
            self.in_app += 1
        try:
            return self.wsgi(environ, start_response)
        finally:
            with self.app_lock:
                self.in_app -= 1
                self.left_app = time.monotonic()

    def stuck(self, threads: int) -> bool:
        """Whether every thread has been inside the app for longer than gunicorn's `timeout`."""
        return self.in_app >= threads and time.monotonic() - self.left_app > self.cfg.timeout

    def run(self) -> None:
        # Waitress warns whenever a request waits for a thread; gunicorn's log is not the place.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        self.app_lock, self.left_app = threading.Lock(), time.monotonic()
        app_settings = settings.load()
        self.request_timeout = app_settings.request_timeout
        adj = self.adjustments(app_settings)
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(adj.threads)
        channels: dict = {}
        servers = []
        for listener in self.sockets:
            sock = listener.sock
            server_class = UnixServer if sock.family == socket.AF_UNIX else TcpServer
            sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
            servers.append(
                server_class(
                    self.counted,
                    map=channels,
                    _sock=sock,
                    dispatcher=dispatcher,
                    adj=adj,
                    bind_socket=False,
                    sockinfo=sockinfo,
                )
            )
        try:
            self.serve(servers, channels, adj)
        finally:
            dispatcher.shutdown(timeout=self.cfg.graceful_timeout)

    def serve(self, servers: list, channels: dict, adj: Adjustments) -> None:
        """Run the loop until told to stop, then finish the answers under way."""
        stop_by, checked = None, 0.0
        while True:
            loop(timeout=1, map=channels, use_poll=True, count=1)
            if time.monotonic() - checked < 1 and self.alive:
                continue  # the checks below run once a second, not once a poll
            checked = time.monotonic()
            if not self.stuck(adj.threads):  # else the heartbeat stops: gunicorn restarts us
                self.notify()
            self.cut_overdue(channels, adj.channel_timeout)
            if self.alive and self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                self.alive = False
            if not self.alive:
                if stop_by is None:  # stop accepting; let the answers under way finish
                    stop_by = time.monotonic() + self.cfg.graceful_timeout
                    for server in servers:
                        server.accepting = False
                        server.del_channel()
                busy = any(isinstance(c, Channel) and c.requests for c in channels.values())
                if not busy or time.monotonic() > stop_by:
                    return

    def cut_overdue(self, channels: dict, idle: float) -> None:
        """Close the connections that are too slow to keep."""
        now = time.monotonic()
        for channel in list(channels.values()):
            if not isinstance(channel, Channel):  # a listening socket
                continue
            if reason := channel.overdue(now, idle, self.request_timeout):
                self.log.debug("closing %s: %s", channel.addr, reason)
                channel.handle_close()
