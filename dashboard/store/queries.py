"""Read-side queries. Keyword-only; each returns plain rows or dicts."""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from dashboard.domain.unit_tree import UnitTree
from datetime import datetime, timedelta, timezone

from dashboard.store.models import Alert, Event, Item, Message
from dashboard.store.seq import head_seq
from dashboard.store.serialize import alert_payload, item_summary

CST = timezone(timedelta(hours=8))  # the district's time zone (no DST)


def _scope_column(model, tree: UnitTree, unit: str):
    return getattr(model, tree.nodes[unit].level)


def messages_after(engine: Engine, *, tree: UnitTree, unit: str, after: int, limit: int = 1000) -> list[dict]:
    """Messages for `unit`'s subtree with seq > after, in seq order, as sent live."""
    scope = _scope_column(Message, tree, unit)
    with Session(engine) as session:
        rows = session.exec(
            select(Message.seq, Message.name, Message.payload)
            .where(scope == unit, Message.seq > after)
            .order_by(Message.seq).limit(limit)
        ).all()
    return [{"seq": seq, "name": name, "data": payload} for seq, name, payload in rows]


def current_head(engine: Engine) -> int:
    with Session(engine) as session:
        return head_seq(session)


def items_in(engine: Engine, *, tree: UnitTree, unit: str, kind: str | None = None,
             status: str = "open", limit: int = 5000) -> list[dict]:
    scope = _scope_column(Item, tree, unit)
    query = select(Item).where(scope == unit)
    if kind is not None:
        query = query.where(Item.kind == kind)
    if status == "open":
        query = query.where(col(Item.is_open).is_(True))
    elif status == "closed":
        query = query.where(col(Item.is_open).is_(False))
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(Item.opened_at).desc()).limit(limit)).all()
        return [item_summary(r) for r in rows]


def count_open(engine: Engine, *, tree: UnitTree, unit: str) -> dict[str, int]:
    scope = _scope_column(Item, tree, unit)
    with Session(engine) as session:
        rows = session.exec(
            select(Item.kind, func.count()).where(scope == unit, col(Item.is_open).is_(True)).group_by(Item.kind)
        ).all()
    counts = {"incident": 0, "patrol": 0, "mediation": 0}
    counts.update({k: int(n) for k, n in rows})
    return counts


def recent_messages(engine: Engine, *, tree: UnitTree, unit: str, limit: int = 30) -> list[dict]:
    """The latest messages of a subtree, oldest first (a wall's ticker on load)."""
    scope = _scope_column(Message, tree, unit)
    with Session(engine) as session:
        rows = session.exec(
            select(Message.seq, Message.name, Message.payload)
            .where(scope == unit).order_by(col(Message.seq).desc()).limit(limit)
        ).all()
    return [{"seq": seq, "name": name, "data": payload} for seq, name, payload in reversed(rows)]


def wall_snapshot(engine: Engine, *, tree: UnitTree, unit: str, item_limit: int = 500) -> dict:
    """Everything a wall shows, read once; the wall then resumes after `head`.
    The head is read first, so anything newer is replayed (deltas are idempotent)."""
    head = current_head(engine)
    return {
        "unit": unit,
        "head": head,
        "counts": count_open(engine, tree=tree, unit=unit),
        "items": items_in(engine, tree=tree, unit=unit, status="open", limit=item_limit),
        "recent": recent_messages(engine, tree=tree, unit=unit),
        "alerts": alerts_in(engine, tree=tree, unit=unit, state="active", limit=200),
        "events_today": events_since(engine, tree=tree, unit=unit, since=_local_midnight(), upto=head),
    }


def _local_midnight() -> datetime:
    """Start of today in the district's time zone."""
    return datetime.now(CST).replace(hour=0, minute=0, second=0, microsecond=0)


def events_since(engine: Engine, *, tree: UnitTree, unit: str, since, upto: int) -> int:
    scope = _scope_column(Event, tree, unit)
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Event).where(
            scope == unit, col(Event.occurred_at) >= since, col(Event.seq) <= upto)).one())


def alerts_in(engine: Engine, *, tree: UnitTree, unit: str, state: str = "active", limit: int = 2000) -> list[dict]:
    """Alerts about items in `unit`'s subtree, newest change first."""
    scope = _scope_column(Alert, tree, unit)
    query = select(Alert).where(scope == unit)
    if state == "active":
        query = query.where(col(Alert.active).is_(True))
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(Alert.last_seq).desc()).limit(limit)).all()
        return [alert_payload(a, action=a.state, actor="", note=None) for a in rows]
