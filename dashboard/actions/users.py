"""Changes to people who log in: users added and changed (the CLI, audited),
sessions ended (logout), and logins, failed logins and logouts recorded in
the audit trail. The reads are dashboard.store.users."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from dashboard.store.audit import add_entry
from dashboard.store.models import Unit
from dashboard.store.users import NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, ROLES, User


def _utcnow() -> datetime:  # the command line's clock (tests move it)
    return datetime.now(timezone.utc)


class UserError(ValueError):
    """A user that cannot be created; the message says why, for a person to read."""


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
        now = _utcnow()
        user = User(name=name, password_hash=generate_password_hash(password), role=role, unit=unit, created_at=now)
        session.add(user)
        if by is not None:
            add_entry(session, action="user_added", actor=by[0], unit=unit, at=now, address=by[1],
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
    end and their live sockets are cut (dashboard.auth.access.revoked_among) within seconds."""
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


def end_sessions(engine: Engine, user_id: int) -> None:
    """Every session cookie issued to this user so far stops working (logout)."""
    with Session(engine) as session:
        user = session.get(User, int(user_id))
        if user is not None:
            user.session_version += 1
            session.add(user)
            session.commit()


def record_session_event(engine: Engine, *, action: str, name: str, address: str | None, at: datetime) -> None:
    """A login, failed login or logout by user `name` (the attempted name on a
    failure), scoped to that user's unit when the name exists."""
    with Session(engine) as session:
        unit = session.exec(select(User.unit).where(User.name == (name or "")[:200])).first()
        add_entry(session, action=action, actor=name or "", unit=unit, at=at, address=address)
        session.commit()
