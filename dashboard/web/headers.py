"""Response headers and deployment behind a TLS proxy.

- Content-Security-Policy on every answer: scripts only from this site plus the
  hashes of the inline scripts Dash renders itself (its renderer start-up and
  any inline clientside callbacks, `Dash.csp_hashes()`, Dash's own guidance) —
  no 'unsafe-inline' and no 'unsafe-eval' for scripts. Styles allow
  'unsafe-inline': Dash components and plotly set style attributes and inject
  <style> elements at run time.
- frame-ancestors from DASHBOARD_FRAME_ANCESTORS (default 'none'), with
  X-Frame-Options DENY when it is 'none'; nosniff; Referrer-Policy.
- DASHBOARD_SECURE_COOKIES=1: session, CSRF and lang cookies carry Secure.
- DASHBOARD_PROXIES=N: trust N proxies' X-Forwarded-For/-Proto/-Host/-Prefix
  (werkzeug ProxyFix), so client addresses (throttling, logs) and https URLs are right.
"""
from __future__ import annotations

import dash
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.settings import Settings


def content_security_policy(script_hashes: list[str], frame_ancestors: str) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


def init_headers(flask: Flask, dash_app: dash.Dash, settings: Settings) -> None:
    flask.config["SESSION_COOKIE_SECURE"] = settings.secure_cookies
    flask.config["REMEMBER_COOKIE_SECURE"] = settings.secure_cookies  # never set, but Flask-Login clears it
    if settings.proxies:
        n = settings.proxies
        flask.wsgi_app = ProxyFix(flask.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)
    frame_none = settings.frame_ancestors.strip() == "'none'"
    policy: list[str] = []  # computed at the first answer: inline callbacks are all registered by then

    @flask.after_request
    def _security_headers(response):
        if not policy:
            policy.append(content_security_policy(dash_app.csp_hashes(), settings.frame_ancestors))
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy[0])
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if frame_none:
            headers.setdefault("X-Frame-Options", "DENY")
        return response
