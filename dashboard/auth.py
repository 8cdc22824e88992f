"""Who is asking: browser sessions (Flask-Login + CSRF), HTTP Basic for
scripts, and the rule of who may act on what (CONTRACT "Read API", "Pages";
DOMAIN "The people who use it").

Wiring: `init_auth(flask)` once, after the app's blueprints are registered.

CSRF:
- Every unsafe request (POST/PUT/PATCH/DELETE) outside `/api/` must carry a
  Flask-WTF token: the `csrf_token` form field or the `X-CSRFToken` header.
  That includes Dash callbacks (`/_dash-update-component`): the Dash renderer
  sends the `_csrf_token` cookie back as `X-CSRFToken` by itself, and this
  module keeps that cookie fresh on every page and callback response.
- `/api/...` is exempt from the global check (bearer tokens, HTTP Basic);
  there, `api_user()` asks a session user for the `X-CSRFToken` header on
  unsafe methods. A browser console reads the token from the `_csrf_token`
  cookie (not HttpOnly) and sends it as `X-CSRFToken`.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from flask import (Blueprint, Flask, current_app, g, has_request_context, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect, generate_csrf, validate_csrf
from werkzeug.exceptions import Unauthorized
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from dashboard.domain.unit_tree import UnitTree
from dashboard.i18n import COOKIE as LANG_COOKIE
from dashboard.i18n import LANGS, Translator, pick_lang
from dashboard.store import users as user_store
from dashboard.actions.users import end_sessions, record_session_event
from dashboard.store.users import NAME_MAX, PASSWORD_MAX, User
from dashboard.throttle import Throttled, check_failures, count_failure, known_wrong, off_loop, remember_wrong

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
CSRF_COOKIE = "_csrf_token"      # what the Dash renderer reads (dash.Dash(csrf_token_name=...) default)
CSRF_HEADER = "X-CSRFToken"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

# Requests whose path starts with one of these never need the CSRF cookie refreshed.
_STATIC_PREFIXES = ("/api/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/socket.io")

ROLE_LABELS = {"duty": "Duty officer", "leader": "Leader", "staff": "Staff", "admin": "Administrator"}

bp = Blueprint("auth", __name__, template_folder="templates")
csrf = CSRFProtect()
login_manager = LoginManager()
# Endpoints that check their own form token and answer a friendly page when it is stale.
_SELF_CHECKED_ENDPOINTS = {"auth.login"}
# The session key holding the user's session version at login (see actions.users.end_sessions).
_SESSION_VERSION = "_sv"


# ---------------------------------------------------------------- the user


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


def _engine():
    return current_app.extensions["dashboard"].engine


@login_manager.user_loader
def _load_user(user_id: str) -> CurrentUser | None:
    # Read on every request, so a deactivated user loses the session at once.
    row = user_store.get_user(_engine(), user_id)
    if row is None or not row.active:
        return None
    # A logout bumps the version: a cookie from before it (copied or kept) is dead.
    if session.get(_SESSION_VERSION, 0) != row.session_version:
        return None
    return CurrentUser.from_row(row, session=True)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith(API_PREFIX):
        return jsonify({"error": "login required"}), 401
    return redirect(login_url(request.full_path.rstrip("?")))


def session_user() -> CurrentUser | None:
    """The logged-in user of this browser session, or None (also outside a request)."""
    if not has_request_context():
        return None
    user = current_user._get_current_object()
    return user if isinstance(user, CurrentUser) else None


# ---------------------------------------------------------------- API requests


def api_user(*, require_csrf: bool | None = None) -> CurrentUser | None:
    """The user of an API request, or None.

    - An `Authorization: Basic` header is checked against the database and
      decides alone: wrong credentials are no user, even with a session.
    - Otherwise the logged-in session user, provided the request carries a
      valid CSRF token in `X-CSRFToken`. By default the token is asked for on
      unsafe methods (POST, PUT, PATCH, DELETE) only, like Flask-WTF;
      `require_csrf=True` asks for it on every method.

    When None, `api_auth_error()` says why, for the 401 body.
    """
    cached = g.get("_dashboard_api_auth")
    if cached is not None and cached[2] == require_csrf:
        return cached[0]
    user, problem = _resolve_api_user(require_csrf)
    g._dashboard_api_auth = (user, problem, require_csrf)
    return user


# Verified Basic credentials, briefly: a scrypt check costs ~0.2 s of CPU, which
# on the gevent server stalls every socket of the process; scripts repeat calls.
_BASIC_TTL_S = 60.0
_basic_cache: dict[tuple[str, str], tuple[float, int]] = {}


def _basic_user(name: str, password: str) -> CurrentUser | None:
    key = (name, hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest())
    hit = _basic_cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < _BASIC_TTL_S:
        row = user_store.get_user(_engine(), hit[1])  # still re-read: a deactivated user is out at once
        return CurrentUser.from_row(row) if row is not None and row.active else None
    check_failures(name, "failed passwords")       # 429 before any scrypt once failures are spent
    state = user_store.password_state(_engine(), name)
    if known_wrong(name, password, state):
        count_failure(name)
        return None
    row = user_store.authenticate(_engine(), name=name, password=password, run=off_loop)
    if row is None:
        _basic_cache.pop(key, None)
        remember_wrong(name, password, state)
        count_failure(name)
        return None
    if len(_basic_cache) > 1000:
        _basic_cache.clear()
    _basic_cache[key] = (time.monotonic(), int(row.id))
    return CurrentUser.from_row(row)


def _resolve_api_user(require_csrf: bool | None) -> tuple[CurrentUser | None, str]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        user = _basic_user(auth.username or "", auth.password or "")
        if user is None:
            log.info("API Basic authentication failed for %r from %s", auth.username, request.remote_addr)
            return None, "wrong user name or password (HTTP Basic)"
        return user, ""
    user = session_user()
    if user is None:
        return None, "login required: log in at /login, or send HTTP Basic credentials"
    needs_token = request.method in UNSAFE_METHODS if require_csrf is None else require_csrf
    if needs_token:
        try:
            validate_csrf(request.headers.get(CSRF_HEADER))
        except ValidationError as exc:
            reason = exc.args[0] if exc.args else "The CSRF token is invalid."
            return None, (f"CSRF token missing or invalid ({reason}): send the {CSRF_HEADER} header "
                          f"with the value of the {CSRF_COOKIE} cookie")
    return user, ""


def api_auth_error() -> str:
    """Why `api_user()` found nobody in this request (empty when it found someone)."""
    cached = g.get("_dashboard_api_auth")
    if cached is None:
        api_user()
        cached = g._dashboard_api_auth
    return cached[1]


def require_api_user(*, require_csrf: bool | None = None) -> CurrentUser:
    """`api_user()` or a 401 (JSON `{"error": <why>}` under /api/)."""
    user = api_user(require_csrf=require_csrf)
    if user is None:
        raise Unauthorized(description=api_auth_error())
    return user


def can_act_on(user: CurrentUser | User | None, unit_code: str, tree: UnitTree) -> bool:
    """True when the user's own unit is `unit_code` or one of its ancestors."""
    if user is None or not getattr(user, "unit", None):
        return False
    return user.unit in tree.lineage(unit_code)


# ---------------------------------------------------------------- pages


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, else `default` (no open redirects)."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def login_url(next_path: str | None = None) -> str:
    base = (request.script_root if has_request_context() else "") + "/login"
    nxt = safe_next(next_path, default="")
    return f"{base}?next={quote(nxt, safe='/')}" if nxt else base


def request_lang(lang: str | None = None) -> str:
    if not has_request_context():
        return pick_lang(lang, None)
    return pick_lang(lang or request.args.get("lang"), request.cookies.get(LANG_COOKIE))


def login_required_page(path: str, *, roles: tuple[str, ...] | None = None, lang: str | None = None):
    """For a Dash page layout: None when the current user may see the page,
    else a small layout saying so, with a link to `/login?next=<path>`.

        def layout(**query):
            gate = login_required_page("/alerts")
            if gate is not None:
                return gate
            user = session_user()
            ...
    """
    from dash import html  # Dash is only needed by page layouts

    _ = Translator(request_lang(lang))
    user = session_user()
    if user is not None and (roles is None or user.role in roles):
        return None
    if user is None:
        message, link_text = _("Please log in to see this page."), _("Log in")
    else:
        message, link_text = _("Your role may not see this page."), _("Log in as another user")
    return html.Div(className="login-gate", lang="zh-CN" if _.lang == "zh" else "en", children=[
        html.P(message, className="login-gate-message"),
        # A plain link (not dcc.Link): /login is a Flask page, not a Dash page.
        html.A(link_text, href=login_url(path), className="login-gate-link"),
    ])


class LoginForm(FlaskForm):
    name = StringField("User name", validators=[DataRequired(), Length(max=NAME_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])


def _render_login(form: LoginForm, _: Translator, next_path: str, error: str | None, status: int = 200):
    form.name.label.text = _("User name")
    form.password.label.text = _("Password")
    other = "en" if _.lang == "zh" else "zh"
    user = session_user()
    node = current_app.extensions["dashboard"].tree.get(user.unit) if user is not None else None
    unit_label = (node.name if _.lang == "zh" else node.name_en) if node is not None else (user.unit if user else "")
    return render_template(
        "login.html", form=form, _=_, error=error, next_path=next_path, user=user, unit_label=unit_label,
        role_label=lambda role: _(ROLE_LABELS.get(role, role)),
        html_lang="zh-CN" if _.lang == "zh" else "en",
        other_lang=other, other_lang_label="English" if other == "en" else "中文",
        other_lang_url=url_for("auth.login", lang=other, next=next_path or None),
        login_action=url_for("auth.login", next=next_path or None),
        css_url=request.script_root + "/assets/login.css",
    ), status


def _remember_lang(response):
    lang = request.args.get("lang")
    if lang in LANGS and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", httponly=False,
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _audit(action: str, name: str) -> None:
    """One audit row for a login, failed login or logout: who, when, from where."""
    svc = current_app.extensions["dashboard"]
    record_session_event(svc.engine, action=action, name=name, address=request.remote_addr, at=svc.clock())


def _fresh_session() -> None:
    """Drop everything of the previous session (and this request's cached CSRF token)."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    _ = Translator(request_lang())
    next_path = safe_next(request.values.get("next"), default="")
    form = LoginForm()
    error = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                check_failures(form.name.data)   # before any scrypt once failures are spent
            except Throttled as exc:
                form.password.data = ""
                response = current_app.make_response(_render_login(
                    form, _, next_path, _("Too many failed attempts; try again in %(s)s seconds.") % {"s": exc.retry_after},
                    429))
                response.headers["Retry-After"] = str(exc.retry_after)
                return _remember_lang(response)
            row = user_store.authenticate(_engine(), name=form.name.data, password=form.password.data,
                                          run=off_loop)
            if row is None:
                count_failure(form.name.data)
            else:
                _fresh_session()
                session[_SESSION_VERSION] = row.session_version
                login_user(CurrentUser.from_row(row, session=True), remember=False)
                log.info("login: %s (%s, %s) from %s", row.name, row.role, row.unit, request.remote_addr)
                _audit("login", row.name)
                return _remember_lang(redirect(next_path or "/"))
            log.info("login failed for %r from %s", form.name.data, request.remote_addr)
            _audit("login_failed", form.name.data)
            error, status = _("Wrong user name or password."), 401
        elif "csrf_token" in form.errors:
            error, status = _("The form has expired; please try again."), 400
        else:
            error, status = _("Enter your user name and password."), 400
        form.password.data = ""
    return _remember_lang(current_app.make_response(_render_login(form, _, next_path, error, status)))


@bp.post("/logout")
def logout():
    user = session_user()
    logout_user()
    _fresh_session()
    if user is not None:
        end_sessions(_engine(), user.id)  # the old cookie, wherever copied, is dead now
        log.info("logout: %s", user.name)
        _audit("logout", user.name)
    return redirect(url_for("auth.login"))


@bp.get("/api/v1/me")
def me():
    user = api_user()
    if user is None:
        return jsonify({"error": api_auth_error()}), 401
    body = user.to_json()
    tree = current_app.extensions["dashboard"].tree
    node = tree.get(user.unit)
    if node is not None:
        body.update(unit_name=node.name, unit_name_en=node.name_en, unit_level=node.level)
    return jsonify(body)


# ---------------------------------------------------------------- wiring


def init_auth(flask_app: Flask) -> None:
    """Sessions, Flask-Login, CSRF protection and the /login, /logout, /api/v1/me routes.

    Idempotent: a second call on the same app does nothing."""
    if "dashboard_auth" in flask_app.extensions:
        return
    flask_app.extensions["dashboard_auth"] = True
    cfg = flask_app.config
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_PERMANENT"] = False            # a browser-session cookie: gone when the browser closes
    cfg["REMEMBER_COOKIE_DURATION"] = 0         # remember-me is never offered; belt and braces
    # The token lives as long as the session: a console left open all day keeps working.
    cfg.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # The global check below replaces Flask-WTF's own (which knows exemptions by view only).
    cfg["WTF_CSRF_CHECK_DEFAULT"] = False

    login_manager.init_app(flask_app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(flask_app)
    flask_app.register_blueprint(bp)

    @flask_app.before_request
    def _csrf_check():
        if not flask_app.config.get("WTF_CSRF_ENABLED", True):
            return None
        if request.method not in UNSAFE_METHODS:
            return None
        if request.path.startswith(API_PREFIX):
            return None   # bearer tokens / HTTP Basic / api_user()'s own X-CSRFToken check
        if request.endpoint in _SELF_CHECKED_ENDPOINTS:
            return None
        csrf.protect()
        return None

    @flask_app.after_request
    def _csrf_cookie(response):
        """Keep the `_csrf_token` cookie (read by the Dash renderer and the console) matching the session."""
        path = request.path
        if path.startswith(_STATIC_PREFIXES):
            return response
        if response.mimetype != "text/html" and not path.startswith("/_dash-"):
            return response
        try:
            validate_csrf(request.cookies.get(CSRF_COOKIE))
        except ValidationError:
            response.set_cookie(CSRF_COOKIE, generate_csrf(), httponly=False, samesite="Lax",
                                secure=bool(flask_app.config.get("SESSION_COOKIE_SECURE")), path="/")
            response.vary.add("Cookie")
        return response
