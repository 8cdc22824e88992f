"""A schematic (not geographic) map of the unit tree, as GeoJSON.

Centres run offline, so the wall cannot fetch real boundaries or map tiles.
Instead every unit gets a convex cell: the district outline is split into 28
Voronoi cells (urban streets held in a ring at the centre, towns relaxed
around them), and each cell is split again for its children, so siblings
never overlap and tile their parent exactly.  Everything is seeded from the
unit codes, so the output is the same on every run.

Usage: ``python -m dashboard.domain.geometry OUT.geojson``
"""

from __future__ import annotations

import json
import math
import random
import sys
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dashboard.domain.hierarchy import UnitSpec, default_units

Point = tuple[float, float]
Ring = list[Point]

# Work in a plane where one unit is one degree of latitude, so cells look
# round rather than stretched east-west on a map.
LON0, LAT0 = 106.0, 29.85
KX = math.cos(math.radians(LAT0))

# A rough convex 12-gon standing in for the district boundary (lon, lat).
DISTRICT_OUTLINE: tuple[Point, ...] = (
    (105.830, 29.800), (105.860, 29.900), (105.920, 29.965),
    (106.000, 29.990), (106.080, 29.975), (106.150, 29.930),
    (106.185, 29.860), (106.170, 29.780), (106.120, 29.725),
    (106.030, 29.705), (105.940, 29.715), (105.865, 29.745),
)

URBAN_RING_RADIUS = 0.035  # plane units (≈ degrees of latitude)
RELAX_ROUNDS = 25
EPS = 1e-12


def _to_plane(lon: float, lat: float) -> Point:
    return ((lon - LON0) * KX, lat - LAT0)


def _to_lonlat(p: Point) -> Point:
    return (round(p[0] / KX + LON0, 6), round(p[1] + LAT0, 6))


def signed_area(ring: Sequence[Point]) -> float:
    """Shoelace area; positive when the ring runs counter-clockwise."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]]):
        total += x1 * y2 - x2 * y1
    return total / 2.0


def centroid(ring: Sequence[Point]) -> Point:
    """Area centroid of a simple polygon (open or closed ring)."""
    area = signed_area(ring)
    if abs(area) < EPS:  # degenerate: fall back to the vertex mean
        n = len(ring)
        return (sum(p[0] for p in ring) / n, sum(p[1] for p in ring) / n)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]]):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return (cx / (6.0 * area), cy / (6.0 * area))


def point_in_polygon(point: Sequence[float], ring: Sequence[Sequence[float]]) -> bool:
    """Even-odd ray casting; works for open or closed rings, any winding."""
    x, y = point[0], point[1]
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if (y1 > y) != (y2 > y):
            if x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _clip(ring: Ring, a: float, b: float, c: float) -> Ring:
    """Keep the part of a convex ring where a*x + b*y <= c (Sutherland-Hodgman)."""
    out: Ring = []
    n = len(ring)
    for i in range(n):
        p, q = ring[i], ring[(i + 1) % n]
        fp = a * p[0] + b * p[1] - c
        fq = a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return _dedupe(out)


def _dedupe(ring: Ring) -> Ring:
    out: Ring = []
    for p in ring:
        if not out or math.dist(p, out[-1]) > 1e-10:
            out.append(p)
    if len(out) > 1 and math.dist(out[0], out[-1]) <= 1e-10:
        out.pop()
    return out


def voronoi_cells(region: Ring, seeds: Sequence[Point]) -> list[Ring]:
    """Voronoi cell of each seed, clipped to a convex region."""
    cells: list[Ring] = []
    for i, (sx, sy) in enumerate(seeds):
        cell = list(region)
        for j, (tx, ty) in enumerate(seeds):
            if i == j:
                continue
            # Points closer to s than to t: (t - s) . p <= (|t|^2 - |s|^2) / 2
            a, b = tx - sx, ty - sy
            c = (tx * tx + ty * ty - sx * sx - sy * sy) / 2.0
            cell = _clip(cell, a, b, c)
        cells.append(cell)
    return cells


def _relax(region: Ring, seeds: list[Point], fixed: int = 0) -> list[Ring]:
    """Lloyd relaxation: even cell sizes; the first `fixed` seeds stay put."""
    for _ in range(RELAX_ROUNDS):
        cells = voronoi_cells(region, seeds)
        seeds = seeds[:fixed] + [centroid(c) for c in cells[fixed:]]
    return voronoi_cells(region, seeds)


def _sample(region: Ring, n: int, rng: random.Random) -> list[Point]:
    """n random points inside the region (rejection sampling in its box)."""
    xs, ys = [p[0] for p in region], [p[1] for p in region]
    points: list[Point] = []
    while len(points) < n:
        p = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)))
        if point_in_polygon(p, region):
            points.append(p)
    # Sort west-to-east, north-to-south so child 1 tends to sit top-left.
    return sorted(points, key=lambda p: (round(-p[1], 2), p[0]))


def split(region: Ring, n: int, key: str) -> list[Ring]:
    """Split a convex region into n convex cells, deterministic per key."""
    if n == 1:
        return [list(region)]
    rng = random.Random(zlib.crc32(key.encode("utf-8")))
    return _relax(region, _sample(region, n, rng))


def split_district(region: Ring, n_urban: int, n_towns: int) -> list[Ring]:
    """Urban streets as wedges round the centre, towns relaxed around them."""
    cx, cy = centroid(region)
    urban = [
        (cx + URBAN_RING_RADIUS * math.sin(2 * math.pi * k / n_urban),
         cy + URBAN_RING_RADIUS * math.cos(2 * math.pi * k / n_urban))
        for k in range(n_urban)
    ]
    rng = random.Random(zlib.crc32(b"tongliang"))
    towns: list[Point] = []
    while len(towns) < n_towns:  # keep towns out of the urban core at first
        (p,) = _sample(region, 1, rng)
        if math.dist(p, (cx, cy)) > 2.5 * URBAN_RING_RADIUS:
            towns.append(p)
    return _relax(region, urban + towns, fixed=n_urban)


def _children(units: Iterable[UnitSpec]) -> dict[str | None, list[UnitSpec]]:
    kids: dict[str | None, list[UnitSpec]] = {}
    for unit in units:
        kids.setdefault(unit.parent, []).append(unit)
    return kids


def unit_cells(units: Sequence[UnitSpec]) -> dict[str, Ring]:
    """Plane-coordinate cell of every unit, parents split among children."""
    kids = _children(units)
    cells: dict[str, Ring] = {}
    for root in kids.get(None, []):
        cells[root.code] = [_to_plane(*p) for p in DISTRICT_OUTLINE]
        stack = [root]
        while stack:
            unit = stack.pop()
            children = kids.get(unit.code, [])
            if not children:
                continue
            region = cells[unit.code]
            if unit.level == "district":
                n_urban = sum(1 for c in children if kids.get(c.code))
                parts = split_district(region, n_urban, len(children) - n_urban)
                children = _urban_first(children, kids)
            else:
                parts = split(region, len(children), unit.code)
            for child, part in zip(children, parts):
                cells[child.code] = part
                stack.append(child)
    return cells


def _urban_first(children: list[UnitSpec],
                 kids: dict[str | None, list[UnitSpec]]) -> list[UnitSpec]:
    # Streets with communities take the central wedges; order otherwise kept.
    return sorted(children, key=lambda c: 0 if kids.get(c.code) else 1)


def _feature(unit: UnitSpec, cell: Ring) -> dict[str, Any]:
    # Clockwise exterior rings: d3-geo (go.Choropleth) reads the other
    # winding as "the whole globe minus this shape"; MapLibre ignores it.
    ring = [_to_lonlat(p) for p in cell]
    if signed_area(ring) > 0:
        ring.reverse()
    coords = [[lon, lat] for lon, lat in ring] + [[ring[0][0], ring[0][1]]]
    return {
        "type": "Feature",
        "id": unit.code,
        "properties": {
            "code": unit.code, "name": unit.name, "name_en": unit.name_en,
            "level": unit.level, "parent": unit.parent,
            "synthetic": unit.synthetic,
            "centroid": list(_to_lonlat(centroid(cell))),
        },
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }


def build_geojson(units: Sequence[UnitSpec] | None = None) -> dict[str, Any]:
    """FeatureCollection with one Polygon feature per unit, in unit order."""
    units = list(default_units() if units is None else units)
    cells = unit_cells(units)
    return {
        "type": "FeatureCollection",
        "features": [_feature(u, cells[u.code]) for u in units],
    }


def bbox(feature: dict[str, Any]) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a Polygon/MultiPolygon feature."""
    geometry = feature["geometry"]
    polygons = (geometry["coordinates"] if geometry["type"] == "MultiPolygon"
                else [geometry["coordinates"]])
    points = [p for polygon in polygons for ring in polygon for p in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return (min(lons), min(lats), max(lons), max(lats))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m dashboard.domain.geometry OUT.geojson",
              file=sys.stderr)
        return 2
    out = Path(args[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(build_geojson(), ensure_ascii=False, separators=(",", ":"))
    out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
