"""Engine, schema creation and the default hierarchy seed."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from dashboard.domain.unit_tree import UnitLike, UnitTree
from dashboard.store.bulk import json_text
from dashboard.store import audit, departments, instance_mode, models, rollups, screen_links, users  # noqa: F401  (registers the tables)
from dashboard.store.models import Counter, Unit


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               json_serializer=json_text)
        sa_event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=json_text)



def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets walls read while ingest writes; NORMAL sync is durable enough in WAL.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # 32 MiB of page cache (the default is 2 MiB): ingest inserts into several indexes at
    # scattered places; with the default cache a 1000-event batch spent twice as long in SQLite.
    cur.execute("PRAGMA cache_size=-32768")
    # Checkpoint the WAL every ~40 MB, not every 4 MB: a 1000-event batch writes a few MB, so the
    # default checkpointed (and synced the database file) after nearly every batch.
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.close()


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        if session.get(Counter, "seq") is None:
            session.add(Counter(name="seq", value=0))
            session.commit()


def seed_units(engine: Engine, units: Iterable[UnitLike]) -> int:
    """Insert the units that are missing (parents first); returns how many were added."""
    added = 0
    with Session(engine) as session:
        existing = set(session.exec(select(Unit.code)).all())
        for position, u in enumerate(units):
            if u.code in existing:
                continue
            session.add(Unit(code=u.code, name=u.name, name_en=u.name_en, level=u.level,
                             parent=u.parent, synthetic=bool(getattr(u, "synthetic", False)),
                             position=position))
            added += 1
            session.flush()
        session.commit()
    return added


def load_tree(engine: Engine) -> UnitTree:
    with Session(engine) as session:
        rows = session.exec(select(Unit).order_by(Unit.position)).all()
        return UnitTree.build(rows)
