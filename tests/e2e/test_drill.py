"""Drill mode (dashboard.actions.drill): a drill runs on a database of its own, the
database remembers it is a drill, and every wall shows a large 演练 DRILL
marker."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from dashboard.actions.drill import DrillError, ensure_mode, mark
from dashboard.cli.drill import drill
from dashboard.store.instance_mode import DRILL, LIVE, database_mode, is_drill
from dashboard.store.db import create_schema, make_engine
from tests.helpers import COMMUNITY, DISTRICT, STREET
from tests.e2e.walls import open_wall, reported

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(sqlite_url):
    engine = make_engine(sqlite_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def test_first_start_marks_the_database(engine):
    assert database_mode(engine) is None
    assert ensure_mode(engine, drill=False, now=NOW) == LIVE
    assert ensure_mode(engine, drill=False, now=NOW) == LIVE
    with pytest.raises(DrillError, match="holds live data"):
        ensure_mode(engine, drill=True, now=NOW)


def test_a_drill_database_refuses_a_live_server(engine):
    assert ensure_mode(engine, drill=True, now=NOW) == DRILL
    with pytest.raises(DrillError, match="drill database"):
        ensure_mode(engine, drill=False, now=NOW)
    assert is_drill(engine, object())


def test_a_drill_cannot_take_over_a_database_that_holds_events(app):
    engine = app.services.engine
    client = app.flask.test_client()
    from tests.helpers import AUTH
    assert client.post("/api/v1/events", json=reported(COMMUNITY), headers=AUTH).status_code == 202
    with pytest.raises(DrillError, match="already holds events|holds live data"):
        ensure_mode(engine, drill=True, now=NOW)


def test_marking_twice_keeps_the_first(engine):
    assert mark(engine, DRILL, now=NOW) == DRILL
    assert mark(engine, LIVE, now=NOW) == DRILL


def test_cli_prepares_a_drill_database(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'drill.db'}")
    monkeypatch.setenv("DASHBOARD_VAR_DIR", str(tmp_path / "var"))
    runner = CliRunner()
    result = runner.invoke(drill, ["init"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(drill, ["status"]).output.strip() == "drill"


def test_servers_refuse_a_database_of_the_other_mode(monkeypatch, tmp_path):
    """`run` stops before serving, with a message, when instance and database disagree."""
    from dashboard.bootstrap import check_instance_mode, init_database
    from dashboard.cli import main
    from dashboard.settings import Settings

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{tmp_path / 'drill.db'}")
    monkeypatch.setenv("DASHBOARD_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DASHBOARD_DRILL", "1")
    settings = Settings.from_env()
    assert settings.drill
    init_database(settings)
    assert check_instance_mode(settings) == DRILL  # a fresh database takes the drill mark
    monkeypatch.delenv("DASHBOARD_DRILL")
    result = CliRunner().invoke(main, ["run", "--no-demo", "--port", "1"])
    assert result.exit_code == 1
    assert "server not started" in result.output and "drill database" in result.output


@pytest.mark.integration
@pytest.mark.browser
def test_replay_into_a_drill_instance_shows_the_marker_on_every_wall(live_server, sqlite_url, browser, shots,
                                                                      tmp_path):
    """A drill server on a new database marks it; `replay` at 600x speed feeds it; every wall says DRILL."""
    import json
    import subprocess
    import sys

    from tests.helpers import ROOT, TOKEN

    server = live_server("drill", {"DASHBOARD_DRILL": "1"}, database_url=sqlite_url)
    engine = make_engine(sqlite_url)
    assert database_mode(engine) == DRILL
    engine.dispose()
    first, second = reported(COMMUNITY, title="演练事件"), reported(COMMUNITY, priority=1, title="演练 紧急")
    lines = tmp_path / "drill.jsonl"
    lines.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in (first, second)) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "dashboard", "replay", str(lines), "--url", server.url,
                           "--token", TOKEN, "--speed", "600"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, timezone_id="Asia/Shanghai")
    try:
        page = context.new_page()
        for unit in (DISTRICT, STREET, COMMUNITY):
            open_wall(page, server.url, unit)
            marker = page.locator("#wall-drill")
            assert marker.is_visible() and marker.text_content() == "演练 · DRILL"
            assert "wall-drill" in page.locator("#wall-root").get_attribute("class")
            assert page.evaluate("() => parseFloat(getComputedStyle(document.getElementById('wall-drill')).fontSize)") >= 36
        page.screenshot(path=str(shots / "community-drill-1920x1080.png"))
    finally:
        context.close()
