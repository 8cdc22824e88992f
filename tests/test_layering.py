"""Architecture rules that are cheap to check mechanically."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dashboard", "feeds", "layouts", "callbacks")


def _python_files():
    for package in PACKAGES:
        yield from (ROOT / package).rglob("*.py")


def _calls(path: Path, attribute: str) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute]


def test_only_actions_announce():
    """Messages are announced only by the actions layer, after its commit."""
    offenders = [f"{p.relative_to(ROOT)}:{line}" for p in _python_files()
                 if "actions" not in p.parts for line in _calls(p, "announce")]
    assert offenders == []


def test_domain_is_pure():
    """dashboard/domain imports no I/O layer (store, web, sockets, database)."""
    forbidden = ("sqlalchemy", "sqlmodel", "flask", "dash", "socketio", "redis", "requests", "dashboard.store",
                 "dashboard.actions")
    offenders = []
    for path in (ROOT / "dashboard" / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names
                          if any(n == f or n.startswith(f + ".") for f in forbidden)]
    assert offenders == []


# Private names other modules still import, left to their owners; new ones fail the test.
KNOWN_PRIVATE_IMPORTS = {
    "dashboard/api_alerts.py: dashboard.api._unit_arg",
    "dashboard/api_streams.py: dashboard.api._unit_arg",
    "dashboard/store/scorecard_raw.py: dashboard.store.trends_raw._bounds",
    "dashboard/store/scorecard_raw.py: dashboard.store.trends_raw._scope",
    "dashboard/store/scorecard_raw.py: dashboard.store.trends_raw._utc",
    "dashboard/store/trends_raw.py: dashboard.store.trends._order",
    "dashboard/store/trends_raw.py: dashboard.store.trends._with_own",
    "layouts/console.py: layouts.wall._labels",
}


def test_no_module_imports_another_modules_private_name():
    """A leading underscore means "only this module uses it": another module that
    needs the name needs it made public (or moved where both can reach it)."""
    found = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in PACKAGES:
                found |= {f"{path.relative_to(ROOT).as_posix()}: {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")}
    assert sorted(found - KNOWN_PRIVATE_IMPORTS) == []
