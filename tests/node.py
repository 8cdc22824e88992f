"""Browser modules (assets/*.js) run under Node, for the tests of their pure
parts. Node is required: without it these tests fail, they are not skipped
(a missing Node would otherwise hide every JS test from a green run)."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from layouts.scripts import SCRIPTS
from tests.helpers import ROOT

NODE = shutil.which("node") or shutil.which("nodejs")


def run_js(last: str, script: str, prelude: str = "") -> object:
    """Load the page's own scripts in page order up to `last` (a name in layouts/scripts.py) on a
    bare `window`, run `prelude` and then `script`, the body of a function whose JSON-able result
    is returned. Loading the real order also checks that each module finds what it takes at load."""
    if NODE is None:
        pytest.fail("Node.js is required for the tests of assets/*.js: install Debian's nodejs "
                    "(`make test` installs npm, which brings it)", pytrace=False)
    own = [name for name in SCRIPTS if not name.startswith("vendor/")]
    code = ("global.window = {};\n" + "".join((ROOT / "assets" / name).read_text(encoding="utf-8") + "\n"
                                             for name in own[:own.index(last) + 1])
            + prelude + f"\nprocess.stdout.write(JSON.stringify((function () {{ {script} }})()));")
    done = subprocess.run([NODE, "-e", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
