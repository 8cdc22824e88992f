"""Rollup tables behind the trend panels, and how facts land in them.

A fact (dashboard.domain.trends) names the item's own unit and a day. Here it
is expanded three ways before it is written:
- to the unit and every ancestor down to community level (so "the district
  over a year" reads the district's rows, never its 131 grids'); grid rows
  only where a community's per-grid breakdown needs them (incident, stage;
  any other panel of a grid is answered from the grid's own raw events).
  `problem` rows are kept per community (or the unit itself above community
  level), `patrol` rows per unit reached (coverage counts distinct grids);
- to a day bucket and a month bucket (`period` 'd' / 'm'): a range reads its
  whole months from month rows and only the odd days from day rows;
- at district and street level, to "any category" / "any priority" rows
  too (`*`, 0): an unfiltered panel reads one row where it would sum forty.

Every write is an upsert that adds (`n = n + excluded.n`), so a late event
just adds to an old bucket, and a retraction (a checkpoint reached earlier
than first reported) adds a negative count.

Written behind, durably: within a transaction, facts are merged in memory
(`collect`), and the action stores them just before it commits as one
`trend_pending` row (`flush`), in the same transaction as the events they come
from. `apply_pending` later adds every pending row to the rollup tables and
deletes them, in one transaction: each fact lands exactly once, and facts of
many transactions are merged before they are expanded (a 1000-event batch
touches ~10,000 rollup rows; expanding and upserting them in the ingest
transaction was half of ingest's CPU). Readers apply what is pending before
they read (dashboard.actions.rollups.apply_pending_rollups), so a panel
always counts every stored event.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import orjson

from sqlalchemy import BigInteger, Index, Integer, Table, delete, func, insert, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from dashboard.domain.trends import ALL_CATEGORIES, ALL_PRIORITIES, VALUES, Facts, add, merge, month_of
from dashboard.domain.unit_tree import UnitTree
from dashboard.store.bulk import copy_tuples, is_postgresql, json_text

CUBE_LEVELS = ("district", "street")   # levels with "any" rows
GRID_TABLES = ("incident", "stage")    # the only tables with grid-level rows
_NO_ROWID = {"sqlite_with_rowid": False}  # SQLite: rows clustered by key, range scans are contiguous


def _key(**kw: Any) -> Any:
    return Field(primary_key=True, **kw)


class _Bucketed(SQLModel):
    """The key every rollup row starts with: a unit, a period (d day, m month) and its bucket."""
    __table_args__ = (_NO_ROWID,)  # tables that declare indexes repeat it
    unit: str = _key(max_length=64)
    period: str = _key(max_length=1)
    bucket: date = _key()


class _ByCategory(_Bucketed):
    """... then the incident's category and priority."""
    category: str = _key(max_length=64)
    priority: int = _key()


class _ByStage(_ByCategory):
    """... then the clock's stage."""
    stage: str = _key(max_length=16)


class TrendIncident(_ByCategory, table=True):
    __tablename__ = "trend_incident"
    # Reads of one category / priority cell across buckets (see TrendHour): the units panel 8 -> 5 ms a year.
    __table_args__ = (Index("ix_trend_incident_cube", "unit", "period", "category", "priority", "bucket",
                            "reported", "reopened"), _NO_ROWID)
    reported: int = 0
    reopened: int = 0


class TrendHour(_Bucketed, table=True):
    __tablename__ = "trend_hour"
    # The heatmap reads one category / priority cell (often the "any" row) across buckets: the key
    # (bucket before category) would walk every cell of every bucket (bench/trends.py: 13 -> 3 ms a year).
    __table_args__ = (Index("ix_trend_hour_cube", "unit", "period", "category", "priority", "bucket", "weekday",
                            "hour", "reported"), _NO_ROWID)
    weekday: int = _key()   # 1 Monday .. 7 Sunday
    hour: int = _key()      # 0..23, China time
    category: str = _key(max_length=64)
    priority: int = _key()
    reported: int = 0
    reopened: int = 0


class TrendStage(_ByStage, table=True):
    __tablename__ = "trend_stage"
    budget_s: int = _key()
    n: int = 0
    on_time: int = 0


class TrendLatency(_ByStage, table=True):
    __tablename__ = "trend_latency"
    bin: int = _key()       # upper edge, minutes (dashboard.domain.trends.latency_bin)
    n: int = 0


class TrendProblem(SQLModel, table=True):
    __tablename__ = "trend_problem"
    # Covering indexes per scope level, two orders: by bucket (a few days' rows) and by group (the month
    # rows of a long window, read in GROUP BY order: no sort). dashboard.store.trends picks one per part.
    __table_args__ = tuple(Index(f"ix_trend_problem_{level}", level, "period", "priority", "bucket", "category",
                                 "aspect", "place", "n") for level in ("district", "street", "community")) + tuple(
        Index(f"ix_trend_problem_{level}_groups", level, "period", "priority", "place", "category", "aspect",
              "bucket", "n") for level in ("district", "street", "community"))
    id: int | None = Field(default=None, primary_key=True)
    place: str = Field(max_length=64)   # the community, or the unit itself above community level
    period: str = Field(max_length=1)
    bucket: date
    category: str = Field(max_length=64)
    priority: int
    aspect: str = Field(max_length=64)
    district: str | None = Field(default=None, max_length=64)
    street: str | None = Field(default=None, max_length=64)
    community: str | None = Field(default=None, max_length=64)
    n: int = 0


class TrendMediation(_Bucketed, table=True):
    __tablename__ = "trend_mediation"
    channel: str = _key(max_length=32)
    measure: str = _key(max_length=48)   # accepted | agreed | failed | withdrawn | to:<target>
    n: int = 0


class TrendPatrol(SQLModel, table=True):
    __tablename__ = "trend_patrol"
    __table_args__ = tuple(Index(f"ix_trend_patrol_{level}", level, "day", "level", "reached", "late")
                           for level in ("district", "street", "community", "grid"))
    id: int | None = Field(default=None, primary_key=True)
    unit: str = Field(max_length=64)     # where checkpoints were reached
    day: date
    level: str = Field(max_length=16)
    district: str | None = Field(default=None, max_length=64)
    street: str | None = Field(default=None, max_length=64)
    community: str | None = Field(default=None, max_length=64)
    grid: str | None = Field(default=None, max_length=64)
    reached: int = 0
    late: int = 0


class TrendAlert(_ByCategory, table=True):
    __tablename__ = "trend_alert"
    action: str = _key(max_length=16)
    level: str = _key(max_length=16)
    n: int = 0


class TrendDepartment(_Bucketed, table=True):
    """The department scorecard: per department, dispatches, its own arrive / resolve clocks
    (a latency histogram: one row per bin, with how many of them were on time), reopens and
    escalations (bin 0)."""

    __tablename__ = "trend_department"
    department: str = _key(max_length=64)
    measure: str = _key(max_length=16)   # dispatched | arrive | resolve | reopened | escalated
    bin: int = _key()
    n: int = 0
    on_time: int = 0


# The unique key of each table (what an upsert conflicts on) and its counts.
# problem and patrol have surrogate ids (their scope columns may be NULL) and a unique index.
KEYS: dict[str, tuple[str, ...]] = {
    "incident": ("unit", "period", "bucket", "category", "priority"),
    "hour": ("unit", "period", "bucket", "weekday", "hour", "category", "priority"),
    "stage": ("unit", "period", "bucket", "category", "priority", "stage", "budget_s"),
    "latency": ("unit", "period", "bucket", "category", "priority", "stage", "bin"),
    "problem": ("place", "period", "bucket", "category", "priority", "aspect"),
    "mediation": ("unit", "period", "bucket", "channel", "measure"),
    "patrol": ("unit", "day"),
    "alert": ("unit", "period", "bucket", "category", "priority", "action", "level"),
    "department": ("unit", "period", "bucket", "department", "measure", "bin"),
}
MODELS = {"incident": TrendIncident, "hour": TrendHour, "stage": TrendStage, "latency": TrendLatency,
          "problem": TrendProblem, "mediation": TrendMediation, "patrol": TrendPatrol, "alert": TrendAlert,
          "department": TrendDepartment}
Index("uq_trend_problem_key", *[TrendProblem.__table__.c[c] for c in KEYS["problem"]], unique=True)
Index("uq_trend_patrol_key", *[TrendPatrol.__table__.c[c] for c in KEYS["patrol"]], unique=True)

TABLES: dict[str, Table] = {name: model.__table__ for name, model in MODELS.items()}
Rows = dict[str, dict[tuple, list[int]]]   # table -> key -> counts (plus extra columns for problem/patrol)


PENDING_ID = BigInteger().with_variant(Integer(), "sqlite")


class TrendPending(SQLModel, table=True):
    """Facts committed with their events, not yet added to the rollup tables (`apply_pending`)."""

    __tablename__ = "trend_pending"
    # One row per writing transaction: 64 bits on PostgreSQL; SQLite's rowid is 64 bits already.
    id: int | None = Field(default=None, primary_key=True, sa_type=PENDING_ID)
    facts: str  # JSON: [[table, unit, day, *dims, [counts]], ...] (encode_facts)


PENDING = TrendPending.__table__
# PostgreSQL: one applier at a time (an advisory lock), so concurrent upserts never meet.
_APPLY_LOCK = 7_311_001


# --- expansion ---------------------------------------------------------------------------------


def _buckets(day: date) -> tuple[tuple[str, date], tuple[str, date]]:
    return ("d", day), ("m", month_of(day))


def has_any_rows(level: str, period: str) -> bool:
    """Whether rows of this level and period include the "any category / priority" ones."""
    return level in CUBE_LEVELS


def _cube(level: str, period: str, category: str, priority: int) -> list[tuple[str, int]]:
    if not has_any_rows(level, period):
        return [(category, priority)]
    return [(category, priority), (ALL_CATEGORIES, priority), (category, ALL_PRIORITIES),
            (ALL_CATEGORIES, ALL_PRIORITIES)]


def place_of(tree: UnitTree, unit: str) -> str:
    """The community a unit lies in, or the unit itself when it lies above community level."""
    for code in tree.lineage(unit):
        if tree.nodes[code].level == "community":
            return code
    return unit


def _add(rows: dict, table: Any, key: tuple, values: Iterable[int]) -> None:
    bucket = rows.setdefault(table, {})
    current = bucket.get(key)
    if current is None:
        bucket[key] = list(values)
    else:
        for i, v in enumerate(values):
            current[i] += v


def expand(facts: Facts, tree: UnitTree, rows: Rows | None = None) -> Rows:
    """The rollup rows (keys as in KEYS) that `facts` add to, merged into `rows`."""
    rows = {} if rows is None else rows
    own: dict[tuple[str, str], dict[tuple, list[int]]] = {}  # (table, unit) -> (day, *dims) -> counts
    for key, values in facts.items():
        table, unit, day, *dims = key
        if table == "patrol":
            _add(rows, "patrol", (unit, day), values)
        elif table == "problem":
            category, priority, aspect = dims
            place = place_of(tree, unit)
            for period, bucket in _buckets(day):
                for p in {priority, ALL_PRIORITIES}:
                    _add(rows, "problem", (place, period, bucket, category, p, aspect), values)
        else:
            _add(own, (table, unit), (day, *dims), values)
    for (table, code), sums in _up_the_tree(tree, own):
        level = tree.nodes[code].level if code in tree.nodes else "grid"
        if level == "grid" and table not in GRID_TABLES:
            continue
        for (day, *dims), values in sums.items():
            if table in ("mediation", "department"):
                for period, bucket in _buckets(day):
                    _add(rows, table, (code, period, bucket, *dims), values)
            else:
                _expand_cube(rows, table, code, level, day, dims, values)
    return rows


def _up_the_tree(tree: UnitTree, own: dict) -> Iterable[tuple[tuple[str, str], dict[tuple, list[int]]]]:
    """Each unit's sums plus those of every unit below it: units deepest first, each adding
    into its parent (a batch's facts meet at their common ancestors; expanding each fact
    to its whole lineage cost ~45 row updates per event)."""
    totals = {k: dict(v) for k, v in own.items()}
    depth = {code: len(tree.lineage(code)) for _, code in totals}
    for d in range(max(depth.values(), default=0), 1, -1):
        for table, code in [k for k in totals if depth.get(k[1]) == d]:
            parent = tree.nodes[code].parent
            depth[parent] = d - 1
            for key, values in totals[(table, code)].items():
                _add(totals, (table, parent), key, values)
    return totals.items()


def _expand_cube(rows: Rows, table: str, code: str, level: str, day: date, dims: list, values) -> None:
    if table == "hour":
        hour, category, priority = dims
        front, rest = (day.isoweekday(), hour), ()
    else:
        category, priority, *rest = dims
        front = ()
    for period, bucket in _buckets(day):
        for c, p in _cube(level, period, category, priority):
            _add(rows, table, (code, period, bucket, *front, c, p, *rest), values)


_EXTRA = {"problem": ("district", "street", "community"),
          "patrol": ("level", "district", "street", "community", "grid")}


def columns_of(table: str) -> tuple[str, ...]:
    """The columns a rollup row is written with: key, counts, then the scope of problem / patrol rows."""
    return (*KEYS[table], *VALUES[table], *_EXTRA.get(table, ()))


def _tuples(table: str, rows: dict[tuple, list[int]], tree: UnitTree, *, dates_as_text: bool) -> list[tuple]:
    """Rows as tuples in `columns_of(table)` order, sorted by key (PostgreSQL locks rows in one
    order; SQLite appends in key order). `dates_as_text`: ISO dates, as SQLAlchemy stores them on SQLite."""
    day = KEYS[table].index("day" if table == "patrol" else "bucket")
    text: dict[date, str] = {}
    scopes: dict[str, tuple] = {}
    out = []
    for key in sorted(rows):
        row = [*key, *rows[key]]
        if dates_as_text:
            row[day] = text.get(key[day]) or text.setdefault(key[day], key[day].isoformat())
        if table in _EXTRA:
            code = key[0]  # the problem's place, the patrol's unit
            extra = scopes.get(code)
            if extra is None:
                extra = scopes[code] = _scope_columns(tree, table, code)
            row.extend(extra)
        out.append(tuple(row))
    return out


def _scope_columns(tree: UnitTree, table: str, code: str) -> tuple:
    scope = tree.scope(code) if code in tree.nodes else {}
    if table == "problem":
        return scope.get("district"), scope.get("street"), scope.get("community")
    node = tree.nodes.get(code)
    return (node.level if node else "grid", *(scope.get(k) for k in ("district", "street", "community", "grid")))


# --- writing -----------------------------------------------------------------------------------


_UPSERTS: dict[tuple[str, str, str | None], str] = {}


def _upsert_sql(dialect: str, name: str, source: str | None = None) -> str:
    """INSERT .. ON CONFLICT (key) DO UPDATE SET n = n + excluded.n, as driver SQL: built once per
    table and dialect (the ORM's per-row parameter processing cost more than the upsert itself).
    The rows: one per parameter tuple (executemany), or every row of the table `source`."""
    found = _UPSERTS.get((dialect, name, source))
    if found is None:
        # Settings admit SQLite and PostgreSQL only; both have ON CONFLICT .. DO UPDATE.
        table, columns = TABLES[name].name, ", ".join(f'"{c}"' for c in columns_of(name))
        sets = ", ".join(f'"{c}" = {table}."{c}" + excluded."{c}"' for c in VALUES[name])
        mark = "?" if dialect == "sqlite" else "%s"
        rows = f"SELECT {columns} FROM {source}" if source else f"VALUES ({', '.join([mark] * len(columns_of(name)))})"
        found = (f"INSERT INTO {table} ({columns}) {rows} "
                 f"ON CONFLICT ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in KEYS[name])}) DO UPDATE SET {sets}")
        _UPSERTS[(dialect, name, source)] = found
    return found


def write(session: OrmSession, rows: Rows, tree: UnitTree) -> int:
    """Add `rows` to the rollup tables (upserts); returns how many rows were touched."""
    touched = 0
    connection = session.connection()
    dialect = connection.dialect.name
    for name, table_rows in rows.items():
        if not table_rows:
            continue
        values = _tuples(name, table_rows, tree, dates_as_text=dialect == "sqlite")
        if dialect == "postgresql":
            _upsert_by_copy(connection, name, values)
        else:
            connection.exec_driver_sql(_upsert_sql(dialect, name), values)
        touched += len(values)
    return touched


def _upsert_by_copy(connection: Connection, name: str, values: list[tuple]) -> None:
    """PostgreSQL: COPY the rows into a temporary table of this connection, then one upsert from it.
    executemany there is one statement per row (~10,000 for a 1000-event batch); measured against
    an upsert of unnested arrays, this took a third of the client's CPU and less wall time."""
    table = TABLES[name].name
    incoming = f"incoming_{table}"
    columns = ", ".join(f'"{c}"' for c in columns_of(name))
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {incoming} ON COMMIT DELETE ROWS "
                               f"AS SELECT {columns} FROM {table} WITH NO DATA")
    copy_tuples(connection, incoming, columns_of(name), values)
    connection.exec_driver_sql(_upsert_sql("postgresql", name, incoming))
    connection.exec_driver_sql(f"TRUNCATE {incoming}")  # a second write in this transaction starts empty


def bulk_load(session: OrmSession, rows: Rows, tree: UnitTree, chunk: int = 50000) -> int:
    """Plain inserts into empty tables (the year generator, a rebuild)."""
    touched = 0
    sqlite = session.get_bind().dialect.name == "sqlite"
    for name, table_rows in rows.items():
        columns = columns_of(name)
        values = _tuples(name, table_rows, tree, dates_as_text=sqlite)
        for start in range(0, len(values), chunk):
            part = values[start:start + chunk]
            if sqlite and part:  # the driver's executemany: a million rows without per-row ORM work
                sql = f"INSERT INTO {TABLES[name].name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                session.connection().exec_driver_sql(sql, part)
            elif part:
                session.execute(insert(TABLES[name]), [dict(zip(columns, row)) for row in part])
        touched += len(values)
    return touched


def clear(session: OrmSession) -> None:
    """Empty the rollups, pending facts included (a rebuild replays the events they came from)."""
    _lock_appliers(session.connection())
    for table in (*TABLES.values(), PENDING):
        session.execute(delete(table))


# --- per-transaction buffer ----------------------------------------------------------------------

_PENDING = "trend_facts"


def collect(session: OrmSession, facts: Facts) -> None:
    """Queue facts for the rollups of this transaction; the action stores them with
    `flush(session)` just before it commits. Facts are merged as they come: a batch
    of events adds to few distinct facts."""
    if not facts:
        return
    merge(session.info.setdefault(_PENDING, {}), facts)


def flush(session: OrmSession) -> int:
    """Store what this transaction collected as one pending row (in the transaction,
    before its commit); returns how many facts it holds."""
    facts = session.info.pop(_PENDING, None)
    if not facts:
        return 0
    session.connection().execute(insert(PENDING), {"facts": encode_facts(facts)})
    return len(facts)


def discard(session: OrmSession) -> None:
    """Forget what was collected (the work it came from was not stored)."""
    session.info.pop(_PENDING, None)


def has_pending(connection: Connection) -> bool:
    return connection.execute(select(PENDING.c.id).limit(1)).first() is not None


def apply_pending(session: OrmSession, tree: UnitTree, limit: int = 500) -> tuple[int, int]:
    """Take up to `limit` pending rows (oldest first), add their merged facts to the
    rollup tables and delete them, in the caller's transaction. Returns (rows taken,
    rollup rows touched). The first statement writes: it takes SQLite's write lock
    before anything is read."""
    connection = session.connection()
    _lock_appliers(connection)
    oldest = select(PENDING.c.id).order_by(PENDING.c.id).limit(limit).scalar_subquery()
    taken = connection.execute(delete(PENDING).where(PENDING.c.id.in_(oldest)).returning(PENDING.c.facts)).all()
    facts: Facts = {}
    for (text,) in taken:
        decode_facts(text, into=facts)
    return len(taken), write(session, expand(facts, tree), tree) if facts else 0


def _lock_appliers(connection: Connection) -> None:
    # SQLite has one writer at a time anyway.
    if is_postgresql(connection):
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_APPLY_LOCK})")


def encode_facts(facts: Facts) -> str:
    """Facts as JSON text; a key is (table, unit, day, *dims)."""
    return json_text([[*key[:2], key[2].isoformat(), *key[3:], list(values)] for key, values in facts.items()])


def decode_facts(text: str, into: Facts | None = None) -> Facts:
    """The facts of `text`, added to `into` (merged, as `merge` does) when given."""
    out: Facts = {} if into is None else into
    for *key, values in orjson.loads(text):
        add(out, (key[0], key[1], date.fromisoformat(key[2]), *key[3:]), tuple(values))
    return out


def derive_any_rows(session: OrmSession, tree: UnitTree, *, period: str = "d") -> int:
    """Add the "any category / priority" rows of `period` at district and street level,
    summed from the rows there: what `expand` writes, for a database filled before
    those rows were kept (an upgrade step; idempotent: it first removes them)."""
    codes = [c for c, n in tree.nodes.items() if n.level in CUBE_LEVELS]
    added = 0
    for name in ("incident", "hour", "stage", "latency", "alert"):
        table, keys, counts = TABLES[name], KEYS[name], VALUES[name]
        scope = (table.c.period == period) & table.c.unit.in_(codes)
        session.execute(delete(table).where(scope, (table.c.category == ALL_CATEGORIES)
                                            | (table.c.priority == ALL_PRIORITIES)))
        for any_category, any_priority in ((True, False), (False, True), (True, True)):
            columns = [literal(ALL_CATEGORIES).label(k) if k == "category" and any_category else
                       literal(ALL_PRIORITIES).label(k) if k == "priority" and any_priority else table.c[k]
                       for k in keys]
            group = [table.c[k] for k in keys if not ((k == "category" and any_category)
                                                     or (k == "priority" and any_priority))]
            real = (table.c.category != ALL_CATEGORIES) & (table.c.priority != ALL_PRIORITIES)
            source = (select(*columns, *[func.sum(table.c[c]).label(c) for c in counts])
                      .where(scope, real).group_by(*group))
            added += session.execute(insert(table).from_select([*keys, *counts], source)).rowcount or 0
    return added

