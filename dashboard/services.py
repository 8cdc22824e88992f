"""The bundle of long-lived collaborators the actions need, built once at the
composition root (app factory, CLI, scheduler process) and passed in."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Protocol

from flask import current_app
from sqlalchemy.engine import Engine

from dashboard.domain.departments import DepartmentSpec, default_departments
from dashboard.domain.messages import Outbound
from dashboard.domain.policy import Policy, default_policy
from dashboard.domain.unit_tree import UnitTree
from dashboard.settings import Settings


EXTENSION = "dashboard"  # where the web app keeps its Services: flask_app.extensions[EXTENSION]


class Announcer(Protocol):
    """Delivers committed messages to live clients (dashboard.realtime.announcer)."""

    def announce(self, messages: list[Outbound]) -> None: ...


class NullAnnouncer:
    """For processes with nobody to tell (init-db, tests of pure storage)."""

    def announce(self, messages: list[Outbound]) -> None:
        return None


class RollupWaker(Protocol):
    """Told when a transaction stored trend facts to apply (dashboard.actions.rollups.RollupWriter)."""

    def wake(self) -> None: ...


class NoRollupWriter:
    """For processes that leave pending trend facts to the readers (which apply them first)."""

    def wake(self) -> None:
        return None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    tree: UnitTree
    announcer: Announcer = field(default_factory=NullAnnouncer)
    policy: Policy = field(default_factory=default_policy)
    clock: Callable[[], datetime] = utcnow
    rollup_writer: RollupWaker = field(default_factory=NoRollupWriter)
    # code -> department (the `department` table; the defaults where nothing loaded it)
    departments: dict[str, DepartmentSpec] = field(
        default_factory=lambda: {d.code: d for d in default_departments()})


def current_services() -> Services:
    """The Services of the web app handling this request or Dash callback."""
    return current_app.extensions[EXTENSION]
