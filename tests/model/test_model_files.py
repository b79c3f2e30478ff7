"""A model that cannot answer never serves: probe checks at start-up, NaN at run time, and model
files broken under a running server (validated snapshots)."""

from __future__ import annotations

import json
import logging
import math
import shutil

import numpy as np
import pytest

from drawadigit import web
from drawadigit.model import lite, modelfile, serving, tf_runtime
from drawadigit.web import security
from tests.support import SEVEN_URL, run_program


def strict_json(response) -> dict:
    """The body as JSON the way a browser's JSON.parse reads it: NaN and Infinity refused."""

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(response.get_data(as_text=True), parse_constant=refuse)


def write_model(source, target, *, bias: float | None = None):
    """A copy of the tiny model, its first output's bias set to `bias` (NaN for broken weights)."""
    model = tf_runtime.load(source)
    if bias is not None:
        kernel, biases = model.layers[-1].get_weights()
        biases[0] = bias
        model.layers[-1].set_weights([kernel, biases])
    return tf_runtime.save_atomic(model, target)


def make_app(model_path, cache_dir, **config):
    return web.create_app(
        {
            "MODEL_PATH": str(model_path),
            "MODEL_CACHE_DIR": str(cache_dir),
            "TRAIN_IF_MISSING": False,
            **config,
        }
    )


@pytest.mark.parametrize("runtime", ["litert", "tensorflow"])
def test_a_model_whose_weights_hold_nan_refuses_to_start(tmp_path, tiny_model_path, runtime):
    broken = write_model(tiny_model_path, tmp_path / "model.h5", bias=math.nan)
    with pytest.raises(modelfile.ModelFileError) as error:
        make_app(broken, tmp_path / "cache", RUNTIME=runtime)
    message = str(error.value)
    assert f"The model file {broken} answers probe digits with non-finite" in message
    assert "validated" not in message  # the file to fix is named, not its copy in the cache
    assert modelfile.Snapshots(tmp_path / "cache").last(broken) is None
    assert not list((tmp_path / "cache" / "validated").glob("*/*.h5"))  # the copy is gone


@pytest.mark.parametrize(
    ("probs", "words"),
    [
        (np.full((2, 10), np.nan), "non-finite"),
        (np.full((2, 10), np.inf), "non-finite"),
        (np.full((2, 10), 0.5), "sum to 5, 5"),
        (np.full((2, 10), -0.1) + np.eye(2, 10) * 2, "sum to"),
        (np.full((2, 11), 0.1), "shape (2, 11)"),
        (np.full((10,), 0.1), "shape (10,)"),
    ],
)
def test_probe_answers_that_are_no_probabilities_are_refused(tmp_path, probs, words):
    with pytest.raises(modelfile.ModelFileError, match="answers probe digits") as error:
        serving.check_answers(probs, 10, tmp_path / "model.h5")
    assert words in str(error.value)


def test_probe_answers_that_are_probabilities_pass(tmp_path):
    serving.check_answers(np.full((2, 11), 1 / 11, np.float32), 11, tmp_path / "model.h5")


def test_nan_at_run_time_gives_a_json_500_and_is_logged(app, monkeypatch, caplog):
    service = app.extensions["digit_model"]
    monkeypatch.setattr(service, "_forward", lambda fields: np.full((len(fields), 10), np.nan))
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="serving"):
        response = client.post("/predict", json={"image": SEVEN_URL})
    assert response.status_code == 500 and response.is_json
    body = strict_json(response)
    assert set(body) == {"error"} and "no usable answer" in body["error"]
    assert any("non-finite" in r.getMessage() for r in caplog.records)
    for name, value in security.SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_the_app_never_writes_nan_or_infinity_as_json(app):
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            app.json.dumps({"confidence": value})
        with app.app_context(), pytest.raises(ValueError):
            app.json.response({"confidence": value})
    assert app.json.dumps({"confidence": 0.5}) == '{"confidence": 0.5}'


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_request_are_not_json(client, constant):
    response = client.post(
        "/predict", data=f'{{"image": {constant}}}', content_type="application/json"
    )
    error = strict_json(response)["error"]
    assert response.status_code == 400 and f"received {constant}, which is not JSON" in error


def test_training_progress_with_a_nan_loss_stays_json(tiny_model_path, tmp_path):
    service = serving.ModelService(tiny_model_path, None, cache_dir=tmp_path)
    service._report({"epoch": 1, "loss": math.nan, "accuracy": 0.5})
    assert service.progress == {"epoch": 1, "loss": None, "accuracy": 0.5}


# --- a model file changed under a running server -------------------------------------------


@pytest.fixture
def served(tmp_path, tiny_model_path):
    """A model file that one app validated and serves, and that app's cache folder."""
    model_path = tmp_path / "models" / "model.h5"
    model_path.parent.mkdir()
    shutil.copy(tiny_model_path, model_path)
    cache = tmp_path / "cache"
    app = make_app(model_path, cache)
    return model_path, cache, app


def test_a_model_file_truncated_under_a_server_leaves_new_workers_serving_the_last_model(
    served, caplog
):
    model_path, cache, first = served
    validated = modelfile.file_sha256(model_path)
    assert first.test_client().get("/healthz").get_json()["sha256"] == validated

    with open(model_path, "r+b") as f:  # truncated in place, as a copy interrupted midway
        f.truncate(1000)
    with caplog.at_level(logging.ERROR, logger="serving"):
        second = make_app(model_path, cache)  # a new worker, after one died

    client = second.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200
    status = health.get_json()
    assert status["state"] == "ready" and status["sha256"] == validated
    assert (
        f"The model file {model_path} did not pass the start-up checks"
        in (status["model_file_error"])
    )
    assert "Cannot read the model file" in status["model_file_error"]
    assert client.get("/api/model").get_json()["file"]["sha256"] == validated
    assert client.post("/predict", json={"image": SEVEN_URL}).status_code == 200
    assert any("did not pass" in r.getMessage() for r in caplog.records)
    # The first worker keeps what it loaded, whatever happened to the files.
    assert first.test_client().post("/predict", json={"image": SEVEN_URL}).status_code == 200
    assert "model_file_error" not in first.test_client().get("/healthz").get_json()


def test_a_new_model_file_is_served_only_once_it_validates(served, tiny_model_path):
    model_path, cache, _ = served
    first = modelfile.file_sha256(model_path)

    write_model(tiny_model_path, model_path, bias=math.nan)  # a new file, broken
    status = make_app(model_path, cache).test_client().get("/healthz").get_json()
    assert status["sha256"] == first and "non-finite" in status["model_file_error"]

    write_model(tiny_model_path, model_path, bias=0.25)  # a new file that passes
    renewed = modelfile.file_sha256(model_path)
    assert renewed != first
    status = make_app(model_path, cache).test_client().get("/healthz").get_json()
    assert status["sha256"] == renewed and "model_file_error" not in status
    # Only the snapshot in use is kept.
    kept = sorted(p.parent.name for p in (cache / "validated").glob("*/model.h5"))
    assert kept == [renewed[:16]]

    with open(model_path, "r+b") as f:
        f.truncate(0)
    status = make_app(model_path, cache).test_client().get("/healthz").get_json()
    assert status["sha256"] == renewed and "model_file_error" in status


def test_a_broken_model_file_with_no_validated_snapshot_still_refuses_to_start(
    served, tmp_path, tiny_model_path
):
    _, cache, _ = served  # a snapshot exists, but for another path: it must not be used
    other = tmp_path / "other" / "model.h5"
    other.parent.mkdir()
    other.write_bytes(tiny_model_path.read_bytes()[:1000])
    with pytest.raises(modelfile.ModelFileError, match=f"Cannot read the model file {other}"):
        make_app(other, cache)


def test_a_validated_snapshot_that_was_damaged_is_not_served(served):
    model_path, cache, _ = served
    (snapshot,) = (cache / "validated").glob("*/model.h5")
    snapshot.write_bytes(b"damaged")
    model_path.write_bytes(b"broken too")
    with pytest.raises(modelfile.ModelFileError, match="Cannot read the model file"):
        make_app(model_path, cache)


def test_the_card_of_a_validated_model_is_kept_with_its_snapshot(tmp_path, tiny_model_path):
    model_path = tmp_path / "model.h5"
    shutil.copy(tiny_model_path, model_path)
    card = {"architecture": "tiny", "file": {"sha256": modelfile.file_sha256(model_path)}}
    modelfile.card_path(model_path).write_text(json.dumps(card))
    make_app(model_path, tmp_path / "cache")
    model_path.write_bytes(b"")
    modelfile.card_path(model_path).unlink()
    described = make_app(model_path, tmp_path / "cache").test_client().get("/api/model")
    assert described.get_json()["architecture"] == "tiny"


def test_a_running_litert_interpreter_survives_its_file_being_truncated(tmp_path, tiny_model_path):
    path, _ = lite.converted(tiny_model_path, tmp_path)
    copy = shutil.copy(path, tmp_path / "copy.tflite")
    done = run_program("lite_truncated.py", str(copy), timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "same"
