"""CSRF protection (Flask-WTF).

- Every unsafe request (POST/PUT/PATCH/DELETE) outside `/api/` must carry a
  Flask-WTF token: the `csrf_token` form field or the `X-CSRFToken` header.
  That includes Dash callbacks (`/_dash-update-component`): the Dash renderer
  sends the `_csrf_token` cookie back as `X-CSRFToken` by itself, and this
  module keeps that cookie fresh on every page and callback response.
- `/api/...` is exempt from the global check (bearer tokens, HTTP Basic);
  there, `api_user()` (dashboard.auth.basic) asks a session user for the
  `X-CSRFToken` header on unsafe methods. A browser console reads the token
  from the `_csrf_token` cookie (not HttpOnly) and sends it as `X-CSRFToken`.
"""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect, generate_csrf, validate_csrf
from wtforms.validators import ValidationError

API_PREFIX = "/api/"
CSRF_COOKIE = "_csrf_token"      # what the Dash renderer reads (dash.Dash(csrf_token_name=...) default)
CSRF_HEADER = "X-CSRFToken"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Requests whose path starts with one of these never need the CSRF cookie refreshed.
_STATIC_PREFIXES = ("/api/", "/assets/", "/_dash-component-suites/", "/_favicon.ico", "/socket.io")

csrf = CSRFProtect()
# Endpoints that check their own form token and answer a friendly page when it is stale.
_SELF_CHECKED_ENDPOINTS = {"auth.login"}


def init_csrf(flask_app: Flask) -> None:
    # The token lives as long as the session: a console left open all day keeps working.
    flask_app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # The global check below replaces Flask-WTF's own (which knows exemptions by view only).
    flask_app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(flask_app)

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
