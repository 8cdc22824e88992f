"""Drill mode: a centre rehearses on its walls with replayed events, on a
database of its own, and every wall says so with a large 演练 DRILL marker.

The mark lives in the database (table `instance_mode`), so a drill database
is never mistaken for the live one and live data never receives drill events:
- a server started with DASHBOARD_DRILL=1 refuses a database marked live, or
  an unmarked one that already holds events;
- a server started without it refuses a database marked drill;
- an unmarked database takes the mode of the first server that starts on it.
Walls show the marker when the instance or its database is a drill
(dashboard.store.instance_mode.is_drill); marking is the only write here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dashboard.store.instance_mode import DRILL, LIVE, InstanceMode, database_mode, holds_events


class DrillError(RuntimeError):
    """The database and the instance disagree about being a drill; start-up stops."""


def mark(engine: Engine, mode: str, *, now: datetime) -> str:
    """Mark an unmarked database; returns the mode it ends up with (a
    concurrent first start may have marked it already)."""
    with Session(engine) as session:
        session.add(InstanceMode(id=1, mode=mode, marked_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
    return database_mode(engine) or mode


def ensure_mode(engine: Engine, *, drill: bool, now: datetime) -> str:
    """Check (and on first start, record) that the database suits this instance."""
    want = DRILL if drill else LIVE
    mode = database_mode(engine)
    if mode is None:
        if drill and holds_events(engine):
            raise DrillError("DASHBOARD_DRILL=1, but this database already holds events and is not marked as a "
                             "drill database: a drill needs a database of its own (set DASHBOARD_DATABASE_URL "
                             "to a new one, then `python -m dashboard drill init`)")
        mode = mark(engine, want, now=now)
    if mode == want:
        return mode
    if drill:
        raise DrillError("DASHBOARD_DRILL=1, but this database holds live data: a drill needs a database of its "
                         "own (set DASHBOARD_DATABASE_URL to a new one)")
    raise DrillError("this database is a drill database: start with DASHBOARD_DRILL=1, or point "
                     "DASHBOARD_DATABASE_URL at the live database")
