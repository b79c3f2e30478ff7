"""Every setting of the app, its server and its commands: one default each, read once.

    settings.load()                    # this process's environment (what the commands call)
    Settings.from_environ(environ)     # any mapping of environment variables
    Settings.from_mapping(config)      # config keys, as tests give them: {"MODEL_PATH": ...}

The setting `model_path` is the config key MODEL_PATH and the environment variable
FLASK_MODEL_PATH. Four are read without the prefix too, as the README has always documented
them (MODEL_PATH, MNIST_DIR, MNIST_MIRRORS, DATABASE_URL): the bare name wins over FLASK_*. The
server's own (BIND, WEB_CONCURRENCY, GUNICORN_THREADS, WORKER_CONNECTIONS, REQUEST_TIMEOUT) and
BENCH_DIR and UNIPEN_DIR have no prefix. An empty variable counts as unset; a value that cannot
be used raises `SettingsError`, naming the variable and what it expected. Nothing here imports
Flask.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

__all__ = [
    "APP_DIR",
    "DEFAULT_MIRRORS",
    "INSTANCE_DIR",
    "ROOT",
    "Settings",
    "SettingsError",
    "load",
    "variables",
]

APP_DIR = Path(__file__).resolve().parent.parent  # FlaskApp/: templates, static, instance
ROOT = APP_DIR.parent  # the checkout: model.h5, docs
INSTANCE_DIR = APP_DIR / "instance"  # Flask's instance folder: what the app writes
MEGABYTE = 1024 * 1024
# MNIST_MIRRORS' default: base URLs (ending in "/") tried in order; a file's URL is mirror + name
# + ".gz" (`data.mnist_files`).
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

PREFIXED, BOTH, BARE = "FLASK_X", "X or FLASK_X", "X"  # how a setting's variables are named
MIN_REVIEW_TOKEN = 16  # characters: a credential short enough to guess is refused


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names it and says what it expected."""


def _setting(default: object, naming: str = PREFIXED) -> object:
    """A dataclass field whose environment variables are named as `naming` says."""
    return field(default=default, metadata={"naming": naming})


@dataclass(frozen=True)
class Settings:
    """What the app, gunicorn.conf.py and the commands are configured with."""

    # The model, and training one on first run when there is none.
    model_path: Path = _setting(ROOT / "model.h5", BOTH)
    mnist_dir: Path = _setting(APP_DIR / "mnist_data", BOTH)
    mnist_mirrors: tuple[str, ...] = _setting(DEFAULT_MIRRORS, BOTH)
    train_if_missing: bool = _setting(True)
    train_epochs: int | None = _setting(None)  # None: the architecture's own recipe
    train_limit: int | None = _setting(None)  # None: every training digit
    # "auto": LiteRT when installed (no TensorFlow in the server), else "tensorflow".
    runtime: str = _setting("auto")
    model_cache_dir: Path = _setting(INSTANCE_DIR / "models")  # converted, validated copies
    # Where people's corrections go: sqlite:///... or postgresql://...
    database_url: str = _setting(f"sqlite:///{INSTANCE_DIR / 'feedback.sqlite3'}", BOTH)
    # Requests: bodies and form fields within these; other sites' pages allowed to call the API;
    # proxies in front whose X-Forwarded-For and -Proto are believed (0: the headers are ignored).
    max_content_length: int = _setting(4 * MEGABYTE)
    max_form_memory_size: int = _setting(4 * MEGABYTE)
    cors_origins: tuple[str, ...] = _setting(())
    trusted_proxies: int = _setting(0)
    # Corrections: the review credential (None: review is not served), and their bounds.
    review_token: str | None = _setting(None)
    feedback_rate_limit: str = _setting("20 per minute;500 per day")  # per client address
    ratelimit_storage_uri: str = _setting("memory://")  # or redis://host:port, for all workers
    feedback_max_records: int | None = _setting(50_000)  # None: no cap
    feedback_timeout: float = _setting(3.0)  # seconds a correction may wait on the database
    # Threads per process that may wait on the database at once: fewer than the server's
    # threads per worker, so that predictions always have one while the database hangs.
    feedback_threads: int = _setting(1)
    feedback_retry_after: int = _setting(5)  # seconds, sent in Retry-After with a 503
    # The production server (gunicorn.conf.py and its waitress worker).
    bind: str = _setting("127.0.0.1:8000", BARE)
    web_concurrency: int = _setting(2, BARE)  # worker processes: one per core
    gunicorn_threads: int = _setting(2, BARE)  # application threads per worker
    worker_connections: int = _setting(500, BARE)  # open connections per worker
    request_timeout: float = _setting(20.0, BARE)  # seconds for a request to arrive whole
    # The shared benchmark's folder (canvas.py), for the evaluation and the benchmarks.
    bench_dir: Path | None = _setting(None, BARE)
    # The UNIPEN share of real pen writing (`unipen`), for training and the evaluation; none in a
    # user's clone, and nothing needs it.
    unipen_dir: Path | None = _setting(None, BARE)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings named by environment variables; the defaults for the rest."""
        values = {}
        for setting in fields(cls):
            given = [name for name in variables(setting.name) if environ.get(name, "").strip()]
            if given:
                values[setting.name] = _parsed(setting.type, given[0], environ[given[0]])
        return cls(**values)

    @classmethod
    def keys(cls) -> list[str]:
        """Every setting's config key (MODEL_PATH, ...)."""
        return [setting.name.upper() for setting in fields(cls)]

    @classmethod
    def from_mapping(cls, config: Mapping[str, object]) -> Settings:
        """The settings given as config keys (MODEL_PATH=...), typed or as text; "" is unset."""
        kinds = {setting.name.upper(): setting for setting in fields(cls)}  # MODEL_PATH: ...
        unknown = sorted(set(config) - set(kinds))
        if unknown:
            raise SettingsError(f"Expected settings among {sorted(kinds)}; received {unknown}.")
        return cls(
            **{
                kinds[key].name: _parsed(kinds[key].type, key, value)
                for key, value in config.items()
                if value != ""
            }
        )

    def __post_init__(self) -> None:
        """Refuse a review token short enough to guess, saying how long it must be."""
        token = self.review_token
        if token is not None and len(token) < MIN_REVIEW_TOKEN:
            raise SettingsError(
                f"Expected FLASK_REVIEW_TOKEN to be at least {MIN_REVIEW_TOKEN} characters "
                "(python -c 'import secrets; print(secrets.token_urlsafe())' makes one); "
                f"received {len(token)}."
            )


def variables(name: str) -> tuple[str, ...]:
    """The environment variables that set the setting `name`, the one that wins first."""
    naming = Settings.__dataclass_fields__[name].metadata["naming"]
    key = name.upper()
    return {PREFIXED: (f"FLASK_{key}",), BOTH: (key, f"FLASK_{key}"), BARE: (key,)}[naming]


def load() -> Settings:
    """This process's settings, from its environment: `settings.load().mnist_dir`."""
    return Settings.from_environ(os.environ)


BOOLEANS = {"true": True, "1": True, "yes": True, "on": True}
BOOLEANS |= {"false": False, "0": False, "no": False, "off": False}


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return BOOLEANS[value.strip().lower()] if isinstance(value, str) else _refuse(value)


def _whole(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        _refuse(value)
    number = int(value)  # "2.5" raises ValueError
    return number if number >= 0 else _refuse(value)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        _refuse(value)
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else _refuse(value)


def _text(value: object) -> str:
    return value if isinstance(value, str) else _refuse(value)


def _path(value: object) -> Path:
    return Path(value) if isinstance(value, str | os.PathLike) else _refuse(value)


def _list(value: object) -> tuple[str, ...]:
    """A JSON array of strings, or items separated by spaces or commas."""
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else value.replace(",", " ")
        value = value.split() if isinstance(value, str) else value
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        _refuse(value)
    return tuple(value)


def _refuse(value: object):
    raise TypeError(f"unusable setting value {value!r}")


# What each type of setting is read with, and what a message says it expected.
KINDS: dict[str, tuple[Callable[[object], object], str]] = {
    "bool": (_boolean, "true or false"),
    "int": (_whole, "a whole number"),
    "float": (_number, "a number"),
    "str": (_text, "text"),
    "Path": (_path, "a path"),
    "tuple[str, ...]": (_list, "a JSON array of strings, or items separated by spaces"),
}


def _parsed(kind: str, name: str, value: object) -> object:
    """A setting's value from text or from a typed value; SettingsError when it is unusable."""
    base = kind.removesuffix(" | None")
    optional = base != kind
    if optional and (value is None or (value == "null" and base != "str")):
        return None
    parse, expected = KINDS[base]
    try:
        return parse(value)
    except (TypeError, ValueError, KeyError):
        shown = repr(value[:60]) if isinstance(value, str) else repr(value)[:60]
        expected += " or null" if optional else ""
        raise SettingsError(f"Expected {name} to be {expected}; received {shown}.") from None
