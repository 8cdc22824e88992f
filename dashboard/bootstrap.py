"""Creating the database and its default content."""
from __future__ import annotations

from dashboard.domain.hierarchy import default_units
from dashboard.settings import Settings
from dashboard.store.db import create_schema, make_engine, seed_units


def init_database(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    try:
        create_schema(engine)
        return seed_units(engine, default_units())
    finally:
        engine.dispose()
