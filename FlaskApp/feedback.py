"""People's corrections: stored safely, bounded, counted, and handed to training (no Flask here).

A correction is a drawing the model read, the digit the person says they drew (or
`NOT_A_DIGIT`, 10: "that is no digit"), and what the server's model answered for it.
`FeedbackStore` keeps them in SQLite (a file, WAL mode, every commit synced) or PostgreSQL,
chosen by a URL such as `sqlite:///instance/feedback.sqlite3` or
`postgresql://user:password@host/db`, through SQLAlchemy Core, so one code path serves both.
The schema is created on first use and versioned (table `schema_version`, `MIGRATIONS`).

What is stored is only what was decoded, never the bytes a client sent: the drawing is kept as
the ink the server found in it (`preprocessing.ink`), black on white, as an 8-bit greyscale PNG
whose longer side is at most `DRAWING_SIDE` pixels (`drawing_png`), beside the normalised 28x28
field the model read. Each record has a random public id (`secrets.token_urlsafe`) for URLs;
the sequential id stays inside. A record can be hidden (kept, but left out of the statistics,
the dataset and the export unless asked) or deleted. `page` lists them for the review, newest
first, by keyset on the id, so paging neither skips nor repeats one while others come and go.

Every wait is bounded by the store's `timeout`: SQLite's busy timeout; PostgreSQL's connect
timeout, server-side statement, lock and idle-in-transaction timeouts, TCP keepalives and
`tcp_user_timeout`; SQLAlchemy's pool timeout. None of those can end a wait on a server that is
alive at the TCP level but never answers (a stopped process): callers that must not hang run the
store's calls through `bounded.BoundedCalls`, and `add` never commits after its `deadline`.
An SQLite file deleted or replaced under a running store is noticed before the next call (the
file's inode), logged, and opened anew with the schema, so no correction goes into a file that is
gone. `max_records` caps the store: `add` raises `StoreFull` beyond it.

    python FlaskApp/feedback.py export --database-url URL --to DIR [--include-hidden]

writes the corrections as MNIST-format gz IDX files (the normalised 28x28 fields and labels).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import logging
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import files
import mnist
import numpy as np
import preprocessing
import sqlalchemy as sa
from PIL import Image

logger = logging.getLogger(__name__)

SIZE = 28
NOT_A_DIGIT = 10  # the label of a drawing that is no digit (the model's eleventh class)
HOLDOUT_SHARE = 0.2  # of the corrections, kept out of training to evaluate on
# Seconds any one wait on the database may last, for batch use (training, export, the command
# line); the server passes its own, much shorter, FEEDBACK_TIMEOUT.
DEFAULT_TIMEOUT = 60.0
DRAWING_SIDE = 256  # pixels: the longer side of a stored drawing, at most
PUBLIC_ID_BYTES = 12  # random bytes in a public id (16 URL-safe characters)
MIGRATION_BATCH = 200  # records read and rewritten at a time by a migration

metadata = sa.MetaData()
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)


def _v1_columns() -> list[sa.Column]:
    """The columns of the corrections table as version 1 created it."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("predicted", sa.SmallInteger, nullable=False),
        sa.Column("probabilities", sa.Text, nullable=False),  # JSON list of ten floats
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("image_png", sa.LargeBinary, nullable=False),  # the drawing, as PNG
        sa.Column("field", sa.LargeBinary, nullable=False),  # normalised 28x28, uint8, row-major
    ]


# The table exactly as version 1 made it: `_create_v1` creates this, whatever came later.
corrections = sa.Table("feedback", metadata, *_v1_columns())
# The table as the code reads and writes it now (version 2 added the last two columns).
records = sa.Table(
    "feedback",
    sa.MetaData(),
    *_v1_columns(),
    sa.Column("public_id", sa.String(32), unique=True),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
)


# What the review lists of a record: all but its images.
LISTED = [
    records.c.id,
    records.c.public_id,
    records.c.hidden,
    records.c.created,
    records.c.label,
    records.c.predicted,
    records.c.probabilities,
    records.c.model_version,
]


def _listed(row: sa.Row) -> dict:
    """A listed record as plain data: `created` an aware UTC datetime."""
    created = row.created
    # SQLite hands back naive datetimes (they were stored as UTC); PostgreSQL hands back aware
    # ones in the session's time zone.
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
    return {
        **row._asdict(),
        "hidden": bool(row.hidden),
        "created": created,
        "probabilities": json.loads(row.probabilities),
    }


def _create_v1(connection: sa.Connection) -> None:
    """Version 1: the corrections table."""
    corrections.create(connection, checkfirst=True)


def _public_ids_and_hiding_v2(connection: sa.Connection) -> None:
    """Version 2: a random public id for every record (for URLs), a flag to hide one, and the
    drawings version 1 kept as sent re-encoded from their pixels (`drawing_png`)."""
    connection.execute(sa.text("ALTER TABLE feedback ADD COLUMN public_id VARCHAR(32)"))
    connection.execute(
        sa.text("ALTER TABLE feedback ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE")
    )
    ids = connection.execute(sa.text("SELECT id FROM feedback ORDER BY id")).scalars().all()
    for start in range(0, len(ids), MIGRATION_BATCH):
        batch = ids[start : start + MIGRATION_BATCH]
        query = sa.text("SELECT id, image_png, field FROM feedback WHERE id IN :ids")
        query = query.bindparams(sa.bindparam("ids", expanding=True))
        rows = connection.execute(query, {"ids": batch}).all()
        connection.execute(
            sa.text("UPDATE feedback SET public_id = :public_id, image_png = :png WHERE id = :id"),
            [{"id": r.id, "public_id": new_public_id(), "png": _reencoded(r)} for r in rows],
        )
    connection.execute(sa.text("CREATE UNIQUE INDEX ix_feedback_public_id ON feedback (public_id)"))


def _reencoded(row) -> bytes:
    """A version 1 drawing as `drawing_png` keeps it; from its field should it not decode."""
    try:
        coverage = preprocessing.ink(preprocessing.decode(row.image_png))
    except (preprocessing.ImageError, preprocessing.NothingDrawn):
        coverage = _fields([row.field])[0] / 255.0
    return drawing_png(coverage)


# Append a function for each change to the schema; never edit one that has shipped.
MIGRATIONS: list[Callable[[sa.Connection], None]] = [_create_v1, _public_ids_and_hiding_v2]


class FeedbackError(ValueError):
    """A correction that cannot be stored as given."""


class StoreFull(RuntimeError):
    """The store holds `max_records` corrections already."""

    def __init__(self, max_records: int) -> None:
        super().__init__(f"The store holds its maximum of {max_records:,} corrections.")
        self.max_records = max_records


class DeadlinePassed(TimeoutError):
    """A correction was ready to commit only after its deadline: it was rolled back."""


@dataclass(frozen=True)
class Correction:
    """One correction, ready to store."""

    label: int
    predicted: int  # what the server's model answered, never what a client says it answered
    probabilities: list[float]
    model_version: str
    drawing: np.ndarray  # ink coverage (H, W) in [0, 1], as `preprocessing.ink` finds it
    field: np.ndarray  # float32 28x28 in [0, 1], as the model saw it

    def __post_init__(self) -> None:
        for name in ("label", "predicted"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise FeedbackError(
                    f"Expected '{name}' to be a digit 0-9 or {NOT_A_DIGIT} (not a digit); "
                    f"received {value!r}."
                )
        if np.shape(self.field) != (SIZE, SIZE):
            raise FeedbackError(f"Expected a 28x28 field; received {np.shape(self.field)}.")
        if np.ndim(self.drawing) != 2 or 0 in np.shape(self.drawing):
            raise FeedbackError(
                f"Expected the drawing's ink as a 2-D array; received {np.shape(self.drawing)}."
            )


@dataclass(frozen=True)
class Page:
    """One page of the review's list: its records, newest first, and where it sits."""

    records: list[dict]
    total: int  # records matching the page's filter, on every page
    first: int  # the position of the first record shown, 1 for the newest; 0 when none is
    has_newer: bool
    has_older: bool

    @property
    def last(self) -> int:
        """The position of the last record shown (0 when none is)."""
        return self.first + len(self.records) - 1 if self.records else 0


def new_public_id() -> str:
    """A random id for URLs: it tells nothing about how many records there are."""
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def drawing_png(coverage: np.ndarray, side: int = DRAWING_SIDE) -> bytes:
    """Ink coverage as the PNG to keep: black ink on white, greyscale, longer side <= `side`."""
    grey = Image.fromarray(np.round((1.0 - np.clip(coverage, 0.0, 1.0)) * 255).astype(np.uint8))
    scale = side / max(grey.size)
    if scale < 1:
        size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
        grey = grey.resize(size, Image.Resampling.BOX)  # an average: thin strokes stay visible
    buffer = io.BytesIO()
    grey.save(buffer, format="PNG")
    return buffer.getvalue()


def database_url(url: str) -> str:
    """A URL SQLAlchemy can use: postgresql:// (and postgres://) go through psycopg 3."""
    for scheme in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    if url.startswith("sqlite:///"):
        return url
    raise FeedbackError(
        "Expected DATABASE_URL to start with sqlite:/// (a file) or postgresql://; "
        f"received {url.split('://')[0] or url!r}://..."
    )


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


def field_bytes(field: np.ndarray) -> bytes:
    """A normalised field as 784 bytes (0-255), the form MNIST keeps its digits in."""
    return np.round(np.clip(field, 0.0, 1.0) * 255).astype(np.uint8).tobytes()


def is_held_out(record_id: int, share: float = HOLDOUT_SHARE) -> bool:
    """Whether a correction is kept for evaluation: by a hash of its id, so it stays so."""
    digest = hashlib.sha256(f"feedback-{record_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def _file_identity(path: Path) -> tuple[int, int] | None:
    """The device and inode of a file, or None when there is no file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


class FeedbackStore:
    """The corrections in one database; safe to share between the threads of a process."""

    def __init__(
        self, url: str, *, timeout: float = DEFAULT_TIMEOUT, max_records: int | None = None
    ) -> None:
        self.url = database_url(url)
        self.timeout = float(timeout)
        self.max_records = max_records
        self._engine: sa.Engine | None = None
        self._identity: tuple[int, int] | None = None
        self._lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        """Whether this store is an SQLite file."""
        return self.url.startswith("sqlite")

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return Path(sa.engine.make_url(self.url).database or "")

    def engine(self) -> sa.Engine:
        """The engine, connecting and creating or updating the schema on first use."""
        with self._lock:
            if self._engine is not None and self.is_sqlite and self._file_was_replaced():
                self._engine.dispose()
                self._engine = None
            if self._engine is None:
                engine = self._create_engine()
                try:
                    self._migrate(engine)
                except BaseException:
                    engine.dispose()
                    raise
                self._engine = engine
                self._identity = _file_identity(self.path) if self.is_sqlite else None
            return self._engine

    def _file_was_replaced(self) -> bool:
        """Whether the SQLite file is gone or another file now has its name (then: warn)."""
        now = _file_identity(self.path)
        if now == self._identity:
            return False
        what = "was deleted" if now is None else "was replaced by another file"
        logger.warning("the feedback database %s %s: opening it anew", self.path, what)
        return True

    def _create_engine(self) -> sa.Engine:
        pool = {"pool_timeout": self.timeout, "pool_pre_ping": True}
        if not self.is_sqlite:
            return sa.create_engine(self.url, connect_args=postgres_bounds(self.timeout), **pool)
        if not self.path.name:
            raise FeedbackError("Expected a file in the sqlite:/// URL; received none.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # `timeout` is SQLite's busy timeout: how long a write waits for another writer's lock.
        engine = sa.create_engine(self.url, connect_args={"timeout": self.timeout}, **pool)

        @sa.event.listens_for(engine, "connect")
        def durable(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            cursor.execute("PRAGMA synchronous=FULL")  # each commit synced before it returns
            cursor.close()

        return engine

    def _migrate(self, engine: sa.Engine) -> None:
        """Apply the migrations this database has not had, one process at a time."""
        with self._migration_lock(), engine.begin() as connection:
            if not self.is_sqlite:  # PostgreSQL: DDL is transactional; serialise instances
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(8128)"))
            schema_version.create(connection, checkfirst=True)
            current = connection.execute(sa.select(sa.func.max(schema_version.c.version)))
            version = current.scalar() or 0
            for number, migrate in enumerate(MIGRATIONS[version:], start=version + 1):
                migrate(connection)
                connection.execute(schema_version.insert().values(version=number))

    def _migration_lock(self):
        """SQLite: a lock file beside the database, so workers starting together migrate once."""
        if not self.is_sqlite:
            return contextlib.nullcontext()
        return files.locked(Path(str(self.path) + ".lock"))

    def version(self) -> int:
        """The schema version of the database."""
        with self.engine().connect() as connection:
            return connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()

    def add(self, correction: Correction, deadline: float | None = None) -> str:
        """Store a correction; its public id once committed (never after `deadline`, monotonic)."""
        row = {
            "public_id": new_public_id(),
            "hidden": False,
            "created": datetime.now(UTC),
            "label": correction.label,
            "predicted": correction.predicted,
            "probabilities": json.dumps([round(float(p), 6) for p in correction.probabilities]),
            "model_version": correction.model_version,
            "image_png": drawing_png(correction.drawing),
            "field": field_bytes(correction.field),
        }
        with self.engine().begin() as connection:
            connection.execute(records.insert().values(**row))
            # Counted after the insert, so SQLite's write lock makes the count exact.
            if self.max_records is not None and self._count(connection) > self.max_records:
                raise StoreFull(self.max_records)  # rolls the insert back
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlinePassed("The correction was ready only after its deadline.")
        return row["public_id"]

    @staticmethod
    def _count(connection: sa.Connection) -> int:
        return connection.execute(sa.select(sa.func.count()).select_from(records)).scalar()

    def count(self, hidden: bool | None = None) -> int:
        """How many corrections are stored, hidden ones included; `hidden`: only those, or none."""
        if hidden is None:
            with self.engine().connect() as connection:
                return self._count(connection)
        flag = sa.true() if hidden else sa.false()
        query = sa.select(sa.func.count()).select_from(records).where(records.c.hidden == flag)
        with self.engine().connect() as connection:
            return connection.execute(query).scalar()

    def stats(self, include_hidden: bool = False) -> dict:
        """How many corrections per digit drawn, and how often the model was right."""
        c = records.c
        right = sa.func.sum(sa.case((c.predicted == c.label, 1), else_=0))
        query = _visible(sa.select(c.label, sa.func.count(), right), include_hidden)
        with self.engine().connect() as connection:
            rows = {
                label: (n, int(ok or 0))
                for label, n, ok in connection.execute(query.group_by(c.label))
            }
        per_digit = {str(digit): _tally(*rows.get(digit, (0, 0))) for digit in range(10)}
        total = sum(n for n, _ in rows.values())
        right_total = sum(ok for _, ok in rows.values())
        return {
            **_tally(total, right_total),
            "per_digit": per_digit,
            "not_a_digit": _tally(*rows.get(NOT_A_DIGIT, (0, 0))),
        }

    def recent(self, limit: int = 50, include_hidden: bool = True) -> list[dict]:
        """The latest corrections, newest first, without their images."""
        query = _visible(sa.select(*LISTED), include_hidden).order_by(records.c.id.desc())
        with self.engine().connect() as connection:
            return [_listed(row) for row in connection.execute(query.limit(limit))]

    def page(
        self,
        limit: int = 50,
        *,
        before: int | None = None,
        after: int | None = None,
        wrong_only: bool = False,
        include_hidden: bool = True,
    ) -> Page:
        """One page of corrections, newest first, by keyset on the internal id.

        `before`: the page starts just older than that id (the next page is `before` the oldest
        id shown); `after`: it ends just newer than it (the previous page is `after` the newest
        shown); neither: the newest. Keyset pages neither skip nor repeat a record when others
        are added or deleted meanwhile. `wrong_only`: only records whose label is not what the
        model read.
        """
        if before is not None and after is not None:
            raise ValueError("Expected at most one of before and after; received both.")
        c = records.c
        matching = [] if include_hidden else [c.hidden == sa.false()]
        if wrong_only:
            matching.append(c.label != c.predicted)
        query = sa.select(*LISTED).where(*matching)
        if after is not None:
            query = query.where(c.id > after).order_by(c.id.asc())
        else:
            query = query.where(*([] if before is None else [c.id < before]))
            query = query.order_by(c.id.desc())

        def count(*where) -> int:
            return connection.execute(
                sa.select(sa.func.count()).select_from(records).where(*matching, *where)
            ).scalar()

        with self.engine().connect() as connection:
            rows = connection.execute(query.limit(limit)).all()
            if after is not None:
                rows.reverse()
            total = count()
            if rows:
                newer = count(c.id > rows[0].id)
                older = count(c.id < rows[-1].id) > 0
            else:  # past either end: nothing here, everything is the other way
                newer = total if after is None else 0
                older = after is not None and total > 0
        return Page(
            records=[_listed(row) for row in rows],
            total=total,
            first=newer + 1 if rows else 0,
            has_newer=newer > 0,
            has_older=older,
        )

    def image(self, public_id: str) -> bytes | None:
        """The stored drawing of one correction as PNG bytes, or None."""
        query = sa.select(records.c.image_png).where(records.c.public_id == public_id)
        with self.engine().connect() as connection:
            return connection.execute(query).scalar()

    def field(self, public_id: str) -> np.ndarray | None:
        """The normalised 28x28 of one correction (float32 in [0, 1]), or None."""
        query = sa.select(records.c.field).where(records.c.public_id == public_id)
        with self.engine().connect() as connection:
            data = connection.execute(query).scalar()
        return None if data is None else _fields([data])[0].astype(np.float32) / 255.0

    def set_hidden(self, public_id: str, hidden: bool) -> bool:
        """Hide a correction (or show it again); False when there is no such correction."""
        query = records.update().where(records.c.public_id == public_id).values(hidden=hidden)
        with self.engine().begin() as connection:
            return connection.execute(query).rowcount > 0

    def delete(self, public_id: str) -> bool:
        """Delete a correction for good; False when there is no such correction."""
        query = records.delete().where(records.c.public_id == public_id)
        with self.engine().begin() as connection:
            return connection.execute(query).rowcount > 0

    def dataset(self, include_hidden: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The corrections, oldest first: ids, fields uint8 (N, 28, 28) and labels uint8 (N,)."""
        c = records.c
        query = _visible(sa.select(c.id, c.field, c.label), include_hidden).order_by(c.id)
        with self.engine().connect() as connection:
            rows = connection.execute(query).all()
        ids = np.array([r.id for r in rows], np.int64)
        labels = np.array([r.label for r in rows], np.uint8)
        return ids, _fields([r.field for r in rows]), labels

    def split(self, include_hidden: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The corrections as {"train": (fields, labels), "held_out": (fields, labels)}."""
        ids, fields, labels = self.dataset(include_hidden)
        held = np.array([is_held_out(int(i)) for i in ids], bool)
        return {"train": (fields[~held], labels[~held]), "held_out": (fields[held], labels[held])}

    def close(self) -> None:
        """Close the database connections."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _visible(query: sa.Select, include_hidden: bool) -> sa.Select:
    """The query, without hidden corrections unless they are asked for."""
    return query if include_hidden else query.where(records.c.hidden == sa.false())


def _tally(total: int, right: int) -> dict:
    """A count of corrections and how many of them the model had right."""
    return {
        "total": total,
        "model_right": right,
        "model_accuracy": round(right / total, 4) if total else None,
    }


def _fields(blobs: list[bytes]) -> np.ndarray:
    """Stored 784-byte fields as uint8 (N, 28, 28)."""
    flat = np.frombuffer(b"".join(blobs), np.uint8)
    return flat.reshape(-1, SIZE, SIZE).copy()


def export(
    store: FeedbackStore, folder: str | os.PathLike, include_hidden: bool = False
) -> tuple[Path, Path, int]:
    """Write the corrections as feedback-images-idx3-ubyte.gz and feedback-labels-idx1-ubyte.gz."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _, fields, labels = store.dataset(include_hidden)
    images = mnist.write_idx(folder / "feedback-images-idx3-ubyte.gz", fields)
    labels_path = mnist.write_idx(folder / "feedback-labels-idx1-ubyte.gz", labels)
    return images, labels_path, len(labels)


def default_url(instance_path: str | os.PathLike) -> str:
    """SQLite in the app's instance folder: where the corrections go without DATABASE_URL."""
    return f"sqlite:///{Path(instance_path).resolve() / 'feedback.sqlite3'}"


def url_from_environment() -> str:
    """DATABASE_URL (or FLASK_DATABASE_URL), else the SQLite file in the app's instance folder:
    the app's own setting (`settings`)."""
    import settings  # the commands' defaults are the app's

    return settings.load().database_url


def main(argv: list[str] | None = None) -> int:
    """Command line: export the corrections, or print their statistics."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["export", "stats"])
    parser.add_argument(
        "--database-url",
        default=url_from_environment(),
        help="default: $DATABASE_URL, else FlaskApp/instance/feedback.sqlite3",
    )
    parser.add_argument("--to", default="exported/feedback", help="export: the folder")
    parser.add_argument(
        "--include-hidden", action="store_true", help="count and export hidden corrections too"
    )
    args = parser.parse_args(argv)
    store = FeedbackStore(args.database_url)
    if args.command == "stats":
        print(json.dumps(store.stats(args.include_hidden), indent=2))
        return 0
    images, labels, n = export(store, args.to, args.include_hidden)
    print(f"exported {n} corrections to {images} and {labels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
