"""A WSGI app whose /hang never returns: for testing that a stuck worker is restarted."""

import os
import threading

FOREVER = threading.Event()


def app(environ, start_response):
    if environ["PATH_INFO"] == "/hang":
        FOREVER.wait()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
