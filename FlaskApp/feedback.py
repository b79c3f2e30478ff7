"""People's corrections: stored safely, counted, and handed to training (no Flask here).

A correction is a drawing the model read, the digit the person says they drew (or
`NOT_A_DIGIT`, 10: "that is no digit"), and what the model answered. `FeedbackStore` keeps them
in SQLite (a file, WAL mode, every commit synced) or PostgreSQL, chosen by a URL such as
`sqlite:///instance/feedback.sqlite3` or `postgresql://user:password@host/db`, through
SQLAlchemy Core, so one code path serves both.
The schema is created on first use and versioned (table `schema_version`, `MIGRATIONS`).

    python FlaskApp/feedback.py export --database-url URL --to DIR

writes the corrections as MNIST-format gz IDX files (the normalised 28x28 fields and labels).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

SIZE = 28
NOT_A_DIGIT = 10  # the label of a drawing that is no digit (the model's eleventh class)
HOLDOUT_SHARE = 0.2  # of the corrections, kept out of training to evaluate on
CONNECT_TIMEOUT = 5  # seconds, for PostgreSQL

metadata = sa.MetaData()
schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)
corrections = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("label", sa.SmallInteger, nullable=False),
    sa.Column("predicted", sa.SmallInteger, nullable=False),
    sa.Column("probabilities", sa.Text, nullable=False),  # JSON list of ten floats
    sa.Column("model_version", sa.String(200), nullable=False),
    sa.Column("image_png", sa.LargeBinary, nullable=False),  # the drawing as sent, as PNG
    sa.Column("field", sa.LargeBinary, nullable=False),  # normalised 28x28, uint8, row-major
)


def _create_v1(connection: sa.Connection) -> None:
    """Version 1: the corrections table."""
    corrections.create(connection, checkfirst=True)


# Append a function for each change to the schema; never edit one that has shipped.
MIGRATIONS: list[Callable[[sa.Connection], None]] = [_create_v1]


class FeedbackError(ValueError):
    """A correction that cannot be stored as given."""


@dataclass(frozen=True)
class Correction:
    """One correction, ready to store."""

    label: int
    predicted: int
    probabilities: list[float]
    model_version: str
    image_png: bytes
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


def field_bytes(field: np.ndarray) -> bytes:
    """A normalised field as 784 bytes (0-255), the form MNIST keeps its digits in."""
    return np.round(np.clip(field, 0.0, 1.0) * 255).astype(np.uint8).tobytes()


def is_held_out(record_id: int, share: float = HOLDOUT_SHARE) -> bool:
    """Whether a correction is kept for evaluation: by a hash of its id, so it stays so."""
    digest = hashlib.sha256(f"feedback-{record_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


class FeedbackStore:
    """The corrections in one database; safe to share between the threads of a process."""

    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        """Whether this store is an SQLite file."""
        return self.url.startswith("sqlite")

    def engine(self) -> sa.Engine:
        """The engine, connecting and creating or updating the schema on first use."""
        with self._lock:
            if self._engine is None:
                engine = self._create_engine()
                self._migrate(engine)
                self._engine = engine
            return self._engine

    def _create_engine(self) -> sa.Engine:
        if not self.is_sqlite:
            # A database that does not answer fails a request in seconds, not never.
            return sa.create_engine(
                self.url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT}
            )
        path = Path(sa.engine.make_url(self.url).database or "")
        if not path.name:
            raise FeedbackError("Expected a file in the sqlite:/// URL; received none.")
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(self.url, connect_args={"timeout": 30})

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
        return _file_lock(Path(sa.engine.make_url(self.url).database + ".lock"))

    def version(self) -> int:
        """The schema version of the database."""
        with self.engine().connect() as connection:
            return connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()

    def add(self, correction: Correction) -> int:
        """Store a correction; returns its id once the database has committed it."""
        row = {
            "created": datetime.now(UTC),
            "label": correction.label,
            "predicted": correction.predicted,
            "probabilities": json.dumps([round(float(p), 6) for p in correction.probabilities]),
            "model_version": correction.model_version,
            "image_png": correction.image_png,
            "field": field_bytes(correction.field),
        }
        with self.engine().begin() as connection:
            result = connection.execute(corrections.insert().values(**row))
            return int(result.inserted_primary_key[0])

    def stats(self) -> dict:
        """How many corrections per digit drawn, and how often the model was right as reported."""
        right = sa.func.sum(sa.case((corrections.c.predicted == corrections.c.label, 1), else_=0))
        query = sa.select(corrections.c.label, sa.func.count(), right).group_by(corrections.c.label)
        with self.engine().connect() as connection:
            rows = {label: (n, int(ok or 0)) for label, n, ok in connection.execute(query)}
        per_digit = {}
        for digit in range(10):
            n, ok = rows.get(digit, (0, 0))
            per_digit[str(digit)] = {
                "total": n,
                "model_right": ok,
                "model_accuracy": round(ok / n, 4) if n else None,
            }
        n, ok = rows.get(NOT_A_DIGIT, (0, 0))
        not_a_digit = {
            "total": n,
            "model_right": ok,
            "model_accuracy": round(ok / n, 4) if n else None,
        }
        total = sum(n for n, _ in rows.values())
        right_total = sum(ok for _, ok in rows.values())
        return {
            "total": total,
            "model_right": right_total,
            "model_accuracy": round(right_total / total, 4) if total else None,
            "per_digit": per_digit,
            "not_a_digit": not_a_digit,
        }

    def recent(self, limit: int = 50) -> list[dict]:
        """The latest corrections, newest first, without their images."""
        c = corrections.c
        columns = [c.id, c.created, c.label, c.predicted, c.probabilities, c.model_version]
        query = sa.select(*columns).order_by(c.id.desc()).limit(limit)
        with self.engine().connect() as connection:
            rows = connection.execute(query).all()
        return [
            {
                **row._asdict(),
                # SQLite hands back naive datetimes; they were stored as UTC
                "created": row.created.replace(tzinfo=row.created.tzinfo or UTC),
                "probabilities": json.loads(row.probabilities),
            }
            for row in rows
        ]

    def image(self, record_id: int) -> bytes | None:
        """The drawing of one correction as PNG bytes, or None."""
        query = sa.select(corrections.c.image_png).where(corrections.c.id == record_id)
        with self.engine().connect() as connection:
            return connection.execute(query).scalar()

    def field(self, record_id: int) -> np.ndarray | None:
        """The normalised 28x28 of one correction (float32 in [0, 1]), or None."""
        query = sa.select(corrections.c.field).where(corrections.c.id == record_id)
        with self.engine().connect() as connection:
            data = connection.execute(query).scalar()
        return None if data is None else _fields([data])[0].astype(np.float32) / 255.0

    def dataset(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every correction, oldest first: ids, fields uint8 (N, 28, 28) and labels uint8 (N,)."""
        c = corrections.c
        query = sa.select(c.id, c.field, c.label).order_by(c.id)
        with self.engine().connect() as connection:
            rows = connection.execute(query).all()
        ids = np.array([r.id for r in rows], np.int64)
        labels = np.array([r.label for r in rows], np.uint8)
        return ids, _fields([r.field for r in rows]), labels

    def split(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The corrections as {"train": (fields, labels), "held_out": (fields, labels)}."""
        ids, fields, labels = self.dataset()
        held = np.array([is_held_out(int(i)) for i in ids], bool)
        return {"train": (fields[~held], labels[~held]), "held_out": (fields[held], labels[held])}

    def close(self) -> None:
        """Close the database connections."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _fields(blobs: list[bytes]) -> np.ndarray:
    """Stored 784-byte fields as uint8 (N, 28, 28)."""
    flat = np.frombuffer(b"".join(blobs), np.uint8)
    return flat.reshape(-1, SIZE, SIZE).copy()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive flock on a file for the duration."""
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """An uint8 array as a gz IDX file, the format of the MNIST files (magic 0x08, big-endian)."""
    array = np.ascontiguousarray(array, np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    path = Path(path)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())
    return path


def export(store: FeedbackStore, folder: str | os.PathLike) -> tuple[Path, Path, int]:
    """Write the corrections as feedback-images-idx3-ubyte.gz and feedback-labels-idx1-ubyte.gz."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _, fields, labels = store.dataset()
    images = write_idx(folder / "feedback-images-idx3-ubyte.gz", fields)
    labels_path = write_idx(folder / "feedback-labels-idx1-ubyte.gz", labels)
    return images, labels_path, len(labels)


def default_url(instance_path: str | os.PathLike) -> str:
    """SQLite in the app's instance folder: where the corrections go without DATABASE_URL."""
    return f"sqlite:///{Path(instance_path).resolve() / 'feedback.sqlite3'}"


def url_from_environment() -> str:
    """DATABASE_URL, else the SQLite file in the instance folder the app uses."""
    return os.environ.get("DATABASE_URL") or default_url(Path(__file__).parent / "instance")


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
    args = parser.parse_args(argv)
    store = FeedbackStore(args.database_url)
    if args.command == "stats":
        print(json.dumps(store.stats(), indent=2))
        return 0
    images, labels, n = export(store, args.to)
    print(f"exported {n} corrections to {images} and {labels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
