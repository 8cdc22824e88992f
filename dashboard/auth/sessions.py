"""Browser sessions (Flask-Login): the logged-in person as the rest of the app
sees them, loaded afresh on every request so a deactivated or logged-out user
loses the session at once."""
from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, session
from flask_login import LoginManager, UserMixin, current_user

from dashboard.store import users as user_store
from dashboard.store.users import User
from dashboard.services import current_services

login_manager = LoginManager()
# The session key holding the user's session version at login (see actions.users.end_sessions).
SESSION_VERSION = "_sv"


@dataclass(frozen=True)
class CurrentUser(UserMixin):
    """The logged-in person, as the rest of the app sees it (no password hash)."""

    id: int
    name: str
    role: str
    unit: str
    session_version: int | None = None  # set for a browser session (checked by the live re-check)

    @classmethod
    def from_row(cls, row: User, *, session: bool = False) -> "CurrentUser":
        return cls(id=int(row.id), name=row.name, role=row.role, unit=row.unit,
                   session_version=int(row.session_version) if session else None)

    def get_id(self) -> str:
        return str(self.id)

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "unit": self.unit}


def users_engine():
    """The engine holding the users of this app."""
    return current_services().engine


@login_manager.user_loader
def _load_user(user_id: str) -> CurrentUser | None:
    # Read on every request, so a deactivated user loses the session at once.
    row = user_store.get_user(users_engine(), user_id)
    if row is None or not row.active:
        return None
    # A logout bumps the version: a cookie from before it (copied or kept) is dead.
    if session.get(SESSION_VERSION, 0) != row.session_version:
        return None
    return CurrentUser.from_row(row, session=True)


def session_user() -> CurrentUser | None:
    """The logged-in user of this browser session, or None (also outside a request)."""
    if not has_request_context():
        return None
    user = current_user._get_current_object()
    return user if isinstance(user, CurrentUser) else None
