"""Attack rows 1–3 of the security probe, against a running server: the read
API, the wall and the live feed answer only within the scope of a credential;
revoking a credential cuts open sockets; logout kills the session cookie."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests
import socketio

from tests.helpers import (COMMUNITY, DISTRICT, GRID, OTHER_GRID, ROOT, SIBLING_COMMUNITY, SIBLING_GRID, STREET,
                           LiveClient, incident, wait_for)
from tests.auth.security_probe import PASSWORD, cookie_header, log_in, post_events, seed

pytestmark = pytest.mark.integration

READS = ["/api/v1/stream?unit={u}&after=0", "/api/v1/incidents?unit={u}&status=all", "/api/v1/alerts?unit={u}&state=all",
         "/api/v1/patrols?unit={u}", "/api/v1/mediations?unit={u}", "/api/v1/walls/{u}", "/api/v1/trends?unit={u}",
         "/api/v1/trends/volume?unit={u}"]


def get(server, path: str, **kw) -> requests.Response:
    return requests.get(server.url + path, timeout=10, **kw)


def connect(server, unit: str, *, screen: str | None = None, cookie: str | None = None,
            basic: tuple[str, str] | None = None) -> LiveClient:
    """A /live client with a screen token and/or a session cookie (raises when refused,
    the reason recorded as a `connect_error` message)."""
    client = LiveClient(server.url, unit)
    for name in ("refused", "connect_error"):
        client.sio.on(name, client._recorder(name), namespace="/live")
    auth = {"unit": unit, **({"screen": screen} if screen else {})}
    headers = {}
    if cookie:  # with the browser's own user agent: sessions are bound to it (Flask-Login "strong")
        headers.update({"Cookie": cookie, "User-Agent": requests.utils.default_user_agent()})
    if basic:
        headers["Authorization"] = requests.auth._basic_auth_str(*basic)
    client.sio.connect(server.url, namespaces=["/live"], auth=auth, transports=["websocket"], wait_timeout=10,
                       headers=headers)
    client.wait(lambda: "hello" in client.names(), 10, "hello")
    return client


def refused(server, unit: str, **kw) -> str:
    """The reason the server gives for refusing this connect (fails when it connects)."""
    reasons: list = []
    original = LiveClient._recorder

    def spy(self, name):
        record = original(self, name)
        return (lambda data=None: (reasons.append(data), record(data))) if name == "connect_error" else record

    LiveClient._recorder = spy
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            connect(server, unit, **kw)
    finally:
        LiveClient._recorder = original
    assert reasons, "refused without a reason"
    data = reasons[-1]
    return data.get("message", "") if isinstance(data, dict) else str(data)


def test_row1_reads_answer_only_within_the_credentials_scope(server, seeded):
    mine = post_events(server, [incident(unit=GRID, title="zhengjie-secret", description="家庭纠纷 details")])
    post_events(server, [incident(unit=SIBLING_GRID, title="jinlong-secret")])
    assert mine["accepted"] == 1
    basic = ("zj-duty", PASSWORD)

    # anonymous, once a screen link exists: nothing
    for path in READS:
        r = get(server, path.format(u=DISTRICT))
        assert r.status_code == 401, (path, r.status_code, r.text[:200])
        assert "secret" not in r.text
    assert refused(server, DISTRICT)
    # public: the hierarchy, the interface description, the probes
    for path in ("/api/v1/units", "/api/v1/openapi.json", "/healthz", "/readyz", "/metrics"):
        assert get(server, path).status_code == 200, path

    # a community user: its own subtree, never a sibling's or the parent's
    for path in READS[:6]:
        assert get(server, path.format(u=COMMUNITY), auth=basic).status_code == 200, path
        for other in (SIBLING_COMMUNITY, STREET, DISTRICT):
            r = get(server, path.format(u=other), auth=basic)
            assert r.status_code == 403, (path, other, r.status_code)
            assert "secret" not in r.text
    own = get(server, "/api/v1/incidents?status=all", auth=basic).json()
    assert own["unit"] == COMMUNITY and [i["title"] for i in own["incidents"]] == ["zhengjie-secret"]

    # a wrong password is refused, never ignored — even next to a valid session
    web = log_in(server, "zj-duty")
    assert web.get(server.url + f"/api/v1/incidents?unit={COMMUNITY}", timeout=10).status_code == 200
    wrong = web.get(server.url + f"/api/v1/incidents?unit={COMMUNITY}", auth=("zj-duty", "wrong password"), timeout=10)
    assert wrong.status_code == 401 and "secret" not in wrong.text

    # a screen link: its unit's subtree; a revoked or made-up one is 401
    assert get(server, f"/api/v1/stream?unit={COMMUNITY}&after=0&screen={seeded.token}").status_code == 200
    assert get(server, f"/api/v1/stream?unit={DISTRICT}&after=0&screen={seeded.token}").status_code == 403
    assert get(server, f"/api/v1/stream?unit={COMMUNITY}&after=0&screen=made-up").status_code == 401
    assert get(server, f"/api/v1/incidents?unit={OTHER_GRID}&screen={seeded.token}").status_code == 403

    # the live feed: the same rule at connect
    assert "another unit" in refused(server, DISTRICT, screen=seeded.token)
    assert "revoked or is unknown" in refused(server, STREET, screen="made-up")
    assert refused(server, SIBLING_COMMUNITY, cookie=cookie_header(web))
    connect(server, COMMUNITY, cookie=cookie_header(web)).disconnect()
    connect(server, COMMUNITY, basic=basic).disconnect()                    # scripts: HTTP Basic on the handshake
    assert refused(server, STREET, basic=basic)
    assert "wrong user name or password" in refused(server, COMMUNITY, basic=("zj-duty", "wrong password"),
                                                    cookie=cookie_header(web))
    connect(server, GRID, screen=seeded.token).disconnect()


def _cli(server, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in server.env.items()}
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_row2_revoking_a_credential_cuts_open_sockets_at_once(module_live_server, tmp_path_factory):
    from dashboard.store.db import make_engine
    from dashboard.actions.users import change_user

    seeded = seed(tmp_path_factory.mktemp("revoke-db"))
    server = module_live_server("revoke", env={"DASHBOARD_LOGIN_FAILURES": "1000/minute"}, database_url=seeded.url)
    wall = connect(server, STREET, screen=seeded.token)
    user = connect(server, COMMUNITY, cookie=cookie_header(log_in(server, "zj-duty")))
    post_events(server, [incident(unit=GRID, title="before revoke")])
    wall.wait(lambda: wall.titles() == ["before revoke"], 10, "the event on the wall")

    started = time.monotonic()
    revoked = _cli(server, "screens", "revoke", str(seeded.token_id))  # another process, as an operator would
    assert revoked.returncode == 0, revoked.stderr
    wait_for(lambda: not wall.sio.connected, 10, "the revoked wall's socket to be cut")
    cut_after = time.monotonic() - started
    assert ("refused" in wall.names()) and wall.received[-1][1]["error"].startswith("This screen link")
    post_events(server, [incident(unit=GRID, title="after revoke")])
    user.wait(lambda: "after revoke" in user.titles(), 10, "the event on the user's socket")
    assert "after revoke" not in wall.titles()
    assert "revoked or is unknown" in refused(server, STREET, screen=seeded.token)

    engine = make_engine(seeded.url)
    try:
        started = time.monotonic()
        change_user(engine, name="zj-duty", active=False, by=("test", "local"))
    finally:
        engine.dispose()
    wait_for(lambda: not user.sio.connected, 10, "the deactivated user's socket to be cut")
    print(f"\nsocket cut after revocation: screen token {cut_after:.2f} s (CLI, incl. its start-up), "
          f"deactivated user {time.monotonic() - started:.2f} s")


def test_row2_a_revoked_socket_cannot_resume_history(module_live_server, tmp_path_factory):
    from datetime import datetime, timezone

    from dashboard.actions.screen_links import revoke
    from dashboard.store.db import make_engine

    seeded = seed(tmp_path_factory.mktemp("resume-db"))
    server = module_live_server("resume", database_url=seeded.url)
    post_events(server, [incident(unit=GRID, title="history")])
    wall = connect(server, STREET, screen=seeded.token)
    engine = make_engine(seeded.url)
    try:
        revoke(engine, token_id=seeded.token_id, now=datetime.now(timezone.utc))
    finally:
        engine.dispose()
    try:
        answer = wall.resume(0)   # before the periodic re-check: the resume itself checks
    except Exception:             # or the socket is already cut
        answer = {"error": "cut"}
    assert "error" in answer and "history" not in wall.titles()
    wait_for(lambda: not wall.sio.connected, 10, "the socket to be cut")


def test_row3_logout_kills_the_session_cookie(server):
    web = log_in(server, "district-admin")
    copied = cookie_header(web)
    assert get(server, "/api/v1/me", headers={"Cookie": copied}).status_code == 200
    csrf = web.cookies.get("_csrf_token")
    r = web.post(server.url + "/logout", headers={"X-CSRFToken": csrf}, data={"csrf_token": csrf},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert get(server, "/api/v1/me", headers={"Cookie": copied}).status_code == 401
    ack = requests.post(server.url + "/api/v1/alerts/1/ack", json={"note": "x"}, timeout=10,
                        headers={"Cookie": copied, "X-CSRFToken": csrf})
    assert ack.status_code == 401
    assert get(server, f"/api/v1/incidents?unit={DISTRICT}", headers={"Cookie": copied}).status_code == 401


def test_closed_from_the_start_with_open_walls_0(app_factory, sqlite_url):
    """DASHBOARD_OPEN_WALLS=0: nothing answers anonymously even before the first screen link."""
    open_app = app_factory(sqlite_url).flask.test_client()
    assert open_app.get(f"/api/v1/incidents?unit={DISTRICT}").status_code == 200
    closed = app_factory(sqlite_url, DASHBOARD_OPEN_WALLS="0").flask.test_client()
    r = closed.get(f"/api/v1/incidents?unit={DISTRICT}")
    assert r.status_code == 401 and "screen link" in r.get_json()["error"]
    assert closed.get("/api/v1/units").status_code == 200
