"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py --bind 127.0.0.1:8000`.

Each worker builds the app (and so loads and warms up the model) when it starts, not at import
in the master. Workers and threads: WEB_CONCURRENCY and GUNICORN_THREADS override the defaults.
"""

import os

pythonpath = "FlaskApp"
wsgi_app = "flaskapp:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 10
# Bodies are limited by the app (4 MB); headers stay small.
limit_request_field_size = 8190
accesslog = None  # request logging adds nothing the app does not log itself
errorlog = "-"
loglevel = "info"


def on_starting(server):
    """With no model file yet, one worker trains it (and answers 503 meanwhile), not each."""
    model = os.environ.get("MODEL_PATH") or os.path.join(os.path.dirname(__file__), "model.h5")
    if not os.path.exists(model) and server.num_workers > 1:
        server.log.warning("no %s yet: one worker trains it first; restart for more", model)
        server.num_workers = 1
