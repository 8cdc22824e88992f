"""`python -m dashboard rebuild-rollups`: a database whose rollups are missing (events
stored before them) gets the same rollup rows ingest would have written."""
from __future__ import annotations

from datetime import datetime, timezone

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlmodel import Session

from dashboard.actions.ingest import do_ingest_events
from dashboard.actions.rollups import apply_pending_rollups
from dashboard.bootstrap import init_database
from dashboard.cli import main
from dashboard.domain.events import EventIn
from dashboard.services import NullAnnouncer, Services
from dashboard.settings import Settings
from dashboard.store import rollups
from dashboard.store.db import load_tree, make_engine

GRID = "bachuan-zhengjie-g01"
AT = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def rows_per_table(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {name: session.execute(select(func.count()).select_from(t)).scalar_one()
                for name, t in rollups.TABLES.items()}


def test_rebuild_restores_what_ingest_wrote(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'r.db'}")
    monkeypatch.setenv("DASHBOARD_VAR_DIR", str(tmp_path / "var"))
    settings = Settings.from_env()
    init_database(settings)
    engine = make_engine(settings.database_url)
    svc = Services(settings=settings, engine=engine, tree=load_tree(engine), announcer=NullAnnouncer(), clock=lambda: AT)
    events = [EventIn.model_validate(e) for e in [
        {"id": "r1", "source": "t", "kind": "incident", "type": "reported", "ref": "R-1", "unit": GRID,
         "occurred_at": "2026-03-02T08:00:00+08:00", "category": "parking", "priority": 2, "title": "a"},
        {"id": "r2", "source": "t", "kind": "incident", "type": "acknowledged", "ref": "R-1", "unit": GRID,
         "occurred_at": "2026-03-02T08:05:00+08:00"},
        {"id": "r3", "source": "t", "kind": "incident", "type": "dispatched", "ref": "R-2", "unit": GRID,
         "occurred_at": "2026-03-02T08:10:00+08:00", "attributes": {"department": "urban_management"}},
        {"id": "r4", "source": "t", "kind": "incident", "type": "arrived", "ref": "R-2", "unit": GRID,
         "occurred_at": "2026-03-02T08:40:00+08:00"}]]
    events.insert(2, EventIn.model_validate(
        {"id": "r0", "source": "t", "kind": "incident", "type": "reported", "ref": "R-2", "unit": GRID,
         "occurred_at": "2026-03-02T08:00:00+08:00", "category": "sanitation", "priority": 2, "title": "b"}))
    do_ingest_events(svc, events)
    assert sum(rows_per_table(engine).values()) == 0  # the facts are pending ...
    apply_pending_rollups(svc)  # ... until a reader or the process's RollupWriter applies them
    written = rows_per_table(engine)
    assert written["incident"] > 0 and written["stage"] > 0 and written["department"] > 0
    with Session(engine) as session:
        rollups.clear(session)
        session.commit()
    assert sum(rows_per_table(engine).values()) == 0
    result = CliRunner().invoke(main, ["rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert "rollups rebuilt" in result.output
    assert rows_per_table(engine) == written
    engine.dispose()
