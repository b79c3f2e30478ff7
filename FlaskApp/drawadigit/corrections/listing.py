"""Reading the corrections back for the review: counts, statistics, the latest, pages by keyset.

Every function takes an open connection, so the store decides the transaction. A page is found
by keyset on the internal id, newest first, so paging neither skips nor repeats a record while
others are added or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from drawadigit.contract import NOT_A_DIGIT, NOT_A_DIGIT_NAME
from drawadigit.corrections import schema
from drawadigit.corrections.schema import LISTED, records


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


def visible(include_hidden: bool) -> list[sa.ColumnElement]:
    """The condition that leaves hidden corrections out, unless they are asked for."""
    return [] if include_hidden else [records.c.hidden == sa.false()]


def count_matching(connection: sa.Connection, *where: sa.ColumnElement) -> int:
    """How many corrections meet every condition in `where`."""
    query = sa.select(sa.func.count()).select_from(records).where(*where)
    return connection.execute(query).scalar()


def recent(connection: sa.Connection, limit: int, include_hidden: bool) -> list[dict]:
    """The latest corrections, newest first, without their images."""
    query = sa.select(*LISTED).where(*visible(include_hidden)).order_by(records.c.id.desc())
    return [schema.listed(row) for row in connection.execute(query.limit(limit))]


def stats(connection: sa.Connection, include_hidden: bool) -> dict:
    """How many corrections per digit drawn, and how often the model was right."""
    c = records.c
    right = sa.func.sum(sa.case((c.predicted == c.label, 1), else_=0))
    query = sa.select(c.label, sa.func.count(), right).where(*visible(include_hidden))
    rows = {
        label: (n, int(ok or 0)) for label, n, ok in connection.execute(query.group_by(c.label))
    }
    per_digit = {str(digit): _tally(*rows.get(digit, (0, 0))) for digit in range(10)}
    total = sum(n for n, _ in rows.values())
    right_total = sum(ok for _, ok in rows.values())
    return {
        **_tally(total, right_total),
        "per_digit": per_digit,
        NOT_A_DIGIT_NAME: _tally(*rows.get(NOT_A_DIGIT, (0, 0))),
    }


def _tally(total: int, right: int) -> dict:
    """A count of corrections and how many of them the model had right."""
    return {
        "total": total,
        "model_right": right,
        "model_accuracy": round(right / total, 4) if total else None,
    }


def page(
    connection: sa.Connection,
    matching: list[sa.ColumnElement],
    limit: int,
    before: int | None,
    after: int | None,
) -> Page:
    """The page of records `matching`, just older than `before` or just newer than `after`."""
    c = records.c
    query = sa.select(*LISTED).where(*matching)
    if after is not None:
        query = query.where(c.id > after).order_by(c.id.asc())
    else:
        query = query.where(*([] if before is None else [c.id < before]))
        query = query.order_by(c.id.desc())
    rows = connection.execute(query.limit(limit)).all()
    if after is not None:
        rows.reverse()
    return _placed(connection, rows, matching, past_newest=after is not None)


def _placed(
    connection: sa.Connection, rows: list[sa.Row], matching: list, past_newest: bool
) -> Page:
    """The page of `rows` (newest first), placed among all the records `matching` its filter.

    `past_newest`: the page was asked for `after` an id, so an empty one lies past the newest
    record (everything is older), not past the oldest (everything is newer).
    """
    total = count_matching(connection, *matching)
    if rows:
        newer = count_matching(connection, *matching, records.c.id > rows[0].id)
        older = count_matching(connection, *matching, records.c.id < rows[-1].id) > 0
    else:  # past either end: nothing here, everything is the other way
        newer = 0 if past_newest else total
        older = past_newest and total > 0
    return Page(
        records=[schema.listed(row) for row in rows],
        total=total,
        first=newer + 1 if rows else 0,
        has_newer=newer > 0,
        has_older=older,
    )
