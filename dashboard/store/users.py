"""People who log in (CONTRACT "Read API": a user is a browser session or HTTP
Basic; "Command line": `users add`). Passwords are kept only as Werkzeug
scrypt hashes.

The table joins `SQLModel.metadata`, so `create_schema` creates it once this
module has been imported (dashboard.store.db imports it).
"""
from __future__ import annotations

import unicodedata
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import CheckConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.store.audit import add_entry
from dashboard.store.models import Unit, utc_field

ROLES = ("duty", "leader", "staff", "admin")
NAME_MAX = 64
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # hashing cost grows with length; nobody types more


class UserError(ValueError):
    """A user that cannot be created; the message says why, for a person to read."""


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


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise UserError("user name is empty")
    if len(name) > NAME_MAX:
        raise UserError(f"user name is longer than {NAME_MAX} characters")
    if name != name.strip():
        raise UserError("user name starts or ends with a space")
    if ":" in name:
        raise UserError("user name contains ':' (HTTP Basic cannot carry it)")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise UserError("user name contains a control character")
    return name


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise UserError(f"password is shorter than {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise UserError(f"password is longer than {PASSWORD_MAX} characters")
    return password


def add_user(engine: Engine, *, name: str, password: str, role: str, unit: str,
             by: tuple[str, str] | None = None) -> User:
    """Create an active user; raises UserError (duplicate name, unknown unit, bad role, short password).
    `by`: who and from where, for the audit trail (see dashboard.store.audit.cli_actor)."""
    _check_name(name)
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    _check_password(password)
    with Session(engine, expire_on_commit=False) as session:
        if session.get(Unit, unit) is None:
            raise UserError(f"unknown unit {unit!r} (see GET /api/v1/units)")
        if session.exec(select(User.id).where(User.name == name)).first() is not None:
            raise UserError(f"a user named {name!r} already exists")
        user = User(name=name, password_hash=generate_password_hash(password), role=role, unit=unit)
        session.add(user)
        if by is not None:
            add_entry(session, action="user_added", actor=by[0], unit=unit, at=_utcnow(), address=by[1],
                      subject=f"user:{name}", note=f"role={role} unit={unit}")
        try:
            session.commit()
        except IntegrityError:  # a concurrent add of the same name
            session.rollback()
            raise UserError(f"a user named {name!r} already exists") from None
        session.refresh(user)
        return user


def change_user(engine: Engine, *, name: str, role: str | None = None, unit: str | None = None,
                active: bool | None = None, by: tuple[str, str]) -> User:
    """Change a user's role, unit or active flag; one audit row says what changed
    (`user_deactivated` when that is the change, else `user_changed`). Their sessions
    end and their live sockets are cut (dashboard.access.revoked_among) within seconds."""
    if role is not None and role not in ROLES:
        raise UserError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.name == name)).first()
        if user is None:
            raise UserError(f"no user named {name!r}")
        if unit is not None and session.get(Unit, unit) is None:
            raise UserError(f"unknown unit {unit!r} (see GET /api/v1/units)")
        changes = [f"{field}: {getattr(user, field)} -> {value}" for field, value in
                   (("role", role), ("unit", unit), ("active", active))
                   if value is not None and getattr(user, field) != value]
        if not changes:
            raise UserError("nothing to change (give --role, --unit, --deactivate or --activate)")
        old_unit = user.unit
        for field, value in (("role", role), ("unit", unit), ("active", active)):
            if value is not None:
                setattr(user, field, value)
        user.session_version += 1
        session.add(user)
        action = "user_deactivated" if active is False and len(changes) == 1 else "user_changed"
        add_entry(session, action=action, actor=by[0], unit=old_unit, at=_utcnow(), address=by[1],
                  subject=f"user:{name}", note="; ".join(changes))
        session.commit()
        return user


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


def end_sessions(engine: Engine, user_id: int) -> None:
    """Every session cookie issued to this user so far stops working (logout)."""
    with Session(engine) as session:
        user = session.get(User, int(user_id))
        if user is not None:
            user.session_version += 1
            session.add(user)
            session.commit()


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
