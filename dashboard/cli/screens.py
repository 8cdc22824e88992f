"""`python -m dashboard screens ...`: issue, list and revoke the display
tokens of wall screens (see dashboard.actions.screen_links). The first token issued
switches the deployment to "walls need a screen link or a login"."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from dashboard.cli.support import cli_settings, echo_rows, run_action


def _now() -> datetime:
    return datetime.now(timezone.utc)


@click.group("screens")
def screens() -> None:
    """Screen links: tokens that open a unit's walls on a big screen without a login."""


@screens.command("add")
@click.option("--unit", required=True, metavar="CODE", help="The unit whose walls (and those below) the link opens.")
@click.option("--label", default="", help="Where the screen hangs, e.g. '巴川街道 值班大厅 左屏'.")
@click.option("--base-url", default=None,
              help="How screens reach the server (default: DASHBOARD_PUBLIC_URL, else DASHBOARD_HOST and DASHBOARD_PORT).")
def add(unit: str, label: str, base_url: str | None) -> None:
    """Issue a token and print the wall link that carries it (shown once)."""
    from dashboard.actions.screen_links import ScreenError, issue

    base_url = base_url or cli_settings().base_url
    row, token = run_action(issue, ScreenError, unit=unit, label=label, now=_now())
    click.echo(f"screen token {row.id} added for {row.unit}")
    click.echo(f"{base_url.rstrip('/')}/wall/{row.unit}?screen={token}")


@screens.command("list")
def list_() -> None:
    """List the tokens: id, unit, label, created, last used, state."""
    from dashboard.store.screen_links import list_tokens

    def line(r) -> str:
        used = r.last_used_at.isoformat(timespec="seconds") if r.last_used_at else "never"
        state = f"revoked {r.revoked_at.isoformat(timespec='seconds')}" if r.revoked_at else "active"
        return f"{r.id}\t{r.unit}\t{r.label or '-'}\t{r.created_at.isoformat(timespec='seconds')}\t{used}\t{state}"

    echo_rows(list_tokens, line, empty="no screen tokens: walls open without a link; add one with: "
                                       "python -m dashboard screens add --unit CODE")


@screens.command("revoke")
@click.argument("token_id", type=int)
def revoke_(token_id: int) -> None:
    """Revoke token TOKEN_ID: screens using it lose the wall at their next check."""
    from dashboard.actions.screen_links import ScreenError, revoke

    row = run_action(revoke, ScreenError, token_id=token_id, now=_now())
    click.echo(f"screen token {row.id} ({row.unit}) revoked")
