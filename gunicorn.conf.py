"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py --bind 127.0.0.1:8000`.

Each worker builds the app (and so loads and warms up the model) when it starts, not at import
in the master. Workers and threads: WEB_CONCURRENCY and GUNICORN_THREADS override the defaults.

Chosen by measurement on a 2-core machine with the LiteRT runtime (1,500 drawings, load generator
alongside, clients=16): 2 workers x 2 threads served 609 req/s (p99 40 ms), 2 x 4 611 (p99 58),
3 x 2 590, 4 x 1 554, 1 x 4 426. Workers run the model with LiteRT and never import TensorFlow
(about 100 MB per worker, not 690). TensorFlow gets one thread per operation where it runs (training,
converting, FLASK_RUNTIME=tensorflow): a 28x28 digit is too small to split across cores.

Connections: each worker reads and writes them with waitress (FlaskApp/waitress_worker.py), so a
slow or idle client holds a socket, not one of the `threads`. Per worker at most
`worker_connections` are open; an idle one is closed after `keepalive` seconds, a request must
arrive whole within waitress_worker.REQUEST_TIMEOUT seconds of its first byte, and an answer left
unread is dropped after `keepalive` seconds. Further connections wait in the listen backlog.
"""

import os

os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

pythonpath = "FlaskApp"
wsgi_app = "flaskapp:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # one per core
worker_class = "waitress_worker.WaitressWorker"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "500"))
keepalive = 10  # seconds an idle connection stays open
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
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
    model = os.environ.get("MODEL_PATH") or os.path.join(os.path.dirname(__file__), "model.h5")
    if not os.path.exists(model) and server.num_workers > 1:
        server.log.warning("no %s yet: one worker trains it first; restart for more", model)
        server.num_workers = 1
