"""`screens add` prints the link on DASHBOARD_PUBLIC_URL, else the configured host and port."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from dashboard.cli.screens import screens
from dashboard.settings import ConfigError, Settings


@pytest.mark.parametrize("env, base", [
    ({"DASHBOARD_PUBLIC_URL": "https://zhihui.tongliang.example/"}, "https://zhihui.tongliang.example"),
    ({"DASHBOARD_HOST": "10.2.3.4", "DASHBOARD_PORT": "9000"}, "http://10.2.3.4:9000"),
    ({"DASHBOARD_HOST": "0.0.0.0", "DASHBOARD_PORT": "8443"}, "http://127.0.0.1:8443"),
    ({}, "http://127.0.0.1:8050"),
])
def test_screen_link_base(monkeypatch, sqlite_url, tmp_path, env, base):
    for name in ("DASHBOARD_PUBLIC_URL", "DASHBOARD_HOST", "DASHBOARD_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DASHBOARD_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    added = CliRunner().invoke(screens, ["add", "--unit", "bachuan"])
    assert added.exit_code == 0, added.output
    assert added.output.splitlines()[-1].startswith(f"{base}/wall/bachuan?screen=")


def test_public_url_must_be_a_url(tmp_path):
    with pytest.raises(ConfigError, match="DASHBOARD_PUBLIC_URL"):
        Settings.from_env({"DASHBOARD_PUBLIC_URL": "zhihui.example", "DASHBOARD_VAR_DIR": str(tmp_path)})
