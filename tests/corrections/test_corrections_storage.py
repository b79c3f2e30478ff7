"""The corrections store: its schema and migrations, what it keeps, counts and lists, and the
databases it takes.

Every storage test runs twice through the `database_url` fixture: against an SQLite file and
against a real PostgreSQL server (conftest's `postgres_server`).
"""

from __future__ import annotations

import dataclasses
import io
import re
import threading
from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from drawadigit.corrections import schema
from drawadigit.corrections.pictures import field_bytes
from drawadigit.corrections.store import (
    CorrectionError,
    CorrectionStore,
    is_held_out,
)
from drawadigit.corrections.store import database_url as engine_url  # beside the fixture
from tests.support import SEVEN, correction, seven_as_served, sqlite_url

# --- the schema and its migrations -----------------------------------------------------------


def test_schema_is_created_on_first_use_and_versioned(store, database_url):
    engine = sa.create_engine(engine_url(database_url))
    assert sa.inspect(engine).get_table_names() == []  # nothing before first use
    assert store.version() == len(schema.MIGRATIONS) == 4
    assert set(sa.inspect(engine).get_table_names()) == {"feedback", "schema_version"}
    with engine.connect() as connection:
        versions = connection.execute(sa.text("SELECT version FROM schema_version")).all()
    assert versions == [(1,), (2,), (3,), (4,)]
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("feedback")}
    assert {"public_id", "hidden", "strokes"} <= set(columns)
    assert columns["strokes"]["nullable"]
    engine.dispose()


def test_a_new_migration_runs_once_on_an_existing_database(store, database_url, monkeypatch):
    public_id = store.add(correction())
    store.close()
    ran = []

    def add_notes(connection):
        ran.append(True)
        connection.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"))

    shipped = len(schema.MIGRATIONS)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, add_notes])
    for _ in range(2):  # a second instance starting later finds it done
        later = CorrectionStore(database_url)
        assert later.version() == shipped + 1
        later.close()
    assert ran == [True]
    again = CorrectionStore(database_url)
    assert [r["public_id"] for r in again.recent()] == [public_id]  # the data survived
    again.close()


def version_1_database(url: str, n: int) -> None:
    """A database as the first release left it: schema version 1 and `n` corrections."""
    engine = sa.create_engine(engine_url(url))
    sent = SEVEN.png + b"junk after IEND"  # version 1 kept the bytes as sent
    with engine.begin() as connection:
        schema.schema_version.create(connection)
        schema._create_v1(connection)
        connection.execute(schema.schema_version.insert().values(version=1))
        field = field_bytes(correction().field)
        for label in range(n):
            row = {
                "created": datetime.now(UTC),
                "label": label,
                "predicted": 7,
                "probabilities": "[0.1]",
                "model_version": "cnn-0000000000000000",
                "image_png": b"no longer decodable" if label == 0 else sent,
                "field": field,
            }
            connection.execute(schema.corrections.insert().values(**row))
    engine.dispose()


def test_a_version_1_database_is_migrated_and_every_record_gets_a_public_id(database_url):
    version_1_database(database_url, 3)
    store = CorrectionStore(database_url)
    assert store.version() == len(schema.MIGRATIONS)
    records = store.recent()
    ids = [r["public_id"] for r in records]
    assert len(set(ids)) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{16}", i) for i in ids)
    assert [r["label"] for r in records] == [2, 1, 0] and not any(r["hidden"] for r in records)
    assert store.image(ids[0]) == seven_as_served()  # old drawings re-encoded, junk dropped
    oldest = Image.open(io.BytesIO(store.image(ids[2])))  # drawn again from its 28x28 field
    assert oldest.size == (28, 28) and oldest.mode == "L"
    assert store.stats()["total"] == 3 and store.dataset()[0].tolist() == [1, 2, 3]
    new = store.add(correction())
    assert new not in ids and store.count() == 4
    store.close()
    again = CorrectionStore(database_url)  # a second start finds it done
    assert again.version() == len(schema.MIGRATIONS)
    assert [r["public_id"] for r in again.recent()][1:] == ids
    assert [again.strokes(i) for i in ids] == [[], [], []]  # none were kept before version 3
    again.close()


# --- what is kept, counted and listed --------------------------------------------------------


def test_a_correction_is_stored_whole_and_read_back(store):
    stored = correction(label=7, predicted=1)
    public_id = store.add(stored)
    assert isinstance(public_id, str) and len(public_id) >= 16
    assert store.image(public_id) == seven_as_served()
    np.testing.assert_allclose(store.field(public_id), stored.field, atol=0.5 / 255)
    (record,) = store.recent()
    assert record["public_id"] == public_id and record["hidden"] is False
    assert (record["label"], record["predicted"]) == (7, 1)
    assert record["probabilities"] == [0.05] * 10
    assert record["model_version"] == "cnn-0123456789abcdef"
    assert record["created"].utcoffset().total_seconds() == 0  # UTC, on both databases
    assert store.image(public_id + "x") is None and store.field(public_id + "x") is None
    assert store.image(str(record["id"])) is None  # the sequential id opens nothing


def test_a_correction_keeps_its_strokes_to_a_hundredth(store):
    strokes = [np.array([[10.123, 20.0, 0.0], [30.0, 40.456, 16.7]]), np.array([[5.0, 6.0, 90.0]])]
    public_id = store.add(dataclasses.replace(correction(), strokes=strokes))
    kept = store.strokes(public_id)
    assert [s.shape for s in kept] == [(2, 3), (1, 3)]
    np.testing.assert_allclose(kept[0], [[10.12, 20.0, 0.0], [30.0, 40.46, 16.7]])
    assert store.strokes(store.add(correction())) == []  # none sent, none kept


def test_stats_count_per_digit_drawn_and_how_often_the_model_was_right(store):
    for label, predicted in [(7, 1), (7, 7), (7, 7), (3, 8), (0, 0), (10, 4), (10, 10)]:
        store.add(correction(label, predicted))
    stats = store.stats()
    assert stats["total"] == 7 and stats["model_right"] == 4
    assert stats["model_accuracy"] == 0.5714
    assert stats["not_a_digit"] == {"total": 2, "model_right": 1, "model_accuracy": 0.5}
    assert stats["per_digit"]["7"] == {"total": 3, "model_right": 2, "model_accuracy": 0.6667}
    assert stats["per_digit"]["3"] == {"total": 1, "model_right": 0, "model_accuracy": 0.0}
    assert stats["per_digit"]["5"] == {"total": 0, "model_right": 0, "model_accuracy": None}
    assert sorted(stats["per_digit"]) == [str(d) for d in range(10)]


def test_recent_lists_newest_first_within_the_limit(store):
    ids = [store.add(correction(label=d)) for d in range(5)]
    assert [r["public_id"] for r in store.recent(3)] == ids[::-1][:3]


def test_threads_and_instances_write_to_one_database_without_losing_any(store, database_url):
    other = CorrectionStore(database_url)  # a second app instance on the same database
    errors = []

    def add_many(target, label):
        try:
            for _ in range(10):
                target.add(correction(label=label))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=add_many, args=(s, i)) for i, s in enumerate([store, other] * 3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids, _, labels = other.dataset()
    assert len(set(ids.tolist())) == 60 and store.stats()["total"] == 60
    assert np.bincount(labels).tolist() == [10] * 6
    other.close()


def test_held_out_share_is_stable_per_id():
    held = [is_held_out(i) for i in range(1, 2001)]
    assert 0.17 < np.mean(held) < 0.23
    assert held == [is_held_out(i) for i in range(1, 2001)]


# --- the databases it takes ------------------------------------------------------------------


def test_sqlite_runs_in_wal_mode_with_synced_commits(tmp_path):
    store = CorrectionStore(sqlite_url(tmp_path / "sub", "f.sqlite3"))
    store.add(correction())
    with store.engine().connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()


@pytest.mark.parametrize("url", ["mysql://db/x", "feedback.sqlite3", "sqlite://", ""])
def test_unsupported_database_urls_are_refused_with_the_reason(url):
    with pytest.raises(CorrectionError, match="sqlite:///"):
        CorrectionStore(url).version()


def test_the_app_refuses_to_start_with_a_bad_database_url(make_app):
    with pytest.raises(CorrectionError, match="DATABASE_URL"):
        make_app(DATABASE_URL="mysql://db/x")
