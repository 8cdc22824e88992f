"""The login and logout pages, the language cookie, and the gate a Dash page
puts before its layout (CONTRACT "Pages"; DOMAIN "The people who use it")."""
from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from flask import (Blueprint, current_app, g, has_request_context, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from dashboard.auth.csrf import API_PREFIX
from dashboard.auth.sessions import SESSION_VERSION, CurrentUser, session_user, users_engine
from dashboard.auth.throttle import Throttled, check_failures, count_failure, off_loop
from dashboard.i18n import COOKIE as LANG_COOKIE
from dashboard.i18n import LANGS, Translator, pick_lang
from dashboard.store import users as user_store
from dashboard.actions.users import end_sessions, record_session_event
from dashboard.store.users import NAME_MAX, PASSWORD_MAX
from dashboard.services import current_services

log = logging.getLogger(__name__)

LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
ROLE_LABELS = {"duty": "Duty officer", "leader": "Leader", "staff": "Staff", "admin": "Administrator"}

bp = Blueprint("auth", __name__, template_folder="templates")


def unauthorized():
    """Flask-Login's answer to a view that needs a login: 401 JSON under /api/, else the login page."""
    if request.path.startswith(API_PREFIX):
        return jsonify({"error": "login required"}), 401
    return redirect(login_url(request.full_path.rstrip("?")))


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
    node = current_services().tree.get(user.unit) if user is not None else None
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
    svc = current_services()
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
            row = user_store.authenticate(users_engine(), name=form.name.data, password=form.password.data,
                                          run=off_loop)
            if row is None:
                count_failure(form.name.data)
            else:
                _fresh_session()
                session[SESSION_VERSION] = row.session_version
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
        end_sessions(users_engine(), user.id)  # the old cookie, wherever copied, is dead now
        log.info("logout: %s", user.name)
        _audit("logout", user.name)
    return redirect(url_for("auth.login"))
