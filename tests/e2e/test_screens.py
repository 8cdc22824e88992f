"""Screen links (dashboard.actions.screen_links): while no token was ever issued walls are
open; once one exists, a wall, its snapshot and its live feed need a valid
token of the wall's unit or an ancestor, or a logged-in user of that unit or
above. Revoked tokens stop working. The CLI issues, lists and revokes them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from dashboard.actions.screen_links import ScreenError, issue, revoke
from dashboard.auth.access import AccessRefused, check_unit, credential_of
from dashboard.auth.sessions import CurrentUser
from dashboard.cli.screens import screens
from dashboard.store.screen_links import hash_token, list_tokens, required
from tests.helpers import COMMUNITY, DISTRICT, GRID, OTHER_GRID, OTHER_STREET, STREET, LiveClient
from tests.e2e.walls import open_wall

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def svc(app):
    app.services.clock = lambda: NOW
    return app.services


def wall_access(svc, *, unit: str, token: str | None, user_unit: str | None) -> tuple[int, str]:
    """(0, "") when the wall of `unit` opens for this token and user, else (status, reason)."""
    user = CurrentUser(id=1, name="u", role="duty", unit=user_unit) if user_unit else None
    try:
        check_unit(svc, credential_of(svc, user=user, screen=token), unit)
    except AccessRefused as exc:
        return exc.status, exc.reason
    return 0, ""


def test_walls_are_open_until_a_token_exists(svc):
    assert not required(svc.engine)
    assert wall_access(svc, unit=DISTRICT, token=None, user_unit=None) == (0, "")
    row, token = issue(svc.engine, unit=STREET, label="巴川 值班大厅", now=NOW)
    assert required(svc.engine)
    assert row.token_hash == hash_token(token) and token not in repr(list_tokens(svc.engine))


def test_a_token_opens_its_unit_and_below_only(svc):
    _, token = issue(svc.engine, unit=STREET, label="", now=NOW)
    access = lambda unit, token=token, user=None: wall_access(svc, unit=unit, token=token,  # noqa: E731
                                                             user_unit=user)
    assert access(STREET) == access(COMMUNITY) == access(GRID) == (0, "")
    assert access(DISTRICT) == (403, "This screen link is for another unit.")
    assert access(OTHER_STREET)[0] == 403
    assert access(STREET, token=None) == (401, "This wall needs a screen link (ask for one) or a login.")
    assert access(STREET, token="guess") == (401, "This screen link has been revoked or is unknown.")
    # a logged-in user of the unit or above needs no token
    assert access(COMMUNITY, token=None, user=STREET) == access(STREET, token=None, user=DISTRICT) == (0, "")
    assert access(STREET, token=None, user=COMMUNITY)[0] == 403
    used = list_tokens(svc.engine)[0].last_used_at
    assert used is not None and used.replace(tzinfo=timezone.utc) == NOW


def test_revoked_tokens_stop_working_and_walls_stay_closed(svc):
    row, token = issue(svc.engine, unit=STREET, label="", now=NOW)
    revoke(svc.engine, token_id=row.id, now=NOW)
    assert wall_access(svc, unit=STREET, token=token, user_unit=None)[0] == 401
    assert required(svc.engine), "revoking the last token must not open every wall"
    with pytest.raises(ScreenError, match="already revoked"):
        revoke(svc.engine, token_id=row.id, now=NOW)
    with pytest.raises(ScreenError, match="unknown unit"):
        issue(svc.engine, unit="nowhere", label="", now=NOW)


def test_snapshot_and_access_endpoints_follow_the_token(app, client):
    svc = app.services
    assert client.get(f"/api/v1/walls/{STREET}").status_code == 200
    row, token = issue(svc.engine, unit=STREET, label="", now=NOW)
    r = client.get(f"/api/v1/walls/{STREET}")
    assert r.status_code == 401 and "screen link" in r.get_json()["error"]
    assert client.get(f"/api/v1/walls/{STREET}?screen={token}").status_code == 200
    assert client.get(f"/api/v1/walls/{COMMUNITY}/access?screen={token}").get_json() == {"ok": True}
    assert client.get(f"/api/v1/walls/{DISTRICT}/access?screen={token}").status_code == 403
    revoke(svc.engine, token_id=row.id, now=NOW)
    assert client.get(f"/api/v1/walls/{STREET}/access?screen={token}").status_code == 401


def test_cli_adds_lists_and_revokes(monkeypatch, sqlite_url, tmp_path):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DASHBOARD_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    assert "no screen tokens" in runner.invoke(screens, ["list"]).output
    added = runner.invoke(screens, ["add", "--unit", STREET, "--label", "左屏", "--base-url", "http://wall.local:8050/"])
    assert added.exit_code == 0, added.output
    link = added.output.splitlines()[-1]
    assert link.startswith(f"http://wall.local:8050/wall/{STREET}?screen=") and len(link.split("=")[1]) >= 32
    listed = runner.invoke(screens, ["list"]).output
    assert f"1\t{STREET}\t左屏" in listed and "never\tactive" in listed
    assert runner.invoke(screens, ["revoke", "1"]).exit_code == 0
    assert "revoked" in runner.invoke(screens, ["list"]).output
    again = runner.invoke(screens, ["revoke", "1"])
    assert again.exit_code == 1 and "already revoked" in again.output
    assert runner.invoke(screens, ["add", "--unit", "nowhere"]).exit_code == 1


@pytest.mark.integration
@pytest.mark.browser
def test_a_screen_link_opens_the_wall_in_the_browser(live_server, sqlite_url, page):
    from dashboard.store.db import create_schema, make_engine

    engine = make_engine(sqlite_url)
    create_schema(engine)
    _, token = issue(engine, unit=STREET, label="", now=NOW)
    engine.dispose()
    server = live_server("screens", database_url=sqlite_url)
    page.goto(f"{server.url}/wall/{STREET}")
    page.locator(".wall-missing").wait_for(state="visible")
    assert "链接" in page.locator(".wall-missing").text_content()
    open_wall(page, server.url, STREET, f"?screen={token}")
    assert page.locator("#wall-refused").is_hidden()
    # the live feed asks too: no token, no socket
    with pytest.raises(Exception):
        LiveClient(server.url, STREET).connect(timeout=5)
    client = LiveClient(server.url, STREET)
    client.sio.connect(server.url, namespaces=["/live"], auth={"unit": STREET, "screen": token},
                       transports=["websocket"], wait_timeout=10)
    client.wait(lambda: client.names().count("hello") >= 1, 10, "hello")
    client.disconnect()
    with pytest.raises(Exception):
        LiveClient(server.url, OTHER_GRID).connect(timeout=5)
