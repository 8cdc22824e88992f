"""`python -m dashboard users ...` (CONTRACT "Command line"): add and list the
people who log in. Kept apart from dashboard.auth so the CLI does not load
Flask-Login, Flask-WTF or Dash to add a user."""
from __future__ import annotations

import sys

import click

from dashboard.cli.support import echo_rows, run_action
from dashboard.store.users import ROLES


def _read_password() -> str:
    """From a terminal: asked twice, not echoed. Otherwise the first line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = click.get_text_stream("stdin").readline()
    password = line.rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input (the first line is the password)")
    return password


@click.group("users")
def users() -> None:
    """Add and list the users who log in (staff console, leaders' panels, API scripts)."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user does.")
@click.option("--unit", required=True, metavar="CODE", help="Code of the user's unit (see GET /api/v1/units).")
def add(name: str, role: str, unit: str) -> None:
    """Add user NAME; the password is read from standard input (at least 8 characters)."""
    from dashboard.actions.users import UserError, add_user

    password = _read_password()
    user = run_action(add_user, UserError, name=name, password=password, role=role, unit=unit)
    click.echo(f"user {user.name} added ({user.role}, {user.unit})")


@users.command("change")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), help="The user's new role.")
@click.option("--unit", metavar="CODE", help="The user's new unit.")
@click.option("--deactivate/--activate", "deactivate", default=None, help="Shut the user out, or let them back in.")
def change(name: str, role: str | None, unit: str | None, deactivate: bool | None) -> None:
    """Change user NAME's role or unit, or deactivate them (written to the audit trail)."""
    from dashboard.actions.users import UserError, change_user

    user = run_action(change_user, UserError, name=name, role=role, unit=unit,
                      active=None if deactivate is None else not deactivate)
    click.echo(f"user {user.name} changed ({user.role}, {user.unit}, {'active' if user.active else 'inactive'})")


@users.command("list")
def list_() -> None:
    """List the users: name, role, unit, active, created."""
    from dashboard.store.users import list_users

    def line(u) -> str:
        state = "active" if u.active else "inactive"
        return f"{u.name}\t{u.role}\t{u.unit}\t{state}\t{u.created_at.isoformat(timespec='seconds')}"

    echo_rows(list_users, line, empty="no users; add one with: python -m dashboard users add NAME --role ROLE --unit CODE")
