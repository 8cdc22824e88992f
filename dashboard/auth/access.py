"""Who may read what: the one access rule of every read path (CONTRACT "Read
API" → Access), for the read API, the wall page, the `/live` connect and
every `resume`, and the Dash callbacks that read data; and who may act on
what (`can_act_on`).

A credential is a user (browser session or HTTP Basic), a screen token (the
`screen=` parameter, or `auth.screen` on the socket), or nobody:

- a wrong or revoked credential is 401, never ignored (a wrong Basic password
  is 401 even when the browser also has a session);
- a user sees their unit's subtree, a screen token its unit's subtree; any
  other unit is 403;
- nobody is answered only while walls are open: no screen token was ever
  issued and DASHBOARD_OPEN_WALLS is not 0. Then every unit is in scope.

The api blueprint checks every GET before its handler runs (`guard_api_read`):
the unit asked for is the `<unit>` path argument or the `unit` query argument,
and when absent the credential's own unit (`home_unit()`), so a community
user's `/incidents` is their community. A handler whose unit is known only
after loading (a case file) calls `require_unit(code)`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, request
from sqlalchemy.engine import Engine
from werkzeug.exceptions import Forbidden, Unauthorized

from dashboard.actions import screen_links as screen_link_actions
from dashboard.auth.basic import api_auth_error, api_user
from dashboard.auth.sessions import CurrentUser
from dashboard.domain.screen_access import BAD_SCREEN, NEEDS_CREDENTIAL, scope_refusal, screen_access
from dashboard.domain.unit_tree import UnitTree
from dashboard.services import Services, current_services
from dashboard.store.screen_links import ScreenToken, required as tokens_issued, token_row, unrevoked_ids
from dashboard.store.users import User

# Answered to anyone: the hierarchy, the interface description, and the catch-all 404/405;
# and /me, which checks its caller itself (a user, never a screen link).
PUBLIC_API_ENDPOINTS = frozenset({"api.get_units", "api.get_openapi", "api.unknown_endpoint", "api.me"})
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Credential:
    """What a request or socket showed. `units`: the units whose subtrees it opens
    (a user's unit, a screen token's unit); empty for nobody."""

    kind: str                     # "user", "screen", "user+screen" or "anonymous"
    units: tuple[str, ...] = ()
    user_id: int | None = None
    token_id: int | None = None
    user_unit: str | None = None
    user_role: str | None = None
    session_version: int | None = None  # of a session user, for the live re-check

    @property
    def anonymous(self) -> bool:
        return not self.units

    @property
    def home(self) -> str | None:
        return self.units[0] if self.units else None


class AccessRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason

    def http(self):
        return (Unauthorized if self.status == 401 else Forbidden)(description=self.reason)


def walls_open(svc: Services) -> bool:
    """Anonymous reads allowed: the deployment did not close them, and no screen token was ever issued."""
    return svc.settings.open_walls and not tokens_issued(svc.engine)


def screen_link(engine: Engine, token: str, now: datetime) -> ScreenToken:
    """The live (issued, unrevoked) link of this plain token, its use recorded; AccessRefused(401) otherwise."""
    link = token_row(engine, token)
    decision = screen_access(link, now=now)
    if not decision.allowed:
        raise AccessRefused(decision.status, decision.reason)
    if decision.touch:
        screen_link_actions.touch(engine, token_id=link.id, now=now)
        link.last_used_at = now
    return link


def credential_of(svc: Services, *, user, screen: object, user_problem: str = "") -> Credential:
    """The credential of a user (or None) and a screen token (or None); AccessRefused(401) when one is wrong.

    `user_problem`: why the request's user credential was refused (a wrong Basic
    password), which refuses the request even when a screen token is valid."""
    if user_problem:
        raise AccessRefused(401, user_problem)
    link = None
    if screen is not None and screen != "":
        if not isinstance(screen, str) or len(screen) > 200:
            raise AccessRefused(401, BAD_SCREEN)
        link = screen_link(svc.engine, screen, svc.clock())
    units: list[str] = []
    if user is not None:
        units.append(user.unit)
    if link is not None:
        units.append(link.unit)
    if not units:
        if walls_open(svc):
            return Credential("anonymous")
        raise AccessRefused(401, NEEDS_CREDENTIAL)
    kind = "+".join(k for k, present in (("user", user is not None), ("screen", link is not None)) if present)
    return Credential(kind, tuple(units), user_id=getattr(user, "id", None),
                      token_id=link.id if link is not None else None,
                      user_unit=getattr(user, "unit", None), user_role=getattr(user, "role", None),
                      session_version=getattr(user, "session_version", None))


def check_unit(svc: Services, cred: Credential, unit: str) -> None:
    """AccessRefused(403) unless `unit` lies in the subtree of one of the credential's units."""
    if cred.anonymous:
        return
    refusal = scope_refusal(svc.tree, unit, cred.units, screen_only=cred.kind == "screen")
    if refusal is not None:
        raise AccessRefused(403, refusal)


def can_act_on(user: CurrentUser | User | None, unit_code: str, tree: UnitTree) -> bool:
    """True when the user's own unit is `unit_code` or one of its ancestors (acknowledge, resolve)."""
    if user is None or not getattr(user, "unit", None):
        return False
    return user.unit in tree.lineage(unit_code)


# ---------------------------------------------------------------- HTTP requests


def request_user():
    """(the user of this request or socket handshake, why its Basic credentials were refused or "").
    HTTP Basic decides alone when sent; else the session. Raises Throttled (429) when failures are spent."""
    user = api_user()
    return user, (api_auth_error() if user is None and request.authorization is not None else "")


def request_credential() -> Credential:
    """This request's credential (cached per request); AccessRefused(401) when wrong."""
    cached = g.get("_dashboard_credential")
    if cached is not None:
        return cached
    user, problem = request_user()
    cred = credential_of(current_services(), user=user, screen=request.args.get("screen"),
                         user_problem=problem)
    g._dashboard_credential = cred
    return cred


def require_unit(unit: str) -> Credential:
    """For handlers: the request's credential when `unit` is in its scope, else a 401/403 HTTPException."""
    svc = current_services()
    try:
        cred = request_credential()
        if unit in svc.tree:
            check_unit(svc, cred, unit)
    except AccessRefused as exc:
        raise exc.http() from None
    return cred


def home_unit() -> str | None:
    """The unit a read answers for when the request names none: the credential's own."""
    cred = g.get("_dashboard_credential")
    return cred.home if cred is not None else None


def guard_api_read():
    """before_request of the api blueprint: every read is in scope of its credential, or refused."""
    if request.method not in READ_METHODS or request.endpoint in PUBLIC_API_ENDPOINTS or request.endpoint is None:
        return None
    unit = (request.view_args or {}).get("unit") or request.args.get("unit")
    svc = current_services()
    try:
        cred = request_credential()
        if unit is not None and unit in svc.tree:
            check_unit(svc, cred, unit)
    except AccessRefused as exc:
        raise exc.http() from None
    return None


# ---------------------------------------------------------------- live sockets


def revoked_among(engine: Engine, creds: dict[str, Credential]) -> set[str]:
    """Of these socket credentials (by sid), the sids whose credential was revoked since:
    a revoked screen token, or a user deactivated, logged out, or moved to another unit or role."""
    from dashboard.store.users import users_by_id

    live_tokens = unrevoked_ids(engine, {c.token_id for c in creds.values() if c.token_id is not None})
    users = users_by_id(engine, {c.user_id for c in creds.values() if c.user_id is not None})
    dead = set()
    for sid, c in creds.items():
        if c.token_id is not None and c.token_id not in live_tokens:
            dead.add(sid)
        if c.user_id is not None:
            row = users.get(c.user_id)
            if (row is None or not row.active or row.unit != c.user_unit or row.role != c.user_role
                    or (c.session_version is not None and row.session_version != c.session_version)):
                dead.add(sid)
    return dead
