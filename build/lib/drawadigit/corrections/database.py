"""The database under the store: engines whose every wait is bounded, and the SQLite file.

SQLite runs in WAL mode with every commit synced, and waits at most `timeout` for another
writer's lock. PostgreSQL gets a connect timeout, server-side statement, lock and
idle-in-transaction timeouts, TCP keepalives and `tcp_user_timeout` (`postgres_bounds`); both
get SQLAlchemy's pool timeout.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from drawadigit import files


def is_sqlite(url: str) -> bool:
    """Whether the (SQLAlchemy) URL names an SQLite file."""
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    """The file an sqlite:/// URL names (an empty path when it names none)."""
    return Path(sa.engine.make_url(url).database or "")


def postgres_bounds(timeout: float) -> dict:
    """psycopg connection arguments that bound every wait on a PostgreSQL server to `timeout`."""
    ms = max(1, int(timeout * 1000))
    server = (
        f"-c statement_timeout={ms} -c lock_timeout={ms} "
        f"-c idle_in_transaction_session_timeout={10 * ms}"
    )
    return {
        "connect_timeout": max(2, math.ceil(timeout)),  # libpq: whole seconds, at least 2
        "options": server,  # the server cancels a statement or a lock wait that runs over
        # A peer that vanishes is noticed: unacknowledged data, or idle keepalives unanswered.
        "tcp_user_timeout": ms,
        "keepalives": 1,
        "keepalives_idle": max(1, math.ceil(timeout)),
        "keepalives_interval": 1,
        "keepalives_count": 3,
    }


def create_engine(url: str, timeout: float) -> sa.Engine:
    """An engine for the URL with every wait bounded by `timeout` (an SQLite file's folder made)."""
    pool = {"pool_timeout": timeout, "pool_pre_ping": True}
    if not is_sqlite(url):
        return sa.create_engine(url, connect_args=postgres_bounds(timeout), **pool)
    sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    # `timeout` is SQLite's busy timeout: how long a write waits for another writer's lock.
    engine = sa.create_engine(url, connect_args={"timeout": timeout}, **pool)
    sa.event.listen(engine, "connect", _durable)
    return engine


def _durable(connection, _record) -> None:
    """An SQLite connection in WAL mode, each commit synced."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=FULL")  # each commit synced before it returns
    cursor.close()


@contextlib.contextmanager
def migrating(engine: sa.Engine, url: str) -> Iterator[sa.Connection]:
    """A transaction to migrate the schema in, held by one process at a time.

    SQLite: a lock file beside the database, so workers starting together migrate once;
    PostgreSQL: DDL is transactional, and an advisory lock serialises instances.
    """
    sqlite = is_sqlite(url)
    lock = files.locked(f"{sqlite_path(url)}.lock") if sqlite else contextlib.nullcontext()
    with lock, engine.begin() as connection:
        if not sqlite:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(8128)"))
        yield connection


def file_identity(path: Path) -> tuple[int, int] | None:
    """The device and inode of a file, or None when there is no file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino
