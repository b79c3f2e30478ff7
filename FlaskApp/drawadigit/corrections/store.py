"""The corrections' store: `CorrectionStore` keeps them safely, bounded and counted, and hands them
to training (no Flask here).

A correction (`Correction`) is a drawing the model read, the digit the person says they drew (or
`NOT_A_DIGIT`, 10: "that is no digit"), and what the server's model answered for it.
`CorrectionStore` keeps them in SQLite (a file) or PostgreSQL, chosen by a URL such as
`sqlite:///instance/feedback.sqlite3` or `postgresql://user:password@host/db`, through
SQLAlchemy Core, so one code path serves both. Each record has a random public id for URLs (the
sequential id stays inside); it can be hidden (kept, but left out of the statistics, the dataset
and the export unless asked) or deleted. `max_records` caps the store: `add` raises `StoreFull`.

No bound on the database (`database`) can end a wait on a server alive at the TCP level that
never answers (a stopped process): callers that must not hang run the store's calls through
`web.corrections.bounded.BoundedCalls`, and `add` never commits after its `deadline`. An SQLite
file deleted or replaced under a running store is noticed before the next call (its inode),
logged, and opened anew with the schema, so no correction goes into a file that is gone.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from drawadigit.contract import NOT_A_DIGIT, SIZE
from drawadigit.corrections import database, listing, pictures, schema
from drawadigit.corrections.listing import Page, count_matching, visible
from drawadigit.corrections.schema import records

logger = logging.getLogger(__name__)

HOLDOUT_SHARE = 0.2  # of the corrections, kept out of training to evaluate on
# Seconds any one wait on the database may last, for batch use (training, export, the command
# line); the server passes its own, much shorter, FEEDBACK_TIMEOUT.
DEFAULT_TIMEOUT = 60.0


class CorrectionError(ValueError):
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
    # The pen strokes it was drawn with, as `api.parse_strokes` checked them: (N, 2) or (N, 3)
    # arrays [x, y(, t)] in the posted image's pixels, t in ms; empty when none were sent.
    strokes: list[np.ndarray] = dataclass_field(default_factory=list)
    # One digit of a corrected number: its box [x0, y0, x1, y1] in the posted image's pixels,
    # and the whole number as corrected; None for a drawing corrected whole.
    box: tuple[int, int, int, int] | None = None
    number: str | None = None

    def __post_init__(self) -> None:
        for name in ("label", "predicted"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise CorrectionError(
                    f"Expected '{name}' to be a digit 0-9 or {NOT_A_DIGIT} (not a digit); "
                    f"received {value!r}."
                )
        if np.shape(self.field) != (SIZE, SIZE):
            raise CorrectionError(f"Expected a 28x28 field; received {np.shape(self.field)}.")
        if np.ndim(self.drawing) != 2 or 0 in np.shape(self.drawing):
            raise CorrectionError(
                f"Expected the drawing's ink as a 2-D array; received {np.shape(self.drawing)}."
            )


def database_url(url: str) -> str:
    """A URL SQLAlchemy can use: postgresql:// (and postgres://) go through psycopg 3."""
    for scheme in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    if url.startswith("sqlite:///"):
        return url
    raise CorrectionError(
        "Expected DATABASE_URL to start with sqlite:/// (a file) or postgresql://; "
        f"received {url.split('://')[0] or url!r}://..."
    )


def is_held_out(record_id: int, share: float = HOLDOUT_SHARE) -> bool:
    """Whether a correction is kept for evaluation: by a hash of its id, so it stays so."""
    # The salt keeps its old name: another would move records between training and held out.
    digest = hashlib.sha256(f"feedback-{record_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


class CorrectionStore:
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
        return database.is_sqlite(self.url)

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return database.sqlite_path(self.url)

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
                self._identity = database.file_identity(self.path) if self.is_sqlite else None
            return self._engine

    def _file_was_replaced(self) -> bool:
        """Whether the SQLite file is gone or another file now has its name (then: warn)."""
        now = database.file_identity(self.path)
        if now == self._identity:
            return False
        what = "was deleted" if now is None else "was replaced by another file"
        logger.warning("the corrections database %s %s: opening it anew", self.path, what)
        return True

    def _create_engine(self) -> sa.Engine:
        if self.is_sqlite and not self.path.name:
            raise CorrectionError("Expected a file in the sqlite:/// URL; received none.")
        return database.create_engine(self.url, self.timeout)

    def _migrate(self, engine: sa.Engine) -> None:
        """Apply the migrations this database has not had, one process at a time."""
        with database.migrating(engine, self.url) as connection:
            schema.migrate(connection, schema.MIGRATIONS)

    def version(self) -> int:
        """The schema version of the database."""
        with self.engine().connect() as connection:
            return schema.version(connection)

    def add(self, correction: Correction, deadline: float | None = None) -> str:
        """Store a correction; its public id once committed (never after `deadline`, monotonic)."""
        return self.add_all([correction], deadline)[0]

    def add_all(self, corrections: list[Correction], deadline: float | None = None) -> list[str]:
        """Store corrections together (a number's digits): all committed, or none."""
        rows = [schema.row_of(correction) for correction in corrections]
        with self.engine().begin() as connection:
            connection.execute(records.insert(), rows)
            # Counted after the insert, so SQLite's write lock makes the count exact.
            if self.max_records is not None and count_matching(connection) > self.max_records:
                raise StoreFull(self.max_records)  # rolls the insert back
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlinePassed("The correction was ready only after its deadline.")
        return [row["public_id"] for row in rows]

    def count(self, hidden: bool | None = None) -> int:
        """How many corrections are stored, hidden ones included; `hidden`: only those, or none."""
        flag = sa.true() if hidden else sa.false()
        where = [] if hidden is None else [records.c.hidden == flag]
        with self.engine().connect() as connection:
            return count_matching(connection, *where)

    def stats(self, include_hidden: bool = False) -> dict:
        """How many corrections per digit drawn, and how often the model was right."""
        with self.engine().connect() as connection:
            return listing.stats(connection, include_hidden)

    def recent(self, limit: int = 50, include_hidden: bool = True) -> list[dict]:
        """The latest corrections, newest first, without their images."""
        with self.engine().connect() as connection:
            return listing.recent(connection, limit, include_hidden)

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
        wrong = [records.c.label != records.c.predicted] if wrong_only else []
        with self.engine().connect() as connection:
            return listing.page(connection, visible(include_hidden) + wrong, limit, before, after)

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
        if data is None:
            return None
        return pictures.fields([data])[0].astype(np.float32) / 255.0

    def strokes(self, public_id: str) -> list[np.ndarray] | None:
        """The pen strokes one correction was drawn with ([] none sent), or None when there is
        no such correction."""
        query = sa.select(records.c.id, records.c.strokes).where(records.c.public_id == public_id)
        with self.engine().connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return schema.strokes_of(row.strokes) or []

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
        query = sa.select(c.id, c.field, c.label).where(*visible(include_hidden)).order_by(c.id)
        with self.engine().connect() as connection:
            rows = connection.execute(query).all()
        ids = np.array([r.id for r in rows], np.int64)
        labels = np.array([r.label for r in rows], np.uint8)
        return ids, pictures.fields([r.field for r in rows]), labels

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


def url_from_environment() -> str:
    """DATABASE_URL (or FLASK_DATABASE_URL), else the SQLite file in the app's instance folder:
    the app's own setting (`settings`)."""
    from drawadigit import settings  # the commands' defaults are the app's

    return settings.load().database_url
