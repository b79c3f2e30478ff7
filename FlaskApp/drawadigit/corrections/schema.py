"""The corrections' tables, and the migrations that bring any database to the current schema.

The schema is versioned: table `schema_version` holds one row per migration applied, and
`MIGRATIONS` lists them in order (version 1: the corrections table; version 2: public ids,
hiding, and the drawings re-encoded as `pictures.drawing_png` keeps them; version 3: the
drawing's pen strokes, when the client sent them; version 4: for one digit of a corrected
number, its box and the whole number as the person corrected it).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa

from drawadigit.corrections import pictures
from drawadigit.reading import preprocessing

PUBLIC_ID_BYTES = 12  # random bytes in a public id (16 URL-safe characters)
MIGRATION_BATCH = 200  # records read and rewritten at a time by a migration

Migration = Callable[[sa.Connection], None]

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
        sa.Column("label", sa.SmallInteger, nullable=False),  # 0-9, or NOT_A_DIGIT
        sa.Column("predicted", sa.SmallInteger, nullable=False),
        sa.Column("probabilities", sa.Text, nullable=False),  # JSON list of ten floats
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("image_png", sa.LargeBinary, nullable=False),  # the drawing, as PNG
        sa.Column("field", sa.LargeBinary, nullable=False),  # normalised 28x28, uint8, row-major
    ]


# The table exactly as version 1 made it: `_create_v1` creates this, whatever came later.
corrections = sa.Table("feedback", metadata, *_v1_columns())
# The table as the code reads and writes it now (version 2 added public_id and hidden,
# version 3 strokes).
records = sa.Table(
    "feedback",
    sa.MetaData(),
    *_v1_columns(),
    sa.Column("public_id", sa.String(32), unique=True),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    # JSON [[[x, y(, t)], ...], ...] in the posted image's pixels (`strokes_text`); NULL: none.
    sa.Column("strokes", sa.Text, nullable=True),
    # One digit of a corrected number (version 4): its box, JSON [x0, y0, x1, y1] in the posted
    # image's pixels, and the number as corrected ("2027"); NULL for a drawing corrected whole.
    sa.Column("box", sa.Text, nullable=True),
    sa.Column("number", sa.String(64), nullable=True),
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


def listed(row: sa.Row) -> dict:
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


def new_public_id() -> str:
    """A random id for URLs: it tells nothing about how many records there are."""
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


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
        coverage = pictures.fields([row.field])[0] / 255.0
    return pictures.drawing_png(coverage)


def _strokes_v3(connection: sa.Connection) -> None:
    """Version 3: the pen strokes a correction was drawn with, NULL where none were sent (as
    for every record before this version)."""
    connection.execute(sa.text("ALTER TABLE feedback ADD COLUMN strokes TEXT"))


def _number_digits_v4(connection: sa.Connection) -> None:
    """Version 4: a digit of a corrected number keeps its box and the number it is part of,
    NULL for a drawing corrected whole (as for every record before this version)."""
    connection.execute(sa.text("ALTER TABLE feedback ADD COLUMN box TEXT"))
    connection.execute(sa.text("ALTER TABLE feedback ADD COLUMN number VARCHAR(64)"))


# Append a function for each change to the schema; never edit one that has shipped.
MIGRATIONS: list[Migration] = [
    _create_v1,
    _public_ids_and_hiding_v2,
    _strokes_v3,
    _number_digits_v4,
]


def row_of(correction) -> dict:
    """A `store.Correction` as the table keeps it, with a new public id."""
    return {
        "public_id": new_public_id(),
        "hidden": False,
        "created": datetime.now(UTC),
        "label": correction.label,
        "predicted": correction.predicted,
        "probabilities": json.dumps([round(float(p), 6) for p in correction.probabilities]),
        "model_version": correction.model_version,
        "image_png": pictures.drawing_png(correction.drawing),
        "field": pictures.field_bytes(correction.field),
        "strokes": strokes_text(correction.strokes),
        "box": None if correction.box is None else json.dumps([int(v) for v in correction.box]),
        "number": correction.number,
    }


# Stored strokes keep this many decimals: a hundredth of a pixel, a tenth of a millisecond.
STROKE_DECIMALS = 2


def strokes_text(strokes: Sequence[np.ndarray]) -> str | None:
    """Strokes as the column keeps them: compact JSON, rounded; None for no strokes."""
    if not len(strokes):
        return None
    rounded = [np.round(s, STROKE_DECIMALS).tolist() for s in strokes]
    return json.dumps(rounded, separators=(",", ":"))


def strokes_of(text: str | None) -> list[np.ndarray] | None:
    """The stored strokes as float64 arrays (N, 2) or (N, 3); None where none were kept."""
    if text is None:
        return None
    return [np.asarray(s, dtype=np.float64) for s in json.loads(text)]


def version(connection: sa.Connection) -> int | None:
    """The schema version of the database (None before the first migration)."""
    return connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()


def migrate(connection: sa.Connection, migrations: Sequence[Migration]) -> None:
    """Apply the migrations the database has not had, recording each one's version."""
    schema_version.create(connection, checkfirst=True)
    current = version(connection) or 0
    for number, step in enumerate(migrations[current:], start=current + 1):
        step(connection)
        connection.execute(schema_version.insert().values(version=number))
