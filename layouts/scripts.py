"""The browser scripts of the pages, in the order they load: the one place
that says it.

Dash would load assets/*.js by itself, in file-name order, so a module could
only look its helpers up late. dashboard/app.py has Dash ignore them
(ASSETS_IGNORE) and hands it `script_tags()` instead: this list, served
locally from /assets/ like any asset (nothing from outside hosts). Each module
takes what it needs from the modules above it when it loads
(`var U = window.PageUtil;`); a new module goes below what it uses. Every
page loads every script (Dash Pages moves between pages without a reload).

DEBUG_SCRIPTS (counters and message hooks for the browser tests and
bench/pixel.py, bench/soak.py) load only with DASHBOARD_DEBUG_HOOKS=1, and
/assets/debug/ answers 404 otherwise.
"""
from __future__ import annotations

from pathlib import Path

ASSETS_IGNORE = r"\.js$"          # Dash's own asset loading: CSS only
DEBUG_PATH = "/assets/debug/"     # answers 404 unless DASHBOARD_DEBUG_HOOKS=1

SCRIPTS = (
    "vendor/socket.io.min.js",    # `io` (make assets copies it from node_modules)
    "page_util.js",               # DOM text, district time, the badge, a page's clientside start
    "live.js",                    # LiveFeed: the walls, the console and /trends
    "wall_model.js",
    "wall_frame.js",
    "wall_banner.js",             # also the alerts' wording, which the ticker and the lists use
    "wall_ticker.js",
    "wall_panels.js",
    "wall_map.js",
    "wall.js",
    "console.js",
    "trends.js",
    "case.js",
)
DEBUG_SCRIPTS = (
    "debug/wall_hooks.js",        # window.wallHooks, wall.takeStats()
)


def script_tags(assets: Path, *, debug: bool = False) -> list[dict[str, str]]:
    """Dash `external_scripts`, in load order; `?m=` changes with the file (a browser never keeps
    an old copy after an upgrade, as with Dash's own assets)."""
    tags = []
    for name in SCRIPTS + (DEBUG_SCRIPTS if debug else ()):
        path = assets / name
        stamp = f"?m={int(path.stat().st_mtime)}" if path.exists() else ""
        tags.append({"src": f"/assets/{name}{stamp}"})
    return tags
