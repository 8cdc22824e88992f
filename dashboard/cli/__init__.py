"""The command line (CONTRACT "Command line"): `python -m dashboard <command>`.

| module | commands |
| --- | --- |
| `run.py` | run |
| `db.py` | init-db, migrate, rebuild-rollups |
| `feeds.py` | simulate, replay |
| `users.py` | users add / list / change |
| `screens.py` | screens add / list / revoke |
| `drill.py` | drill init / status |
| `consume.py` | consume |
| `worker.py` | worker |
| `support.py` | what they share: settings, engine, running an action, listing rows, policy, background services |

Each command imports what it needs when it runs, so `--help` and the small
commands stay fast and never load Dash.
"""
from __future__ import annotations

import logging

import click

# The modules, not their commands: a command named like its module would hide the module.
from dashboard.cli import consume, db, drill, feeds, run, screens, users, worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Social-governance command-centre dashboard."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per sweep tick is noise
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


for command in (db.init_db, db.migrate_command, db.rebuild_rollups_command, run.run, feeds.simulate, feeds.replay,
                users.users, screens.screens, drill.drill, consume.consume, worker.worker):
    main.add_command(command)
