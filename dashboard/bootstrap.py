"""Creating the database and its default content."""
from __future__ import annotations

from dashboard.domain.departments import default_departments
from dashboard.domain.hierarchy import default_units
from dashboard.settings import Settings
from dashboard.store.db import create_schema, make_engine, seed_units
from dashboard.store.departments import seed_departments
from dashboard.store.migrate import upgrade_schema


def init_database(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        upgrade_schema(engine)
        create_schema(engine)  # the seq counter row; tables a revision does not cover yet
        seed_departments(engine, default_departments())
        return seed_units(engine, default_units())
    finally:
        engine.dispose()


def check_instance_mode(settings: Settings) -> str:
    """A drill instance only on a drill database, a live one only on a live
    database (dashboard.actions.drill); raises DrillError before anything is served."""
    from datetime import datetime, timezone

    from dashboard.actions.drill import ensure_mode

    engine = make_engine(settings.database_url)
    try:
        return ensure_mode(engine, drill=settings.drill, now=datetime.now(timezone.utc))
    finally:
        engine.dispose()
