"""`python -m dashboard users add|list` (password from standard input)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from dashboard.store.db import make_engine
from dashboard.store.users import authenticate
from dashboard.cli.users import users


@pytest.fixture
def env(auth_settings, tmp_path):
    return {"DASHBOARD_DATABASE_URL": auth_settings.database_url, "DASHBOARD_VAR_DIR": str(tmp_path)}


def run(env, args, input=None):
    return CliRunner().invoke(users, args, input=input, env=env)


def test_add_reads_the_password_from_stdin(env, auth_settings):
    r = run(env, ["add", "李四", "--role", "staff", "--unit", "bachuan-zhengjie"], input="pass word 123\nignored\n")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == "user 李四 added (staff, bachuan-zhengjie)"
    engine = make_engine(auth_settings.database_url)
    try:
        assert authenticate(engine, name="李四", password="pass word 123").role == "staff"
    finally:
        engine.dispose()


@pytest.mark.parametrize("args, stdin, message", [
    (["add", "x", "--role", "staff", "--unit", "no-such"], "long enough\n", "unknown unit 'no-such'"),
    (["add", "x", "--role", "staff", "--unit", "bachuan"], "short\n", "password is shorter than 8"),
    (["add", "x", "--role", "staff", "--unit", "bachuan"], "", "no password on standard input"),
])
def test_add_errors_are_one_line_exit_1(env, args, stdin, message):
    r = run(env, args, input=stdin)
    assert r.exit_code == 1 and f"Error: {message}" in r.output
    assert "Traceback" not in r.output


def test_add_twice(env):
    args = ["add", "wang", "--role", "leader", "--unit", "tongliang"]
    assert run(env, args, input="long enough\n").exit_code == 0
    r = run(env, args, input="long enough\n")
    assert r.exit_code == 1 and "already exists" in r.output


def test_bad_role_is_a_usage_error(env):
    r = run(env, ["add", "x", "--role", "king", "--unit", "bachuan"], input="long enough\n")
    assert r.exit_code == 2 and "duty" in r.output


def test_list(env):
    run(env, ["add", "zhao", "--role", "duty", "--unit", "bachuan"], input="long enough\n")
    r = run(env, ["list"])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == sorted(["zhao", "street-staff", "district-admin", "社区值班员"])
    assert "zhao\tduty\tbachuan\tactive\t" in r.output


def test_list_on_an_empty_database(tmp_path):
    empty = {"DASHBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'empty' / 'db.sqlite'}",
             "DASHBOARD_VAR_DIR": str(tmp_path / "empty")}
    r = run(empty, ["list"])
    assert r.exit_code == 0 and "no users" in r.output


def test_help(env):
    assert "--role" in run(env, ["add", "--help"]).output
