"""Whether a database holds live data or a drill (see dashboard.drill).

One row, written the first time a server starts on the database. Imported by
dashboard.store.db so `create_schema` creates the table.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from dashboard.store.models import utc_field


class InstanceMode(SQLModel, table=True):
    __tablename__ = "instance_mode"
    id: int = Field(default=1, primary_key=True)
    mode: str = Field(max_length=8)  # "live" | "drill"
    marked_at: datetime = utc_field()
