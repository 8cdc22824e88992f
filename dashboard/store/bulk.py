"""Many rows per table in one statement, below SQLAlchemy's per-row parameter work.

On PostgreSQL, psycopg's executemany sends one statement per row (pipelined),
and multi-row VALUES statements measured slower still; `COPY ... FROM STDIN`
streams the rows of a table in one statement (bench/README.md, ingest). Other
databases (SQLite) keep the Core executemany, whose per-row cost is the
driver's.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import orjson
from sqlalchemy import JSON, Table, insert
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
    """INSERT `rows` (column -> value, as for a Core insert; every row names the same columns)."""
    if not rows:
        return
    if not is_postgresql(connection):
        connection.execute(insert(table), rows)
        return
    columns = list(rows[0])
    copy_tuples(connection, table.name, columns, _copy_values(table, columns, rows))


def _copy_values(table: Table, columns: list[str], rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The rows as lists in `columns` order, converted for COPY: only the columns that need it, and
    each distinct datetime once (a batch's `received_at` is one value); a generator per row and
    value cost 7% of ingest's CPU."""
    converted = [(i, f, {} if f is _naive_utc else None) for i, c in enumerate(columns)
                 if (f := _copy_converter(table.c[c].type)) is not None]
    out = [[r[c] for c in columns] for r in rows]
    for i, f, seen in converted:
        for row in out:
            v = row[i]
            if seen is None:
                row[i] = f(v)
            elif v is not None:
                row[i] = seen[v] if v in seen else seen.setdefault(v, f(v))
    return out


def copy_tuples(connection: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: COPY plain values (str, numbers, dates, naive datetimes, None) into `table`."""
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _copy_converter(column_type: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy's bind processing does to a value of this type, for COPY's text rows:
    JSON as json_text (the engine's json_serializer), aware datetimes as naive UTC."""
    if isinstance(column_type, JSON):
        return json_text
    if isinstance(column_type, UTCDateTime):
        return _naive_utc
    return None


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
