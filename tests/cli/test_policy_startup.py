"""A server started with a bad policy file stops at once, saying which file,
which line and which key is wrong, without a traceback (dashboard/domain/
policy.py: "a typo must never leave the centres running on half a policy")."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures import short_policy
from tests.helpers import ROOT, free_port

pytestmark = pytest.mark.integration

GOOD = short_policy(sweep="1s", escalate="3s", acknowledge="2s", arrive="1h")
QUICK_S = 45.0  # ~3 s alone (importing the app); generous for a loaded machine. A server that starts never exits.


@dataclass(frozen=True)
class Case:
    replace: tuple[str, str] | None   # (good text, bad text); None: the file does not exist
    line: int | None                  # the line the message must name
    key: str                          # the key path it must name ("" for YAML syntax errors)
    words: str                        # and what is wrong


def line_of(text: str) -> int:
    return GOOD.splitlines().index(next(line for line in GOOD.splitlines() if text in line)) + 1


# The loader's rules are unit-tested in tests/domain/test_policy.py; here, what a
# person starting the server sees. Each case is a server start (~3 s of imports).
CASES = {
    "misspelt key": Case(("escalate_after: 3s", "escalate_afer: 3s"), line_of("escalate_after"), "escalate_afer",
                         'did you mean "escalate_after"'),
    "nested bad duration": Case(("default: {acknowledge: 2s", "default: {acknowledge: soon"),
                                line_of("default: {acknowledge"), "incident.default.acknowledge", "is not a duration"),
    "not YAML": Case(("surge: {window: 1h, count: 3}", "surge: {window: 1h, count: 3"), None, "", "not valid YAML"),
    "no such file": Case(None, None, "", "cannot read the policy file"),
}
PARALLEL = 2


@dataclass
class Outcome:
    path: Path
    returncode: int
    seconds: float
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Every case started (`python -m dashboard run`), PARALLEL at a time, and waited for."""
    folder = tmp_path_factory.mktemp("bad-policies")
    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip(CASES, pool.map(lambda name: start(folder, name, CASES[name]), CASES)))


def start(folder: Path, name: str, case: Case) -> Outcome:
    """Start a server on the case's policy file and wait for it to give up (or time out)."""
    path = folder / f"{name.replace(' ', '-')}.yaml"
    if case.replace is not None:
        good, bad = case.replace
        assert GOOD.count(good) == 1, good
        path.write_text(GOOD.replace(good, bad), encoding="utf-8")
    var = folder / f"{name.replace(' ', '-')}-var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    env.update({"DASHBOARD_POLICY_FILE": str(path), "DASHBOARD_VAR_DIR": str(var),
                "DASHBOARD_DATABASE_URL": f"sqlite:///{var / 'dashboard.db'}", "DASHBOARD_DEMO": "0",
                "PYTHONUNBUFFERED": "1"})
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "run", "--host", "127.0.0.1",
                             "--port", str(free_port()), "--no-demo"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=QUICK_S + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    return Outcome(path, proc.returncode, time.monotonic() - started, stdout, stderr)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_policy_stops_the_server_with_a_located_message(outcomes, name):
    case, result = CASES[name], outcomes[name]
    output = result.stdout + result.stderr
    print(f"\n{name}: exit {result.returncode} after {result.seconds:.1f}s: {result.stderr.strip()[-300:]}")
    assert "Traceback" not in output, output
    assert result.returncode == 1, output  # click's usage of a ClickException; negative: killed by a signal
    assert result.seconds < QUICK_S, f"took {result.seconds:.1f}s to give up"
    assert "serving on" not in output
    message = result.stderr
    assert str(result.path) in message, message
    if case.line is not None:
        assert f"{result.path} line {case.line}: " in message, message
    elif case.replace is not None:
        assert f"{result.path} line " in message, message
    if case.key:
        assert f": {case.key}: " in message, message
    assert case.words in message, message
