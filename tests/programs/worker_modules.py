"""The app as gunicorn serves it, wrapped to answer one more path: what the worker has imported.

    gunicorn -c gunicorn.conf.py "tests.programs.worker_modules:create_app()"   # from the checkout

GET /_test/modules answers {"pid": ..., "modules": [...]}: the worker process that took the
request, and the TensorFlow and Keras modules in its `sys.modules`. Every other request goes to
the app unchanged.
"""

import json
import os
import sys

from drawadigit import web

PATH = "/_test/modules"


def create_app():
    """The app (`web.create_app()`, configured from the environment) behind the wrapper."""
    app = web.create_app()

    def application(environ, start_response):
        if environ.get("PATH_INFO") != PATH:
            return app(environ, start_response)
        imported = sorted(m for m in sys.modules if m.startswith(("tensorflow", "keras")))
        body = json.dumps({"pid": os.getpid(), "modules": imported}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [body]

    return application
