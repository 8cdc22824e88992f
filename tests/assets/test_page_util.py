"""The helpers every page's script shares (assets/page_util.js) under Node,
and the load-order rule of layouts/scripts.py: a script takes from `window`
only what a script listed above it put there."""
from __future__ import annotations

import re

from layouts.scripts import DEBUG_SCRIPTS, SCRIPTS
from tests.helpers import ROOT
from tests.node import run_js

OFFSET = 480  # the district's zone, UTC+8


def test_each_script_takes_only_what_a_script_above_it_defines():
    defined: set[str] = {"AudioContext", "webkitAudioContext"}   # the browser's own
    for name in SCRIPTS + DEBUG_SCRIPTS:
        if name.startswith("vendor/"):
            continue
        text = (ROOT / "assets" / name).read_text(encoding="utf-8")
        taken = set(re.findall(r"\bwindow\.([A-Z]\w*)\b(?!\s*=[^=])", text))
        assert taken <= defined, f"{name} takes {sorted(taken - defined)} before any script defines it"
        defined |= set(re.findall(r"\bwindow\.([A-Z]\w*)\s*=[^=]", text))


def test_times_and_durations_as_the_pages_show_them():
    t = "Date.parse('2026-11-27T16:05:09Z')"   # 00:05:09 on the 28th in the district
    got = run_js("page_util.js", f"""var U = window.PageUtil;
        return [U.clockText({t}, {OFFSET}), U.hhmm({t}, {OFFSET}), U.dateText({t}, {OFFSET}),
                U.monthDayTime({t}, {OFFSET}), U.weekday({t}, {OFFSET}),
                new Date(U.dayStart({t}, {OFFSET})).toISOString(),
                U.duration(59000), U.duration(3 * 3600000 + 62000), U.duration(50 * 3600000), U.duration(-5),
                U.percent(1, 3), U.percent(0, 0)];""")
    assert got == ["00:05:09", "00:05", "2026-11-28", "11-28 00:05", 6, "2026-11-27T16:00:00.000Z",
                   "00:59", "3:01:02", "2d 2h", "00:00", "33%", "–"]


def test_a_page_starts_once():
    got = run_js("page_util.js", """
        window.PageUtil.startOnce("demo", "demoPage", function (cfg) { return {cfg: cfg}; });
        var c = window.dash_clientside.demo, none = "skip";
        window.dash_clientside.no_update = none;
        var first = c.start(null), second = c.start({a: 1}), third = c.start({a: 2});
        return [first === none, typeof second, third === none, window.demoPage.cfg.a];""")
    assert got == [True, "number", True, 1]


def names_looked_up(*scripts: str) -> set[str]:
    text = "".join((ROOT / "assets" / name).read_text(encoding="utf-8") for name in scripts)
    return set(re.findall(r'\$\("([a-z_]+)"\)', text))


def test_the_scripts_look_elements_up_by_names_the_layouts_hand_them():
    from layouts import ids, wall_panels

    wall = ids.for_script("WALL", **{f"med_{c}": ids.wall_med_channel(c) for c in wall_panels.CHANNELS})
    used = names_looked_up("wall.js", "wall_panels.js") | {f"med_{c}" for c in wall_panels.CHANNELS}
    assert used - wall.keys() == set()
    assert names_looked_up("console.js") - ids.for_script("CONSOLE").keys() == set()
    # no id is written in a script
    for name in ("wall.js", "wall_panels.js", "wall_map.js", "wall_ticker.js", "wall_banner.js", "console.js", "trends.js"):
        text = (ROOT / "assets" / name).read_text(encoding="utf-8")
        assert not re.search(r'getElementById\("|querySelector(All)?\("#\w', text), name


def test_an_unknown_name_is_an_error_at_once():
    got = run_js("page_util.js", """
        global.document = {getElementById: function (id) { return "node " + id; }};
        var $ = window.PageUtil.lookup({ticker: "wall-ticker"}), error = null;
        try { $("tickr"); } catch (e) { error = e.message; }
        return [$("ticker"), error];""")
    assert got == ["node wall-ticker", "no element id named tickr"]
