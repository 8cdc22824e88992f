"""The simulator's view of the unit tree: where things can happen, and where that is.

Works on anything shaped like `dashboard.domain.hierarchy.UnitSpec` (code, name,
level, parent), so tests can hand in a few hand-made units.
"""
from __future__ import annotations

import random
import zlib
from collections.abc import Mapping, Sequence
from typing import Protocol

# Centre of the reference district (Tongliang), used when no map points are given.
CENTRE = (29.84, 106.05)
# Half-width, in degrees, of the box a unit's point is scattered in around its parent's.
SPREAD = {"street": 0.03, "town": 0.15, "community": 0.008, "grid": 0.002}
NEARBY = 0.0008  # about 80 m: how far a position report strays from its unit's point


class UnitLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def parent(self) -> str | None: ...


class World:
    """Units grouped the way the simulator picks them, plus a fixed point per unit."""

    def __init__(self, units: Sequence[UnitLike],
                 points: Mapping[str, tuple[float, float]] | None = None) -> None:
        self.by_code: dict[str, UnitLike] = {u.code: u for u in units}
        parents = {u.parent for u in units if u.parent is not None}
        self.grids = [u for u in units if u.level == "grid"]
        self.communities = [u for u in units if u.level == "community"]
        # A town is a street-level unit with nothing under it.
        self.towns = [u for u in units if u.level == "street" and u.code not in parents]
        self.grids_of: dict[str, list[UnitLike]] = {}
        for grid in self.grids:
            if grid.parent in self.by_code:
                self.grids_of.setdefault(grid.parent, []).append(grid)
        self.patrol_areas = [c for c in self.communities if c.code in self.grids_of]
        if not (self.grids or self.communities or self.towns):
            raise ValueError("the simulator needs at least one grid, community or town")
        self._points: dict[str, tuple[float, float]] = dict(points or {})

    def units_at(self, level: str) -> list[UnitLike]:
        return {"grid": self.grids, "community": self.communities, "town": self.towns}[level]

    def place(self, rng: random.Random, level_weights: Mapping[str, float]) -> UnitLike:
        """A unit drawn from the levels given, skipping levels this tree lacks."""
        levels = [lv for lv in level_weights if self.units_at(lv)]
        level = rng.choices(levels, weights=[level_weights[lv] for lv in levels])[0]
        return rng.choice(self.units_at(level))

    def ancestor(self, code: str, level: str) -> UnitLike | None:
        unit = self.by_code.get(code)
        while unit is not None and unit.level != level:
            unit = self.by_code.get(unit.parent) if unit.parent else None
        return unit

    def point(self, code: str) -> tuple[float, float]:
        """A fixed point for the unit: given, or scattered (by code hash) around its parent's."""
        if code not in self._points:
            unit = self.by_code.get(code)
            base = self.point(unit.parent) if unit and unit.parent in self.by_code else CENTRE
            level = "town" if unit in self.towns else (unit.level if unit else "grid")
            spread = SPREAD.get(level, 0.0)
            h = zlib.crc32(code.encode())  # stable across runs, unlike hash()
            dx, dy = (h & 0xFFFF) / 0xFFFF - 0.5, (h >> 16) / 0xFFFF - 0.5
            self._points[code] = (base[0] + 2 * spread * dy, base[1] + 2 * spread * dx)
        return self._points[code]

    def near(self, rng: random.Random, code: str) -> dict[str, float]:
        lat, lon = self.point(code)
        return {"lat": round(lat + rng.uniform(-NEARBY, NEARBY), 6),
                "lon": round(lon + rng.uniform(-NEARBY, NEARBY), 6)}
