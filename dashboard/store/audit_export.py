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


# Plain columns, not ORM entities: building an object per row cost most of a wide export.
_CHANGE_COLUMNS = (AlertLog.at, AlertLog.action, AlertLog.actor, Alert.unit, AlertLog.to_level, AlertLog.from_level,
                   AlertLog.address, AlertLog.note, AlertLog.alert_id, Alert.kind, Alert.ref, Alert.stage, AlertLog.seq)
_ACTION_COLUMNS = (AuditEntry.at, AuditEntry.action, AuditEntry.actor, AuditEntry.unit, AuditEntry.level,
                   AuditEntry.address, AuditEntry.note, AuditEntry.subject, AuditEntry.id)


def _alert_changes(tree: UnitTree, unit: str, start: datetime, end: datetime):
    scope = getattr(Alert, tree.nodes[unit].level)
    return (select(*_CHANGE_COLUMNS).select_from(AlertLog)
            .join(Alert, col(Alert.id) == AlertLog.alert_id)
            .where(scope == unit, col(AlertLog.at) >= start, col(AlertLog.at) < end))


def _user_actions(tree: UnitTree, unit: str, start: datetime, end: datetime):
    scope = getattr(AuditEntry, tree.nodes[unit].level)
    return select(*_ACTION_COLUMNS).where(scope == unit, col(AuditEntry.at) >= start, col(AuditEntry.at) < end)


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
        changes = session.execute(_alert_changes(tree, unit, start, end)).all()
        actions = session.execute(_user_actions(tree, unit, start, end)).all()
    rows = [((at, 0, seq), {
        "at": at, "source": "alert", "action": action, "user": actor, "unit": alert_unit, "level": level,
        "from_level": from_level, "address": address, "note": note, "alert_id": alert_id, "kind": kind, "ref": ref,
        "stage": stage, "subject": None, "seq": seq,
    }) for at, action, actor, alert_unit, level, from_level, address, note, alert_id, kind, ref, stage, seq in changes]
    rows += [((at, 1, entry_id), {
        "at": at, "source": "user", "action": action, "user": actor, "unit": entry_unit, "level": level,
        "from_level": None, "address": address, "note": note, "alert_id": None, "kind": None, "ref": None,
        "stage": None, "subject": subject, "seq": None,
    }) for at, action, actor, entry_unit, level, address, note, subject, entry_id in actions]
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]
