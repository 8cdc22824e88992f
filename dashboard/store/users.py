"""People who log in (CONTRACT "Read API": a user is a browser session or HTTP
Basic; "Command line": `users add`). Passwords are kept only as Werkzeug
scrypt hashes. Here: the table and its reads; dashboard.actions.users adds and
changes users and ends their sessions.

The table joins `SQLModel.metadata`, so `create_schema` creates it once this
module has been imported (dashboard.store.db imports it).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import CheckConstraint
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.store.models import utc_field

ROLES = ("duty", "leader", "staff", "admin")
NAME_MAX = 64
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # hashing cost grows with length; nobody types more


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role IN ('duty', 'leader', 'staff', 'admin')", name="ck_app_user_role"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    unit: str = Field(foreign_key="unit.code", max_length=64, index=True)
    active: bool = True
    created_at: datetime = utc_field(default_factory=_utcnow)
    # Bumped at logout (and by user changes): a session cookie carries the version it was
    # issued under, so a copied cookie dies with the logout (dashboard.auth).
    session_version: int = Field(default=0)


# Checked against when the name is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash("not-a-real-password")
    return _DUMMY_HASH


def authenticate(engine: Engine, *, name: str, password: str, run=None) -> User | None:
    """The active user with this name and password, or None (never says which part was wrong).

    `run(fn, *args)` runs the hash check (the server passes one that keeps it off the event loop)."""
    if not name or not password or len(name) > NAME_MAX or len(password) > PASSWORD_MAX:
        return None
    run = run or (lambda fn, *args: fn(*args))
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        run(check_password_hash, _dummy_hash(), password)
        return None
    if not run(check_password_hash, user.password_hash, password) or not user.active:
        return None
    return user


def password_state(engine: Engine, name: str) -> str:
    """A fingerprint of what a password check of `name` depends on (its hash and active flag),
    "" for no such user: a remembered failure holds only while this stays the same."""
    if not name or len(name) > NAME_MAX:
        return ""
    with Session(engine) as session:
        row = session.exec(select(User.password_hash, User.active).where(User.name == name)).first()
    return "" if row is None else f"{row[0]}:{row[1]}"


def get_user(engine: Engine, user_id: int | str) -> User | None:
    """The user with this id (active or not), or None."""
    try:
        key = int(user_id)
    except (TypeError, ValueError):
        return None
    with Session(engine, expire_on_commit=False) as session:
        return session.get(User, key)


def users_by_id(engine: Engine, user_ids: set[int]) -> dict[int, User]:
    """The users with these ids (active or not), by id."""
    if not user_ids:
        return {}
    with Session(engine, expire_on_commit=False) as session:
        return {row.id: row for row in session.exec(select(User).where(User.id.in_(user_ids))).all()}


def list_users(engine: Engine) -> list[User]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(User).order_by(User.name)).all())
