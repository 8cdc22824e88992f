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
