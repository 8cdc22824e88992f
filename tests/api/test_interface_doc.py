"""docs/INTERFACE.md kept in step with the code: the documented environment
variables, CLI commands, Socket.IO messages and auth fields against the
code's own lists (settings, the click command tree, what /live handles and
emits). A name added to the code without a line in the docs fails here."""
from __future__ import annotations

import ast
import re

import click

from dashboard.cli import main
from dashboard.domain.messages import SCHEMAS
from dashboard.realtime.live import LiveNamespace
from dashboard.realtime.redis_manager import GAP_EVENT
from tests.helpers import ROOT

DOC = (ROOT / "docs" / "INTERFACE.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = DOC.index(f"\n## {title}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end > 0 else None]


def _first_column(text: str, after: str) -> set[str]:
    """The backticked names in the first column of the table that follows `after`."""
    table = text[text.index(after):]
    rows = []
    for line in table.splitlines():
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    return {name for row in rows[2:] for name in re.findall(r"`([^`]+)`", row.split("|")[1])}


def _literals(path, pattern: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and re.fullmatch(pattern, n.value)}


def _command_envvars(group: click.Group) -> set[str]:
    """The environment variables CLI options read (click's envvar=)."""
    found = set()
    for command in group.commands.values():
        if isinstance(command, click.Group):
            found |= _command_envvars(command)
        for param in command.params:
            envvars = param.envvar if isinstance(param.envvar, (list, tuple)) else [param.envvar]
            found |= {e for e in envvars if e}
    return found


def test_every_setting_is_documented():
    in_code = _literals(ROOT / "dashboard" / "settings.py", r"DASHBOARD_[A-Z_]+") | _command_envvars(main)
    documented = _first_column(_section("Configuration"), "| variable |")
    assert in_code - documented == set(), "settings read but not in docs/INTERFACE.md"
    assert documented - in_code == set(), "documented but read nowhere"


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    found = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= _commands(command, f"{prefix}{name} ")
        else:
            found.add(f"{prefix}{name}")
    return found


def test_every_cli_command_is_documented():
    documented = set(re.findall(r"`python -m dashboard ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", _section("Command line")))
    assert documented == _commands(main)


def _emitted_names() -> set[str]:
    names = set(SCHEMAS) | {GAP_EVENT}  # event, alert: the stored messages; gap: from the Redis manager
    for module in ("live.py", "announcer.py"):
        tree = ast.parse((ROOT / "dashboard" / "realtime" / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "emit" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                names.add(node.args[0].value)
    return names


def test_every_socket_message_is_documented():
    live = _section("Live push: Socket.IO")
    assert _first_column(live, "Messages from the server") == _emitted_names()
    handled = {name[3:] for name in vars(LiveNamespace) if name.startswith("on_")} - {"connect", "disconnect"}
    assert _first_column(live, "Messages from the client") == handled
    assert "namespace **`/live`**" in live.lower() or "Namespace **`/live`**" in live


def test_every_auth_field_is_documented():
    tree = ast.parse((ROOT / "dashboard" / "realtime" / "live.py").read_text(encoding="utf-8"))
    read = {n.args[0].value for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "get" and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "auth" and n.args and isinstance(n.args[0], ast.Constant)}
    assert read and _first_column(_section("Live push: Socket.IO"), "| auth field |") == read


def test_readme_points_here():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/INTERFACE.md" in readme and "CONTRACT" not in readme
