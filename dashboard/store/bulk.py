"""Many rows per table in one statement, below SQLAlchemy's per-row parameter work.

On PostgreSQL, psycopg's executemany sends one statement per row (pipelined),
and multi-row VALUES statements measured slower still; `COPY ... FROM STDIN`
streams the rows of a table in one statement (bench/README.md, ingest). On
SQLite the driver's executemany runs a prebuilt INSERT over plain tuples: the
Core executemany spent more on its per-row parameter processing than SQLite
spent inserting.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Date, DateTime, Table
from sqlalchemy.engine import Connection

from dashboard.store.models import UTCDateTime


def json_text(value: object) -> str:
    """JSON column values as text (the engines' json_serializer, and COPY's): orjson is
    several times faster than json.dumps, which was a tenth of ingest's CPU (three JSON
    columns per event). Non-string keys become strings, as json.dumps makes them; what orjson
    refuses (an integer beyond 64 bits in an event's attributes) json.dumps writes."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (column -> value, as for a Core insert; every row names the same columns,
    and no column is left to a Python-side default)."""
    if not rows:
        return
    columns = list(rows[0])
    postgresql = is_postgresql(connection)
    convert = _copy_converter if postgresql else _sqlite_converter
    # Only the few columns that need it are converted: a call per value cost more than the insert.
    converted = [(i, f) for i, c in enumerate(columns) if (f := convert(table.c[c].type)) is not None]
    values_of = itemgetter(*columns)
    tuples = []
    for row in rows:
        values = list(values_of(row)) if len(columns) > 1 else [values_of(row)]
        for i, f in converted:
            values[i] = f(values[i])
        tuples.append(tuple(values))
    if postgresql:
        copy_tuples(connection, table.name, columns, tuples)
    else:
        connection.exec_driver_sql(_sqlite_insert(table.name, tuple(columns)), tuples)


@cache
def _sqlite_insert(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"


def copy_tuples(connection: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: COPY plain values (str, numbers, dates, naive datetimes, None) into `table`."""
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _copy_converter(column_type: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy's bind processing does to a value of this type, for COPY's
    text rows: JSON as json_text (the engine's json_serializer), aware datetimes as naive UTC."""
    if isinstance(column_type, JSON):
        return json_text
    if isinstance(column_type, UTCDateTime):
        return _naive_utc
    return None


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    """The same for SQLite, in the text forms SQLAlchemy's SQLite dialect stores (and reads back)."""
    if isinstance(column_type, JSON):
        return json_text
    if isinstance(column_type, UTCDateTime):
        return _sqlite_utc_text
    if isinstance(column_type, DateTime):
        return _sqlite_datetime_text
    if isinstance(column_type, Date):
        return _sqlite_date_text
    if isinstance(column_type, Boolean):
        return _sqlite_bool
    return None


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None)


def _sqlite_datetime_text(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format: always six fraction digits.
    return None if value is None else value.isoformat(" ", "microseconds")


def _sqlite_utc_text(value: datetime | None) -> str | None:
    if value is not None and value.tzinfo is timezone.utc:  # the common case, in one call
        return value.isoformat(" ", "microseconds")[:-6]
    return _sqlite_datetime_text(_naive_utc(value))


def _sqlite_date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)
