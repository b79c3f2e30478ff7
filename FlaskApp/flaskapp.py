"""The Flask app: a page to draw a digit on, and a JSON API around a model loaded once.

    python FlaskApp/flaskapp.py [--host 127.0.0.1] [--port 5000]

Requests flow one way: view -> reading (segment, normalise, model, refuse) -> JSON. Every error
leaves through one handler as JSON `{"error": "..."}` with a fitting status and the security
headers; request bodies stay in memory and within MAX_CONTENT_LENGTH (`protocol`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from urllib.parse import urlsplit

import feedback_views
import mnist
import modelfile
import preprocessing
import protocol
from api import MISSING, APIError, field_names, json_object, json_type
from flask import Flask, jsonify, render_template, request
from flask_cors import CORS
from serving import ModelFailed, ModelService, ModelUnavailable, TrainingSettings
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app around its model: defaults, then environment or `test_config`."""
    app = Flask(__name__, instance_relative_config=True)
    app.request_class = protocol.Request
    app.json = protocol.JSONProvider(app)
    app.config.from_mapping(
        MODEL_PATH=str(modelfile.DEFAULT_MODEL_PATH),
        MNIST_DIR=str(modelfile.DEFAULT_MNIST_DIR),
        MNIST_MIRRORS=mnist.DEFAULT_MIRRORS,
        TRAIN_IF_MISSING=True,
        TRAIN_EPOCHS=None,  # None: the default architecture's own recipe
        TRAIN_LIMIT=None,
        # "auto": LiteRT when installed (no TensorFlow in the server), else "tensorflow".
        RUNTIME="auto",
        MODEL_CACHE_DIR=None,  # the converted model; default: the instance folder's models/
        # Where people's corrections go: sqlite:///... or postgresql://...; default: SQLite in
        # the instance folder (feedback.sqlite3).
        DATABASE_URL=None,
        MAX_CONTENT_LENGTH=4 * MEGABYTE,
        MAX_FORM_MEMORY_SIZE=4 * MEGABYTE,
        # Other origins (pages on other sites) allowed to call the API; none by default.
        CORS_ORIGINS=[],
        # Proxies in front (nginx, a TLS terminator) whose X-Forwarded-For and -Proto are
        # believed; 0: none, the headers are ignored (anyone could send them).
        TRUSTED_PROXIES=0,
    )
    if test_config is None:
        # FLASK_* variables (FLASK_MAX_CONTENT_LENGTH=...), plus the four the README documents.
        app.config.from_prefixed_env()
        for name in ("MODEL_PATH", "MNIST_DIR", "MNIST_MIRRORS", "DATABASE_URL"):
            if os.environ.get(name):
                app.config[name] = os.environ[name]
        if os.environ.get("FLASK_REVIEW_TOKEN"):  # as written: a token of digits is no number
            app.config["REVIEW_TOKEN"] = os.environ["FLASK_REVIEW_TOKEN"]
    else:
        app.config.from_mapping(test_config)
    if isinstance(app.config["MNIST_MIRRORS"], str):  # "https://a/ https://b/", as documented
        app.config["MNIST_MIRRORS"] = mnist.parse_mirrors(app.config["MNIST_MIRRORS"])

    training = None
    if app.config["TRAIN_IF_MISSING"]:
        training = TrainingSettings(
            mnist_dir=app.config["MNIST_DIR"],
            mirrors=tuple(app.config["MNIST_MIRRORS"]),
            epochs=app.config["TRAIN_EPOCHS"] and int(app.config["TRAIN_EPOCHS"]),
            limit=app.config["TRAIN_LIMIT"],
        )
    service = ModelService(
        app.config["MODEL_PATH"],
        training,
        runtime=app.config["RUNTIME"],
        cache_dir=app.config["MODEL_CACHE_DIR"] or os.path.join(app.instance_path, "models"),
    )
    service.start()  # a broken model file stops start-up here, with a message that says why
    app.extensions["digit_model"] = service

    feedback_views.init_app(app)
    register_errors(app)
    register_routes(app)
    register_security(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:  # the scheme and client address the proxy saw, for HSTS and per-client limits
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    return app


# Sent with every response: nothing but this origin's own files runs, nothing frames the page.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Sent only on requests that arrived over HTTPS: browsers then refuse plain HTTP for two years.
HSTS = "max-age=63072000"


def register_security(app: Flask) -> None:
    """Security headers on every response; CORS only for the origins listed in CORS_ORIGINS."""
    origins = app.config["CORS_ORIGINS"]
    if isinstance(origins, str):  # FLASK_CORS_ORIGINS="https://a.example https://b.example"
        origins = origins.split()
    if origins:
        CORS(app, resources={r"/predict": {}, r"/api/*": {}}, origins=list(origins))

    @app.before_request
    def relative_redirects():
        # Werkzeug's automatic redirects (//healthz -> /healthz) would name the Host header the
        # client sent: answer with a path on this server instead.
        if isinstance(request.routing_exception, RequestRedirect):
            target = urlsplit(request.routing_exception.new_url)
            location = "/" + target.path.lstrip("/") + (f"?{target.query}" if target.query else "")
            response = jsonify({"location": location})
            response.status_code = request.routing_exception.code
            response.headers["Location"] = location
            return response
        return None

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:  # never over plain HTTP, where an attacker could forge it
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def register_routes(app: Flask) -> None:
    """The page, the prediction API, the model card and the health check."""

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.post("/predict")
    def predict():
        started = time.perf_counter()
        data = image_bytes_from_request()
        read = app.extensions["digit_model"].read(data)
        result = read.as_dict()
        result["model_input"] = preprocessing.to_data_url(preprocessing.to_png(read.field))
        logger.debug(
            "predict: %d bytes -> %s %r in %.1f ms",
            len(data),
            read.reading,
            read.number,
            (time.perf_counter() - started) * 1000,
        )
        return jsonify(result)

    @app.get("/api/model")
    def model_card():
        return jsonify(app.extensions["digit_model"].describe())

    @app.get("/healthz")
    def healthz():
        status = app.extensions["digit_model"].status()
        return jsonify(status), 200 if status["state"] == "ready" else 503


def register_errors(app: Flask) -> None:
    """Every error, expected or not, leaves as JSON `{"error": ...}`."""

    def error(status: int, message: str, **extra):
        return jsonify({"error": message, **extra}), status

    @app.errorhandler(APIError)
    def api_error(exc: APIError):
        return error(exc.status, exc.message)

    @app.errorhandler(preprocessing.ImageTooLarge)
    def image_too_large(exc):
        return error(413, str(exc))

    @app.errorhandler(preprocessing.ImageError)
    def bad_image(exc):
        return error(400, str(exc))

    @app.errorhandler(preprocessing.NothingDrawn)
    def nothing_drawn(exc):
        return error(422, str(exc))

    @app.errorhandler(ModelUnavailable)
    def model_unavailable(exc: ModelUnavailable):
        return error(503, str(exc), **exc.status)

    @app.errorhandler(ModelFailed)
    def model_failed(exc: ModelFailed):
        return error(500, str(exc))  # `serving` has logged what the model answered

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413:
            return error(413, too_large_message())
        if exc.code == 405:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            return error(405, f"Expected {allowed} for {request.path}; received {request.method}.")
        return error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error(500, "Internal error while handling the request; it has been logged.")


def too_large_message() -> str:
    """Which of Werkzeug's limits a 413 met: the body's size, or a form's fields."""
    limit, length = request.max_content_length, request.content_length
    if limit is not None and (length is None or length > limit):
        received = "more, in chunks" if length is None else f"{length:,} bytes"
        return f"Expected a request body of at most {limit:,} bytes; received {received}."
    # The body fits: a form broke MAX_FORM_PARTS or MAX_FORM_MEMORY_SIZE.
    parts, memory = (
        f"{n:,}" if n else "any number of"
        for n in (request.max_form_parts, request.max_form_memory_size)
    )
    return (
        f"Expected a form of at most {parts} fields of at most {memory} bytes each; "
        "received a form beyond that."
    )


def image_bytes_from_request() -> bytes:
    """The image a client sent: JSON field `image`, or form field `imageBase64` (or a file)."""
    mimetype = request.mimetype
    if mimetype == "application/json":
        payload = json_object('{"image": "data:image/png;base64,..."}')
        key = "imageBase64" if "imageBase64" in payload and "image" not in payload else "image"
        value, fields = payload.get(key, MISSING), payload
    elif mimetype in FORM_TYPES:
        upload = request.files.get("image")
        if upload is not None:
            return upload.read()
        value = request.form.get("imageBase64", request.form.get("image", MISSING))
        fields = request.form
    else:
        received = f"'{mimetype}'" if mimetype else "no Content-Type"
        raise APIError(
            415,
            "Expected Content-Type application/json (or a form with field 'imageBase64'); "
            f"received {received}.",
        )
    if value is MISSING:
        raise APIError(
            400,
            "Expected the drawing as a PNG data URL in field 'image' (JSON) or 'imageBase64' "
            f"(form); received fields {field_names(fields)}.",
        )
    if not isinstance(value, str):
        raise APIError(
            400,
            "Expected field 'image' to be a string (a data URL or base64 PNG); "
            f"received a JSON {json_type(value)}.",
        )
    return preprocessing.decode_data_url(value)


def main(argv: list[str] | None = None) -> int:
    """Serve the app with Flask's own server (for production, see gunicorn.conf.py)."""
    parser = argparse.ArgumentParser(description="Serve the draw-a-digit app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument(
        "--debug",
        action="store_true",
        help="Werkzeug's debugger: lets anyone who reaches the server run code; never in public",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        app = create_app()
    except (modelfile.ModelFileError, feedback_views.FeedbackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
