"""A production server worker (gunicorn, the default LiteRT runtime) never imports TensorFlow.

The worker runs the app inside `tests/programs/worker_modules.py`, which answers one more path
with the TensorFlow and Keras modules of the very process that served the predictions.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

from tests.support import ROOT, SEVEN_URL, free_port, request, wait_until


def healthy(url: str, process: subprocess.Popen, seconds: float = 90) -> bool:
    """Whether /healthz answers 200 within `seconds`, while the server keeps running."""

    def answered_or_exited() -> bool:
        with contextlib.suppress(OSError):  # not listening yet
            return process.poll() is not None or request(url + "/healthz")[0] == 200
        return False

    return wait_until(answered_or_exited, seconds) and process.poll() is None


def test_a_gunicorn_worker_answers_predictions_without_importing_tensorflow(
    tmp_path, tiny_model_path
):
    bind = f"127.0.0.1:{free_port()}"
    url = f"http://{bind}"
    env = {
        **os.environ,
        "MODEL_PATH": str(tiny_model_path),
        "FLASK_MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "FLASK_TRAIN_IF_MISSING": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'feedback.sqlite3'}",
        "WEB_CONCURRENCY": "1",  # so the worker asked is the one that answered
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", bind]
    command += ["tests.programs.worker_modules:create_app()"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert healthy(url, process), "gunicorn did not become healthy"
        for _ in range(3):
            status, answer = request(url + "/predict", {"image": SEVEN_URL})
            assert status == 200 and 0 <= answer["digit"] <= 9
        assert request(url + "/api/model")[1]["runtime"].startswith("LiteRT ")
        status, worker = request(url + "/_test/modules")
        assert status == 200 and worker["pid"] != process.pid  # a worker, not the master
        assert worker["modules"] == []
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Booting worker" in output, output[-3000:]  # gunicorn's own worker, as in production
