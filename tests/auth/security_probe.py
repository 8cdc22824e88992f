"""For the attack tests (tests/auth/test_access.py, tests/web/test_hardening.py): a seeded
database with users at three levels and one screen link (so walls are closed), and small
HTTP helpers that act as an attacker or a user would."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

import requests

from tests.helpers import AUTH, COMMUNITY, DISTRICT, SIBLING_COMMUNITY, STREET

PASSWORD = "correct horse 1"
USERS = {
    "zj-duty": ("duty", COMMUNITY),          # a community user
    "jl-duty": ("duty", SIBLING_COMMUNITY),  # the sibling community's user
    "district-admin": ("admin", DISTRICT),
}
# The main server allows many failures: only the throttling tests (own server) count them.
LENIENT = {"DASHBOARD_LOGIN_FAILURES": "1000/minute"}


@dataclass
class Seeded:
    url: str              # database URL
    token: str            # a live screen link of STREET
    token_id: int


def seed(folder, *, screen_unit: str | None = STREET) -> Seeded:
    """A SQLite database with the default units, USERS and (unless None) one screen link."""
    from dashboard.bootstrap import init_database
    from dashboard.actions.screen_links import issue
    from dashboard.settings import Settings
    from dashboard.store.db import make_engine
    from dashboard.actions.users import add_user

    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'dashboard.db'}"
    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(folder)}))
    engine = make_engine(url)
    try:
        for name, (role, unit) in USERS.items():
            add_user(engine, name=name, password=PASSWORD, role=role, unit=unit)
        token, token_id = "", 0
        if screen_unit:
            row, token = issue(engine, unit=screen_unit, label="attack test", now=datetime.now(timezone.utc))
            token_id = int(row.id)
    finally:
        engine.dispose()
    return Seeded(url, token, token_id)


def post_events(server, events: list[dict]) -> dict:
    r = requests.post(server.url + "/api/v1/events", json=events, headers=AUTH, timeout=10)
    assert r.status_code == 202, r.text
    return r.json()


def log_in(server, name: str, password: str = PASSWORD) -> requests.Session:
    """A browser-like session logged in through the /login form (its CSRF token included)."""
    web = requests.Session()
    html = web.get(server.url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    r = web.post(server.url + "/login", data={"name": name, "password": password, "csrf_token": token.group(1)},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 302, (r.status_code, r.text[:300])
    return web


def cookie_header(web: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in web.cookies)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
