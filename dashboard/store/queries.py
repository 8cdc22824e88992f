"""Read-side queries. Keyword-only; each returns plain rows or dicts."""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from dashboard.domain.unit_tree import UnitTree
from dashboard.store.models import Alert, Item, Message
from dashboard.store.seq import head_seq
from dashboard.store.serialize import alert_payload, item_summary

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




def recent_messages(engine: Engine, *, tree: UnitTree, unit: str, limit: int = 30) -> list[dict]:
    """The latest messages of a subtree, oldest first (a wall's ticker on load)."""
    scope = _scope_column(Message, tree, unit)
    with Session(engine) as session:
        rows = session.exec(
            select(Message.seq, Message.name, Message.payload)
            .where(scope == unit).order_by(col(Message.seq).desc()).limit(limit)
        ).all()
    return [{"seq": seq, "name": name, "data": payload} for seq, name, payload in reversed(rows)]








def alerts_in(engine: Engine, *, tree: UnitTree, unit: str, state: str = "active", limit: int = 2000) -> list[dict]:
    """Alerts about items in `unit`'s subtree, newest change first."""
    scope = _scope_column(Alert, tree, unit)
    query = select(Alert).where(scope == unit)
    if state == "active":
        query = query.where(col(Alert.active).is_(True))
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(Alert.last_seq).desc()).limit(limit)).all()
        return [alert_payload(a, action=a.state, actor="", note=None) for a in rows]
