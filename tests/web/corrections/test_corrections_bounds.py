"""A slow, hanging, broken or vanished database never holds the server: bounded waits, 503s.

Real failures, not mocks: another process holding SQLite's write lock, a PostgreSQL server
frozen with SIGSTOP (alive at the TCP level, never answering), a corrupt file, a file deleted
under the running app.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from drawadigit.corrections.store import CorrectionStore
from tests.support import (
    BEARER,
    CORRECTION,
    ROOT,
    SEVEN_URL,
    corrections_config,
    sqlite_url,
    wait_until,
)

TIMEOUT = 1.5  # FEEDBACK_TIMEOUT in these tests, seconds
WITHIN = 5.0  # what the issue allows a correction the database cannot take


def bounded_app(make_app, database_url: str, **extra):
    """The app with a short FEEDBACK_TIMEOUT, storing into `database_url`."""
    return make_app(**corrections_config(database_url, FEEDBACK_TIMEOUT=TIMEOUT, **extra))


def timed_post(client, body: dict = CORRECTION):
    """POST a correction: the response and how long it took."""
    started = time.monotonic()
    response = client.post("/api/feedback", json=body)
    return response, time.monotonic() - started


def assert_refused_in_time(response, seconds: float) -> None:
    """503 JSON with Retry-After, within the bound."""
    assert response.status_code == 503, response.get_json()
    assert response.get_json() == {
        "error": "The corrections database is unavailable; please try again later."
    }
    assert int(response.headers["Retry-After"]) > 0
    assert seconds < WITHIN, f"refused only after {seconds:.1f} s"


class Predictions:
    """/predict asked over and over from a thread of its own, its latencies kept."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.latencies: list[float] = []
        self.statuses: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            status = self.client.post("/predict", json={"image": SEVEN_URL}).status_code
            self.latencies.append(time.monotonic() - started)
            self.statuses.add(status)

    def __enter__(self) -> Predictions:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def assert_fast(self) -> None:
        """Many predictions answered, all 200, the slowest well under a second."""
        assert self.statuses == {200} and len(self.latencies) >= 10, (self.statuses, self.latencies)
        assert max(self.latencies) < 1.0, f"slowest /predict: {max(self.latencies):.2f} s"


def corrections_in_threads(app, n: int) -> list[tuple[int, float]]:
    """`n` corrections posted at once from threads of their own: statuses and durations."""
    results: list[tuple[int, float]] = []

    def post() -> None:
        response, seconds = timed_post(app.test_client())
        results.append((response.status_code, seconds))

    threads = [threading.Thread(target=post) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


# --- SQLite locked by another process ---------------------------------------------------------


@contextmanager
def sqlite_locked(path: Path):
    """Another process holds SQLite's write lock on `path` (BEGIN EXCLUSIVE) for the duration."""
    locker = subprocess.Popen(
        [sys.executable, ROOT / "scripts" / "sqlite_locker.py", path],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout.readline() == "locked\n"
        yield
    finally:
        locker.kill()
        locker.communicate(timeout=10)


def test_a_locked_sqlite_database_gives_503_in_seconds_and_predictions_go_on(make_app, tmp_path):
    path = tmp_path / "feedback.sqlite3"
    app = bounded_app(make_app, sqlite_url(tmp_path))
    client = app.test_client()
    assert client.post("/api/feedback", json=CORRECTION).status_code == 201
    with sqlite_locked(path), Predictions(app) as predictions:
        response, seconds = timed_post(client)
        assert_refused_in_time(response, seconds)
        predictions.assert_fast()
    response, _ = timed_post(client)  # the lock is gone: stored again
    assert response.status_code == 201
    assert app.extensions["corrections_store"].count() == 2


def test_corrections_waiting_on_a_lock_hold_few_threads_and_predictions_flow(make_app, tmp_path):
    path = tmp_path / "feedback.sqlite3"
    app = bounded_app(make_app, sqlite_url(tmp_path), FEEDBACK_THREADS=2)
    assert app.test_client().post("/api/feedback", json=CORRECTION).status_code == 201
    calls = app.extensions["corrections_calls"]
    with sqlite_locked(path), Predictions(app) as predictions:
        seen = []
        watcher = threading.Thread(
            target=lambda: [seen.append(calls.busy()) or time.sleep(0.01) for _ in range(200)]
        )
        watcher.start()
        results = corrections_in_threads(app, 8)
        watcher.join()
        predictions.assert_fast()
    assert [status for status, _ in results] == [503] * 8
    assert max(seconds for _, seconds in results) < WITHIN
    assert max(seen) <= 2  # never more than FEEDBACK_THREADS waiting on the database


def test_a_burst_of_corrections_on_a_healthy_database_is_served(make_app, database_url):
    app = bounded_app(make_app, database_url)
    assert (
        app.extensions["settings"].feedback_threads == 1
    )  # the default: one waits, the others queue briefly
    results = corrections_in_threads(app, 6)
    assert [status for status, _ in results] == [201] * 6
    assert app.extensions["corrections_store"].count() == 6


# --- PostgreSQL frozen (SIGSTOP): the server accepts TCP and never answers ---------------------


def postmaster_of(url: str) -> int:
    """The postmaster of the server behind `url`."""
    with psycopg.connect(url) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
    return parent_of(backend)


def all_pids() -> list[int]:
    """Every process id in /proc."""
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def parent_of(pid: int) -> int | None:
    """A process's parent id, from /proc (None once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


@contextmanager
def postgres_frozen(url: str):
    """Every process of the PostgreSQL server stopped (SIGSTOP), continued afterwards."""
    postmaster = postmaster_of(url)
    pids = [postmaster]
    try:
        os.kill(postmaster, signal.SIGSTOP)  # first, so that it starts no backend meanwhile
        # Then its children; the backend that answered postmaster_of may be exiting still.
        pids += [pid for pid in all_pids() if parent_of(pid) == postmaster]
        for pid in pids[1:]:
            with_gone_ok(os.kill, pid, signal.SIGSTOP)
        yield
    finally:
        for pid in pids:
            with_gone_ok(os.kill, pid, signal.SIGCONT)


def with_gone_ok(function, *args) -> None:
    """Call, ignoring a process that has exited meanwhile."""
    try:
        function(*args)
    except ProcessLookupError:
        pass


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_frozen_postgresql_gives_503_in_seconds_and_predictions_go_on(make_app, database_url):
    app = bounded_app(make_app, database_url, FEEDBACK_THREADS=2)
    client = app.test_client()
    # A connection is in the pool before the freeze: the bound must hold for it too.
    assert client.post("/api/feedback", json=CORRECTION).status_code == 201
    store = app.extensions["corrections_store"]
    with postgres_frozen(database_url), Predictions(app) as predictions:
        response, seconds = timed_post(client)
        assert_refused_in_time(response, seconds)
        results = corrections_in_threads(app, 6)
        stats = client.get("/api/feedback/stats", headers=BEARER)
        predictions.assert_fast()
    assert [status for status, _ in results] == [503] * 6
    assert max(seconds for _, seconds in results) < WITHIN
    assert stats.status_code == 503 and "Retry-After" in stats.headers
    # Once it answers again, corrections are stored, and the ones refused were not stored late.
    wait_until(lambda: not app.extensions["corrections_calls"].busy(), 30)  # the frozen calls end
    response, _ = timed_post(client)
    assert response.status_code == 201
    assert store.count() == 2


# --- broken, deleted and replaced SQLite files ------------------------------------------------


def test_a_corrupt_sqlite_file_gives_503_not_500(make_app, tmp_path):
    path = tmp_path / "feedback.sqlite3"
    path.write_bytes(b"this is not an SQLite database " * 200)
    app = bounded_app(make_app, sqlite_url(tmp_path))
    client = app.test_client()
    response, seconds = timed_post(client)
    assert_refused_in_time(response, seconds)
    assert client.post("/predict", json={"image": SEVEN_URL}).status_code == 200


def sqlite_files(path: Path) -> list[Path]:
    """The database file and SQLite's companions beside it."""
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm")]


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_an_sqlite_file_deleted_or_replaced_under_the_app_is_reopened_not_lost(
    make_app, tmp_path, caplog, how
):
    path = tmp_path / "feedback.sqlite3"
    app = bounded_app(make_app, sqlite_url(tmp_path))
    client = app.test_client()
    assert client.post("/api/feedback", json=CORRECTION).status_code == 201
    for file in sqlite_files(path):
        file.unlink(missing_ok=True)
    if how == "replaced":  # another database put in its place (a restored backup, say)
        other = CorrectionStore(sqlite_url(tmp_path, "other.sqlite3"))
        other.version()
        other.close()
        os.replace(tmp_path / "other.sqlite3", path)
    with caplog.at_level(logging.WARNING, logger="drawadigit.corrections.store"):
        response = client.post("/api/feedback", json=CORRECTION)
    assert response.status_code == 201
    assert f"was {how}" in caplog.text
    app.extensions["corrections_store"].close()
    reader = CorrectionStore(sqlite_url(tmp_path))  # what is really in the file now
    assert [r["public_id"] for r in reader.recent()] == [response.get_json()["id"]]
    reader.close()
