"""The audit export (`GET /api/v1/audit`): every alert change (alert_log) and
every user action (audit_log) about a unit's subtree within [start, end), in
time order, as plain rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dashboard.domain.unit_tree import UnitTree
from dashboard.store.audit import AuditEntry
from dashboard.store.models import Alert, AlertLog

COLUMNS = ["at", "source", "action", "user", "unit", "level", "from_level", "address", "note", "alert_id",
           "kind", "ref", "stage", "subject", "seq"]


class TooManyRows(Exception):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} audit rows in this range, more than {limit}: narrow from/to")
        self.count, self.limit = count, limit


def _alert_changes(tree: UnitTree, unit: str, start: datetime, end: datetime):
    scope = getattr(Alert, tree.nodes[unit].level)
    return (select(AlertLog, Alert.unit, Alert.kind, Alert.ref, Alert.stage)
            .join(Alert, col(Alert.id) == AlertLog.alert_id)
            .where(scope == unit, col(AlertLog.at) >= start, col(AlertLog.at) < end))


def _user_actions(tree: UnitTree, unit: str, start: datetime, end: datetime):
    scope = getattr(AuditEntry, tree.nodes[unit].level)
    return select(AuditEntry).where(scope == unit, col(AuditEntry.at) >= start, col(AuditEntry.at) < end)


def count_rows(engine: Engine, *, tree: UnitTree, unit: str, start: datetime, end: datetime) -> int:
    with Session(engine) as session:
        total = 0
        for query in (_alert_changes(tree, unit, start, end), _user_actions(tree, unit, start, end)):
            total += session.execute(query.with_only_columns(func.count(), maintain_column_froms=True)).scalar_one()
        return total


def audit_rows(engine: Engine, *, tree: UnitTree, unit: str, start: datetime, end: datetime,
               limit: int) -> list[dict]:
    """The rows in time order (ties: alert changes by seq, then user actions by id);
    raises TooManyRows when there are more than `limit`."""
    total = count_rows(engine, tree=tree, unit=unit, start=start, end=end)
    if total > limit:
        raise TooManyRows(total, limit)
    with Session(engine) as session:
        changes = session.exec(_alert_changes(tree, unit, start, end)).all()
        actions = session.exec(_user_actions(tree, unit, start, end)).all()
    rows = [((log.at, 0, log.seq), {
        "at": log.at, "source": "alert", "action": log.action, "user": log.actor, "unit": alert_unit,
        "level": log.to_level, "from_level": log.from_level, "address": log.address, "note": log.note,
        "alert_id": log.alert_id, "kind": kind, "ref": ref, "stage": stage, "subject": None, "seq": log.seq,
    }) for log, alert_unit, kind, ref, stage in changes]
    rows += [((a.at, 1, a.id), {
        "at": a.at, "source": "user", "action": a.action, "user": a.actor, "unit": a.unit, "level": a.level,
        "from_level": None, "address": a.address, "note": a.note, "alert_id": None, "kind": None, "ref": None,
        "stage": None, "subject": a.subject, "seq": None,
    }) for a in actions]
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]
