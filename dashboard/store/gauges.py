"""The store's side of the scrape-time gauges (dashboard.metrics.StoreCollector):
a few grouped counts, cheap on the indexes the walls already use."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Alert, Item
from dashboard.store.seq import head_seq


def store_gauges(engine: Engine, *, tree: UnitTree, now: datetime) -> dict:
    def level(unit: str) -> str:
        node = tree.nodes.get(unit)
        return node.level if node else "unknown"

    with Session(engine) as session:
        open_rows = session.exec(select(Item.kind, Item.unit, func.count())
                                 .where(Item.is_open.is_(True)).group_by(Item.kind, Item.unit)).all()
        overdue_rows = session.exec(select(Alert.kind, Alert.unit, func.count(distinct(Alert.ref)))
                                    .where(Alert.active.is_(True)).group_by(Alert.kind, Alert.unit)).all()
        alert_rows = session.exec(select(Alert.level, Alert.state, func.count())
                                  .where(Alert.active.is_(True)).group_by(Alert.level, Alert.state)).all()
        due = session.exec(select(func.count()).select_from(Item)
                           .where(Item.is_open.is_(True), Item.next_due <= now)).scalar_one()
        head = head_seq(session)
    opened, overdue = Counter(), Counter()
    for kind, unit, n in open_rows:
        opened[(kind, level(unit))] += n
    for kind, unit, n in overdue_rows:
        overdue[(kind, level(unit))] += n
    keys = sorted(set(opened) | set(overdue))
    return {"items": [(kind, lvl, opened[(kind, lvl)], overdue[(kind, lvl)]) for kind, lvl in keys],
            "alerts": [(lvl, state, n) for lvl, state, n in sorted(alert_rows)],
            "head": head, "due": due}
