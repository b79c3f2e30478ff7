"""The settings: one object read once from the environment, one default each, every variable
the README documents working as documented, and a clear error for a value that cannot be used."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from drawadigit import settings, web
from drawadigit.corrections import store
from drawadigit.settings import Settings, SettingsError
from tests.support import ROOT, SEVEN_URL

README = (ROOT / "README.md").read_text()


def readme_variables() -> set[str]:
    """The variables the README's one settings table lists."""
    section = README.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}


def test_every_setting_is_in_the_readmes_one_table():
    documented = readme_variables()
    for setting in Settings.keys():
        assert settings.variables(setting.lower())[0] in documented, setting


def test_the_defaults_are_read_from_an_empty_environment():
    assert Settings.from_environ({}) == Settings()
    defaults = Settings()
    assert defaults.model_path == ROOT / "model.h5"
    assert defaults.mnist_dir == ROOT / "FlaskApp" / "mnist_data"
    assert defaults.model_cache_dir == settings.INSTANCE_DIR / "models"
    assert defaults.database_url == f"sqlite:///{settings.INSTANCE_DIR / 'feedback.sqlite3'}"


@pytest.mark.parametrize(
    ("name", "value"),
    [("MODEL_PATH", "/m.h5"), ("MNIST_DIR", "/mnist"), ("DATABASE_URL", "sqlite:////d.sqlite3")],
)
def test_the_four_documented_bare_names_win_over_their_flask_names(name, value):
    bare = Settings.from_environ({name: value, f"FLASK_{name}": "/other"})
    prefixed = Settings.from_environ({f"FLASK_{name}": value})
    field = name.lower()
    assert str(getattr(bare, field)) == value and str(getattr(prefixed, field)) == value


def test_app_settings_take_the_flask_prefix_and_the_servers_none():
    environ = {"TRUSTED_PROXIES": "3", "FLASK_WEB_CONCURRENCY": "9", "REQUEST_TIMEOUT": "2"}
    read = Settings.from_environ(environ | {"FLASK_TRUSTED_PROXIES": "1", "WEB_CONCURRENCY": "4"})
    assert read.trusted_proxies == 1 and read.web_concurrency == 4 and read.request_timeout == 2.0


@pytest.mark.parametrize(
    ("text", "origins"),
    [
        ('["https://a.example"]', ("https://a.example",)),
        ('["https://a.example", "https://b.example"]', ("https://a.example", "https://b.example")),
        ("https://a.example https://b.example", ("https://a.example", "https://b.example")),
        ("https://a.example", ("https://a.example",)),
    ],
)
def test_lists_are_a_json_array_or_separated_by_spaces(text, origins):
    assert Settings.from_environ({"FLASK_CORS_ORIGINS": text}).cors_origins == origins


def test_mirrors_are_separated_by_spaces_or_commas():
    read = Settings.from_environ({"MNIST_MIRRORS": "http://a/ http://b/,http://c/"})
    assert read.mnist_mirrors == ("http://a/", "http://b/", "http://c/")
    assert Settings.from_environ({"MNIST_MIRRORS": "  "}).mnist_mirrors == Settings().mnist_mirrors


@pytest.mark.parametrize(
    ("environ", "field", "value"),
    [
        ({"FLASK_TRAIN_IF_MISSING": "false"}, "train_if_missing", False),
        ({"FLASK_TRAIN_IF_MISSING": "1"}, "train_if_missing", True),
        ({"FLASK_FEEDBACK_MAX_RECORDS": "null"}, "feedback_max_records", None),
        ({"FLASK_FEEDBACK_TIMEOUT": "1.5"}, "feedback_timeout", 1.5),
        # Tokens are taken as written, never as numbers or null.
        ({"FLASK_REVIEW_TOKEN": "0000000000000007"}, "review_token", "0000000000000007"),
        ({"FLASK_REVIEW_TOKEN": "null" * 4}, "review_token", "null" * 4),
        ({"FLASK_REVIEW_TOKEN": ""}, "review_token", None),  # empty: unset
    ],
)
def test_values_are_read_as_the_readme_says(environ, field, value):
    assert getattr(Settings.from_environ(environ), field) == value


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FLASK_TRUSTED_PROXIES": "one"}, "Expected FLASK_TRUSTED_PROXIES to be a whole number"),
        ({"WEB_CONCURRENCY": "-2"}, "Expected WEB_CONCURRENCY to be a whole number"),
        ({"FLASK_FEEDBACK_RETRY_AFTER": "2.5"}, "received '2.5'"),
        ({"FLASK_TRAIN_IF_MISSING": "maybe"}, "Expected FLASK_TRAIN_IF_MISSING to be true or"),
        ({"REQUEST_TIMEOUT": "nan"}, "Expected REQUEST_TIMEOUT to be a number"),
        ({"FLASK_FEEDBACK_MAX_RECORDS": "many"}, "a whole number or null"),
        ({"FLASK_CORS_ORIGINS": "[1, 2]"}, "Expected FLASK_CORS_ORIGINS to be a JSON array"),
        ({"FLASK_CORS_ORIGINS": '["https://a'}, "received '[\"https://a'"),
        ({"FLASK_REVIEW_TOKEN": "x"}, "Expected FLASK_REVIEW_TOKEN to be at least 16 characters"),
        ({"FLASK_REVIEW_TOKEN": "null"}, "received 4."),  # text, too short: not unset
        ({"FLASK_REVIEW_TOKEN": "a" * 15}, "received 15."),
    ],
)
def test_a_value_that_cannot_be_used_is_one_error_naming_the_variable(environ, message):
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_environ(environ)


def test_config_keys_map_onto_the_same_settings(tiny_model_path):
    given = {"MODEL_PATH": str(tiny_model_path), "TRAIN_IF_MISSING": False, "TRAIN_LIMIT": 600}
    read = Settings.from_mapping(given | {"MNIST_MIRRORS": ["http://a/"], "REVIEW_TOKEN": ""})
    assert read.model_path == Path(tiny_model_path) and read.train_if_missing is False
    assert read.train_limit == 600 and read.mnist_mirrors == ("http://a/",)
    assert read.review_token is None
    with pytest.raises(SettingsError, match=r"received \['MODLE_PATH'\]"):
        Settings.from_mapping({"MODLE_PATH": "x"})
    with pytest.raises(SettingsError, match="Expected TRUSTED_PROXIES to be a whole number"):
        Settings.from_mapping({"TRUSTED_PROXIES": True})


def test_create_app_takes_settings_or_config_keys(tiny_model_path, tmp_path, make_app):
    database = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    given = Settings(model_path=tiny_model_path, train_if_missing=False, database_url=database)
    app = web.create_app(given)
    assert app.extensions["settings"] is given
    assert app.test_client().post("/predict", json={"image": SEVEN_URL}).status_code == 200
    app.extensions["corrections_store"].close()
    keyed = make_app(TESTING=True, MAX_CONTENT_LENGTH=1000)  # Flask's own keys pass through
    assert keyed.config["TESTING"] is True and keyed.config["MAX_CONTENT_LENGTH"] == 1000
    with pytest.raises(SettingsError, match="NO_SUCH_SETTING"):
        make_app(NO_SUCH_SETTING=1)


def test_the_flask_server_stops_with_one_line_for_a_bad_value(monkeypatch, capsys):
    monkeypatch.setenv("FLASK_TRUSTED_PROXIES", "all of them")
    assert web.main([]) == 2
    assert capsys.readouterr().err == (
        "error: Expected FLASK_TRUSTED_PROXIES to be a whole number; received 'all of them'.\n"
    )


def test_a_short_review_token_stops_the_start_with_one_line_not_echoing_it(monkeypatch, capsys):
    monkeypatch.setenv("FLASK_REVIEW_TOKEN", "short-secret")
    assert web.main([]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: Expected FLASK_REVIEW_TOKEN to be at least 16 characters")
    assert error.endswith("received 12.\n") and error.count("\n") == 1
    assert "short-secret" not in error
    assert Settings(review_token="a" * 16).review_token == "a" * 16


def test_gunicorn_stops_with_one_line_for_a_short_review_token():
    env = {**os.environ, "FLASK_REVIEW_TOKEN": "short-secret"}
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0"]
    started = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 1
    assert started.stderr.startswith("error: Expected FLASK_REVIEW_TOKEN to be at least 16")
    assert started.stderr.count("\n") == 1 and "short-secret" not in started.stderr


def gunicorn_config(monkeypatch) -> dict:
    """gunicorn.conf.py's settings, read as gunicorn reads the file, in this environment."""
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        monkeypatch.delenv(name, raising=False)  # the file sets them: put back afterwards
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.mark.parametrize("variable", ["MODEL_PATH", "FLASK_MODEL_PATH"])
def test_gunicorn_trains_in_one_worker_whichever_variable_names_a_missing_model(
    monkeypatch, tmp_path, variable
):
    monkeypatch.delenv("MODEL_PATH", raising=False)
    monkeypatch.setenv(variable, str(tmp_path / "missing.h5"))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = gunicorn_config(monkeypatch)
    server = SimpleNamespace(num_workers=config["workers"], log=SimpleNamespace(warning=print))
    config["on_starting"](server)
    assert config["workers"] == 3 and server.num_workers == 1


def test_gunicorn_reads_the_server_settings(monkeypatch):
    monkeypatch.setenv("BIND", "127.0.0.1:9")
    monkeypatch.setenv("GUNICORN_THREADS", "5")
    monkeypatch.setenv("WORKER_CONNECTIONS", "7")
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        monkeypatch.setenv(name, os.environ.get(name, "1"))
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (config["bind"], config["threads"], config["worker_connections"]) == (
        "127.0.0.1:9",
        5,
        7,
    )


def test_the_corrections_command_defaults_to_the_apps_database(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FLASK_DATABASE_URL", raising=False)
    assert store.url_from_environment() == Settings().database_url
    monkeypatch.setenv("FLASK_DATABASE_URL", "sqlite:////elsewhere.sqlite3")
    assert store.url_from_environment() == "sqlite:////elsewhere.sqlite3"
