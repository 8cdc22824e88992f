"""Settings from the environment: a database the store cannot serve stops start-up with a message."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.settings import ConfigError, Settings


def test_only_sqlite_and_postgresql_urls(tmp_path):
    for url in ("sqlite:///x.db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"):
        assert Settings.from_env({"DASHBOARD_DATABASE_URL": url, "DASHBOARD_VAR_DIR": str(tmp_path)}).database_url == url
    with pytest.raises(ConfigError, match="DASHBOARD_DATABASE_URL=mysql://"):
        Settings.from_env({"DASHBOARD_DATABASE_URL": "mysql://root:secret@h/db", "DASHBOARD_VAR_DIR": str(tmp_path)})


def test_cli_says_what_is_wrong_without_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", "mysql://root:secret@h/db")
    monkeypatch.setenv("DASHBOARD_VAR_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["init-db"])
    assert result.exit_code == 1
    assert "DASHBOARD_DATABASE_URL" in result.output and "secret" not in result.output
