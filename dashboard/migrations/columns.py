"""Column, table and index builders for the revisions in versions/.

A revision is history: the schema it builds must never change. So once a
revision uses a builder here, the builder keeps its output for good; a new
shape gets a new builder, never an edit to an old one.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from dashboard.store.models import UTCDateTime

PLACE_LEVELS = ("district", "street", "community", "grid")

# An index as (name, columns, unique).
IndexSpec = tuple[str, Sequence[str], bool]


def string(name: str, length: int | None = None, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)


def integer(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def big_integer(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def boolean(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), nullable=False)


def date(name: str) -> sa.Column:
    return sa.Column(name, sa.Date(), nullable=False)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def json(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON(), nullable=False)


def place(*levels: str) -> list[sa.Column]:
    """The unit's ancestors by level (the scope filters), all four unless named."""
    return [string(level, 64, nullable=True) for level in levels or PLACE_LEVELS]


def labels() -> list[sa.Column]:
    """An item's category, priority and title, as its source named them."""
    return [string("category", 64, nullable=True), integer("priority", nullable=True),
            string("title", 500, nullable=True)]


def category_priority() -> list[sa.Column]:
    """The category and priority a rollup row counts."""
    return [string("category", 64), integer("priority")]


def create_table(table: str, *elements: sa.Column | sa.Constraint, indexes: Sequence[IndexSpec] = (),
                 **options) -> None:
    op.create_table(table, *elements, **options)
    create_indexes(table, indexes)


def create_rollup(table: str, *columns: sa.Column, key: Sequence[str], indexes: Sequence[IndexSpec] = ()) -> None:
    """A rollup table: one row per (unit, period, bucket, *key), stored in key order on SQLite."""
    create_table(table,
                 string("unit", 64), string("period", 1), date("bucket"), *columns,
                 sa.PrimaryKeyConstraint("unit", "period", "bucket", *key),
                 indexes=indexes, sqlite_with_rowid=False)


def index(name: str, *columns: str, unique: bool = False) -> IndexSpec:
    return name, columns, unique


def create_indexes(table: str, indexes: Sequence[IndexSpec]) -> None:
    if not indexes:
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, columns, unique in indexes:
            batch_op.create_index(name, list(columns), unique=unique)


def drop_indexes(table: str, indexes: Sequence[IndexSpec]) -> None:
    """Drops them in the reverse order of their creation."""
    if not indexes:
        return
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, _, _ in reversed(indexes):
            batch_op.drop_index(name)
