"""Whether a database holds live data or a drill (the rule: dashboard.actions.drill).

One row, written the first time a server starts on the database. Imported by
dashboard.store.db so `create_schema` creates the table.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from dashboard.store.models import Event, utc_field

LIVE, DRILL = "live", "drill"


class InstanceMode(SQLModel, table=True):
    __tablename__ = "instance_mode"
    id: int = Field(default=1, primary_key=True)
    mode: str = Field(max_length=8)  # "live" | "drill"
    marked_at: datetime = utc_field()


def database_mode(engine: Engine) -> str | None:
    with Session(engine) as session:
        row = session.get(InstanceMode, 1)
        return row.mode if row else None


def holds_events(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.exec(select(Event.seq).limit(1)).first() is not None


def is_drill(engine: Engine, settings: object) -> bool:
    """Whether walls show the drill marker: the instance or its database is a drill."""
    return bool(getattr(settings, "drill", False)) or database_mode(engine) == DRILL
