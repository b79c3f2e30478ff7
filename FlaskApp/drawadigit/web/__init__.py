"""The Flask app: a page to draw a digit on, and a JSON API around a model loaded once.

    python FlaskApp/flaskapp.py [--host 127.0.0.1] [--port 5000]   # `main`, Flask's own server

Templates, static files and the instance folder stay in `FlaskApp/` (`settings.APP_DIR`).

`create_app` only wires things together: the settings (`settings`), the model (`serving`),
the views (`views`, `corrections`), the one error path (`errors`) and what every response
promises a browser (`security`). Requests flow one way: view -> reading (segment, normalise,
model, refuse) -> JSON; request bodies stay in memory and within MAX_CONTENT_LENGTH
(`protocol`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from drawadigit.corrections.store import CorrectionError
from drawadigit.model.modelfile import ModelFileError
from drawadigit.model.serving import ModelService
from drawadigit.settings import APP_DIR, INSTANCE_DIR, Settings, SettingsError
from drawadigit.web import corrections, errors, protocol, security, views


def create_app(settings_or_test_config: Settings | Mapping | None = None) -> Flask:
    """Build the app around its model: from `Settings`, config keys (tests), or the
    environment."""
    app = Flask(__name__, root_path=str(APP_DIR), instance_path=str(INSTANCE_DIR))
    app.request_class = protocol.Request
    app.json = protocol.JSONProvider(app)
    settings = configure(app, settings_or_test_config)
    corrections.init_app(app, settings)
    errors.init_app(app)
    views.init_app(app)
    security.init_app(app, settings)
    # Last: a first-run training thread starts here, and Python 3.11 can fail to compile in one
    # thread while another does (werkzeug compiles the routes as they are registered).
    app.extensions["digit_model"] = start_model(settings)
    return app


def configure(app: Flask, given: Settings | Mapping | None) -> Settings:
    """The app's settings, kept in `app.extensions["settings"]`, and what Flask itself needs of
    them in `app.config`; Flask's own keys in a test mapping go to `app.config` as they are."""
    if given is None:
        given = Settings.from_environ()
    elif not isinstance(given, Settings):
        ours = {k: v for k, v in given.items() if k in Settings.keys() or k not in app.config}
        app.config.update({k: v for k, v in given.items() if k not in ours})
        given = Settings.from_mapping(ours)
    app.config.update(
        MAX_CONTENT_LENGTH=given.max_content_length,
        MAX_FORM_MEMORY_SIZE=given.max_form_memory_size,
    )
    app.extensions["settings"] = given
    return given


@dataclass(frozen=True)
class FirstRunTraining:
    """First-run training as the settings ask for it (`serving.Trainer`): MNIST from their folder
    or mirrors. The training package, and TensorFlow with it, is imported only when it runs."""

    mnist_dir: Path
    mirrors: tuple[str, ...]
    epochs: int | None = None  # None: the recipe's
    limit: int | None = None

    def __call__(self, path: Path, report: Callable[[dict], None]) -> dict:
        from drawadigit import training  # only a process that trains on first run imports it

        data = training.Data(self.mnist_dir, self.mirrors, self.limit)
        run = training.Settings(epochs=self.epochs)
        return training.train_and_save(path, data, run, report).summary


def start_model(settings: Settings) -> ModelService:
    """The model the settings name, loaded (or, when it is missing, being trained)."""
    training = None
    if settings.train_if_missing:
        training = FirstRunTraining(
            mnist_dir=settings.mnist_dir,
            mirrors=settings.mnist_mirrors,
            epochs=settings.train_epochs,
            limit=settings.train_limit,
        )
    service = ModelService(
        settings.model_path,
        training,
        runtime=settings.runtime,
        cache_dir=settings.model_cache_dir,
    )
    service.start()  # a broken model file stops start-up here, with a message that says why
    return service


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
        app = create_app(Settings.from_environ())
    except (SettingsError, ModelFileError, CorrectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False, threaded=True)
    return 0
