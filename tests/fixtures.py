"""What the test folders share: the reference district's unit codes, policy
files' text, and Services (or a seeded database, an app's users, an event
poster) to run the code under test against.

Import from here; tests/helpers.py re-exports the unit codes, QUIET_POLICY,
Clock and Recorder for the tests that import them from there.
"""
from __future__ import annotations

import base64
import shutil
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

# --- units: the default tree of the reference district (dashboard/domain/hierarchy.py) ---

DISTRICT = "tongliang"
STREET = "bachuan"
COMMUNITY = "bachuan-zhengjie"
GRID = "bachuan-zhengjie-g01"
GRID2 = "bachuan-zhengjie-g02"
GRID3 = "bachuan-zhengjie-g03"
SIBLING_COMMUNITY = "bachuan-jinlong"
SIBLING_GRID = "bachuan-jinlong-g01"
OTHER_STREET = "nancheng"
OTHER_COMMUNITY = "nancheng-longcheng"
OTHER_GRID = "nancheng-longcheng-g01"


# --- policies ---------------------------------------------------------------------------------

def policy(*, sweep: str = "5s", escalate: str = "10m", ack_timeout: str = "2h",
           incident: str = "{acknowledge: 15m, arrive: 1h, resolve: 24h}", priority: Mapping[int, str] | None = None,
           mediation: str = "{resolve: 30d}", channel: Mapping[str, str] | None = None,
           checkpoint_grace: str = "15m", surge: str = "{window: 1h, count: 3}") -> str:
    """A policy file's text with every key the loader requires (CONTRACT "Policy file");
    each argument is that key's YAML value, `priority` and `channel` the override tables."""
    lines = [f"sweep_interval: {sweep}", f"escalate_after: {escalate}", f"ack_timeout: {ack_timeout}",
             "incident:", f"  default: {incident}"]
    if priority:
        lines += ["  priority:", *(f"    {key}: {budget}" for key, budget in priority.items())]
    lines += ["mediation:", f"  default: {mediation}"]
    if channel:
        lines += ["  channel:", *(f"    {key}: {budget}" for key, budget in channel.items())]
    lines += ["patrol:", f"  checkpoint_grace: {checkpoint_grace}", f"surge: {surge}"]
    return "\n".join(lines) + "\n"


# Priority 1 starts at the district with short deadlines; the rest rises from the community.
URGENT_AT_DISTRICT = {1: "{acknowledge: 5m, arrive: 15m, resolve: 4h, start_level: district}"}
ESCALATING_POLICY = policy(priority=URGENT_AT_DISTRICT)

# Nothing falls due and no surge fires: the spine tests then see exactly the
# messages of the events they post (the sample events are dated in the past,
# and several share a grid and a category).
QUIET_POLICY = policy(sweep="1h", escalate="30d", ack_timeout="30d",
                      incident="{acknowledge: none, arrive: none, resolve: none}", mediation="{resolve: none}",
                      checkpoint_grace="30d", surge="{window: 1s, count: 100000}")


# --- services ---------------------------------------------------------------------------------

class Recorder:
    """An announcer for Services that keeps every message it is given (announced after
    commit), checking each against its wire schema (CONTRACT "Live push"). It keeps them
    as dicts (name, seq, unit, data), the shape tests compare with the replayed ones."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    def announce(self, messages: list) -> None:
        from dashboard.domain.messages import Outbound, check_message

        for m in messages:
            assert isinstance(m, Outbound)
            check_message(m.name, m.data)
            assert m.seq == m.data["seq"]
        self.messages.extend(m._asdict() for m in messages)


class Clock:
    """A clock the test sets (Services.clock): `clock.now = ...`."""

    def __init__(self, now) -> None:
        self.now = now

    def __call__(self):
        return self.now


def seed_database(url: str, var_dir: Path) -> str:
    """Schema and units in the (empty) database at `url`, as `init-db` makes them; returns `url`."""
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings

    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(var_dir)}))
    return url


def seeded_database(request, kind: str, folder: Path, label: str) -> str:
    """A new seeded database: a SQLite file in `folder`, or (kind "postgresql") one on the test server."""
    if kind == "sqlite":
        return seed_database(f"sqlite:///{folder / f'{label}.db'}", folder)
    return seed_database(request.getfixturevalue("pg_databases").create(label), folder)


def make_services(url: str, var_dir: Path, *, policy: str = ESCALATING_POLICY, now: datetime | None = None,
                  announcer: Any = None):
    """Services on the seeded database at `url`: the policy parsed, a Recorder as announcer
    (unless one is given), the clock at `now` (a Clock the test moves)."""
    from dashboard.domain.policy import parse_policy
    from dashboard.services import Services
    from dashboard.settings import Settings
    from dashboard.store.db import load_tree, make_engine

    settings = Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(var_dir)})
    engine = make_engine(url)
    return Services(settings=settings, engine=engine, tree=load_tree(engine),
                    announcer=Recorder() if announcer is None else announcer, policy=parse_policy(policy),
                    clock=Clock(now))


# --- apps -------------------------------------------------------------------------------------

def add_users(engine, users: Mapping[str, tuple[str, str]], password: str) -> None:
    """Add `{name: (role, unit)}` (what `python -m dashboard users add` does)."""
    from dashboard.actions.users import add_user

    for name, (role, unit) in users.items():
        add_user(engine, name=name, password=password, role=role, unit=unit)


def basic_auth(name: str, password: str) -> dict[str, str]:
    """The Authorization header of HTTP Basic, as the API's clients send it."""
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def event_poster(app) -> Callable[..., Any]:
    """`send(events, expect=202)`: POST /api/v1/events with the ingest token, the answer's JSON."""
    from tests.helpers import AUTH

    client = app.flask.test_client()

    def send(events: list[dict], expect: int = 202) -> Any:
        response = client.post("/api/v1/events", json=events, headers=AUTH)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    return send


# --- a real server for the interface checks (api/, web/) -----------------------------------

ADMIN = ("admin", "correct horse 1")


@pytest.fixture(scope="module")
def api_server(module_live_server, tmp_path_factory):
    """A real server process on a fresh SQLite database with the default units and one
    district admin (HTTP Basic), the test ingest token."""
    from dashboard.bootstrap import init_database
    from dashboard.settings import Settings
    from dashboard.store.db import make_engine
    from dashboard.actions.users import add_user

    folder = tmp_path_factory.mktemp("interface-db")
    url = f"sqlite:///{folder / 'db.sqlite'}"
    init_database(Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(folder)}))
    engine = make_engine(url)
    add_user(engine, name=ADMIN[0], password=ADMIN[1], role="admin", unit="tongliang")
    engine.dispose()
    return module_live_server("interface", database_url=url)


# --- short policy files for real server processes (escalation, console, the sweep worker) ---

def short_policy(*, sweep: str, escalate: str, acknowledge: str, arrive: str) -> str:
    """A policy file's text with these incident deadlines (resolve: 24h), priority 1 the same but
    held by the district from the start."""
    budget = f"acknowledge: {acknowledge}, arrive: {arrive}, resolve: 24h"
    return policy(sweep=sweep, escalate=escalate, ack_timeout="1m", incident=f"{{{budget}}}",
                  priority={1: f"{{{budget}, start_level: district}}"})


@pytest.fixture
def policy_file(tmp_path) -> Callable[..., Path]:
    """`make(sweep="1s", escalate="3s", acknowledge="2s", arrive="1h")` → path of a policy file."""

    def make(*, sweep: str = "1s", escalate: str = "3s", acknowledge: str = "2s", arrive: str = "1h",
             name: str = "policy.yaml") -> Path:
        path = tmp_path / name
        path.write_text(short_policy(sweep=sweep, escalate=escalate, acknowledge=acknowledge, arrive=arrive),
                        encoding="utf-8")
        return path

    return make


# --- a seeded SQLite database with users at three levels (auth/, cli/) -------------------------

AUTH_PASSWORD = "correct horse 1"
AUTH_USERS = {
    "社区值班员": ("duty", COMMUNITY),
    "street-staff": ("staff", STREET),
    "district-admin": ("admin", DISTRICT),
}


def _auth_settings(tmp_dir):
    from dashboard.settings import Settings

    return Settings.from_env({
        "DASHBOARD_DATABASE_URL": f"sqlite:///{tmp_dir / 'db.sqlite'}",
        "DASHBOARD_VAR_DIR": str(tmp_dir),
        "DASHBOARD_INGEST_TOKENS": "t",
        "DASHBOARD_DEMO": "0",
        "DASHBOARD_SCHEDULER": "0",
    })


@pytest.fixture(scope="session")
def _seeded_auth_db(tmp_path_factory):
    """The default hierarchy plus AUTH_USERS, built once (scrypt is slow on purpose); each test gets a copy."""
    from dashboard.actions.users import add_user
    from dashboard.bootstrap import init_database
    from dashboard.store.db import make_engine

    template = tmp_path_factory.mktemp("auth-template")
    settings = _auth_settings(template)
    init_database(settings)
    engine = make_engine(settings.database_url)
    try:
        for name, (role, unit) in AUTH_USERS.items():
            add_user(engine, name=name, password=AUTH_PASSWORD, role=role, unit=unit)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return template / "db.sqlite"


@pytest.fixture
def auth_settings(_seeded_auth_db, tmp_path):
    """Settings of a fresh copy of the seeded database (units and AUTH_USERS), as `init_database` leaves it."""
    shutil.copyfile(_seeded_auth_db, tmp_path / "db.sqlite")
    return _auth_settings(tmp_path)
