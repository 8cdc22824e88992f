"""Who is asking, and what they may see or do.

| module | holds |
| --- | --- |
| `sessions.py` | browser sessions (Flask-Login): `CurrentUser`, `session_user()` |
| `basic.py` | the API's caller: HTTP Basic, else the session with its CSRF token (`api_user()`) |
| `csrf.py` | the CSRF check of every unsafe request outside /api/, and the `_csrf_token` cookie |
| `views.py` | /login and /logout, the language cookie, the login gate of Dash pages |
| `access.py` | the read rule (credential → scope) and who may act on what |
| `throttle.py` | Flask-Limiter: failed logins and passwords, ingest rate |

Wiring: `init_auth(flask)` once per app (dashboard.app does).
"""
from __future__ import annotations

from flask import Flask

from dashboard.auth.csrf import init_csrf
from dashboard.auth.sessions import login_manager
from dashboard.auth.views import bp, unauthorized


def init_auth(flask_app: Flask) -> None:
    """Sessions, Flask-Login, CSRF protection and the /login and /logout pages.

    Idempotent: a second call on the same app does nothing."""
    if "dashboard_auth" in flask_app.extensions:
        return
    flask_app.extensions["dashboard_auth"] = True
    cfg = flask_app.config
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_PERMANENT"] = False            # a browser-session cookie: gone when the browser closes
    cfg["REMEMBER_COOKIE_DURATION"] = 0         # remember-me is never offered; belt and braces

    login_manager.init_app(flask_app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(unauthorized)
    init_csrf(flask_app)
    flask_app.register_blueprint(bp)
