"""Every file path and `dashboard.x.y` module the guides name exists, so a
newcomer following them never lands on a file that moved."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ("README.md", "docs/ARCHITECTURE.md", "docs/INTERFACE.md", "docs/DEPLOYMENT.md")
TOP_DIRS = ("dashboard/", "layouts/", "callbacks/", "assets/", "feeds/", "bench/", "tests/", "deploy/", "docs/")
SUFFIXES = (".py", ".js", ".css", ".md", ".yaml", ".po", ".geojson")
# Made at run time, not part of the tree.
RUNTIME = ("var/", "out/", "venv/", "dashboard.db")


def named_paths(text: str) -> set[str]:
    """Paths in backticks, bare paths with a directory, bare file names, dotted dashboard modules."""
    found = set()
    for quoted in re.findall(r"`([^`\n]+)`", text):
        found |= {tok.strip(".:;") for tok in re.split(r"[\s,()]+", quoted)
                  if tok.strip(".:;").startswith(TOP_DIRS) or tok.strip(".:;").endswith(SUFFIXES)}
    found |= set(re.findall(r"(?<![\w/])([a-z_]+/[\w/*.-]+\.(?:py|js|css|md|yaml|po|geojson))", text))
    found |= set(re.findall(r"(?<![\w/.*-])([\w*]+\.(?:py|js|css|yaml))\b", text))
    found |= set(re.findall(r"\bdashboard(?:\.[a-z_]+)+", text))
    return {p for p in found if not p.startswith(RUNTIME) and not p.startswith("/") and "://" not in p}


def exists(name: str) -> bool:
    if "/" not in name and name.startswith("dashboard."):
        parts = name.split(".")  # a module, maybe followed by one of its names
        return any((ROOT.joinpath(*parts[:i]).with_suffix(".py")).exists()
                   or ROOT.joinpath(*parts[:i], "__init__.py").exists() for i in range(len(parts), 1, -1))
    return any(ROOT.glob(re.sub(r"<[^>]+>", "*", name)))  # `dashboard/cli/<group>.py`, `assets/wall*.js`


def test_named_paths_are_found():
    assert named_paths("see `dashboard/api/routes.py` and live.py (`dashboard.realtime.live`), not `/api/v1`") == {
        "dashboard/api/routes.py", "live.py", "dashboard.realtime.live"}


@pytest.mark.parametrize("guide", GUIDES)
def test_every_named_path_exists(guide):
    missing = sorted(p for p in named_paths((ROOT / guide).read_text()) if not exists(p))
    assert missing == []
