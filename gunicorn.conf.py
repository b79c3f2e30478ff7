"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py --bind 127.0.0.1:8000`.

Each worker builds the app (and so loads and warms up the model) when it starts, not at import
in the master. Every value that can be changed comes from `drawadigit.settings`, read from the
environment as the app reads it: BIND, WEB_CONCURRENCY (workers), GUNICORN_THREADS,
WORKER_CONNECTIONS; the defaults (2 workers x 2 threads) were chosen by measurement (README,
Serving). Workers run the model with LiteRT and never import TensorFlow; where TensorFlow runs
(training, converting, FLASK_RUNTIME=tensorflow) it gets one thread per operation: a 28x28
digit is too small to split across cores.

Connections: each worker reads and writes them with waitress (`drawadigit.web.waitress_worker`),
so a slow or idle client holds a socket, not one of the `threads`. Per worker at most
`worker_connections` are open; an idle one is closed after `keepalive` seconds, a request must
arrive whole within REQUEST_TIMEOUT seconds of its first byte, and an answer left unread is
dropped after `keepalive` seconds. Further connections wait in the listen backlog.
"""

import os
import sys

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

from drawadigit.settings import SettingsError, load  # noqa: E402 (after the threads are set)

try:
    SETTINGS = load()
except SettingsError as exc:  # one line, as the Flask server says it, no traceback
    sys.exit(f"error: {exc}")

wsgi_app = "drawadigit.web:create_app()"
bind = SETTINGS.bind
workers = SETTINGS.web_concurrency
worker_class = "drawadigit.web.waitress_worker.WaitressWorker"
worker_connections = SETTINGS.worker_connections
keepalive = 10  # seconds an idle connection stays open
threads = SETTINGS.gunicorn_threads
timeout = 60  # a worker whose every thread is stuck in the app this long is restarted
graceful_timeout = 10
# Bodies are limited by the app (4 MB); headers stay small.
limit_request_field_size = 8190
# Instances started side by side must not share (and delete) one control socket; none is used.
control_socket_disable = True
accesslog = None  # request logging adds nothing the app does not log itself
errorlog = "-"
loglevel = "info"


def on_starting(server):
    """With no model file yet, one worker trains it (and answers 503 meanwhile), not each."""
    model = SETTINGS.model_path
    if not model.exists() and server.num_workers > 1:
        server.log.warning("no %s yet: one worker trains it first; restart for more", model)
        server.num_workers = 1
