"""An acknowledged correction is on disk: it survives SIGKILL, and two gunicorn workers sharing
one database lose none. Real servers on each kind of database (conftest's `database_url`)."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from drawadigit.corrections.schema import MIGRATIONS
from drawadigit.corrections.store import CorrectionStore
from tests.support import OPEN_LIMIT, SEVEN_URL, request, started_gunicorn, started_server


@pytest.mark.usefixtures("shipped_model")
def test_an_acknowledged_correction_survives_sigkill_right_after_the_answer(database_url):
    with started_server({"DATABASE_URL": database_url}) as (url, process):
        status, body = request(
            url + "/api/feedback", {"image": SEVEN_URL, "label": 4, "predicted": 7}
        )
        os.kill(process.pid, signal.SIGKILL)  # no shutdown, no flushing, nothing
        process.wait(10)
    assert status == 201
    store = CorrectionStore(database_url)
    _, fields, labels = store.dataset()
    (record,) = store.recent()
    store.close()
    assert record["public_id"] == body["id"] and labels.tolist() == [4]
    assert fields[0].max() == 255


@pytest.mark.usefixtures("shipped_model")
def test_two_gunicorn_workers_share_one_database_without_losing_a_correction(
    database_url, tmp_path
):
    env = {"DATABASE_URL": database_url, "WEB_CONCURRENCY": "2"}
    with started_gunicorn(tmp_path, env={**env, "FLASK_FEEDBACK_RATE_LIMIT": OPEN_LIMIT}) as run:
        url = run[0]
        # Both workers open the database on their first correction, at the same moment.
        bodies = [{"image": SEVEN_URL, "label": i % 10, "predicted": 7} for i in range(80)]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda b: request(url + "/api/feedback", b), bodies))
    assert [status for status, _ in answers] == [201] * 80
    assert len({body["id"] for _, body in answers}) == 80
    store = CorrectionStore(database_url)
    stats = store.stats()
    assert stats["total"] == 80 and stats["per_digit"]["7"]["model_right"] == 8
    assert store.version() == len(MIGRATIONS) and len(store.dataset()[0]) == 80
    store.close()
