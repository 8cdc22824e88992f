"""The schematic map: one cell per unit, siblings tile their parent cleanly."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from dashboard.domain.geometry import (
    bbox,
    build_geojson,
    main,
    point_in_polygon,
    signed_area,
)
from dashboard.domain.hierarchy import default_units

ASSET = Path(__file__).resolve().parents[2] / "assets" / "geo" / "units.geojson"
Feature = dict[str, Any]


@pytest.fixture(scope="module")
def collection() -> dict[str, Any]:
    return build_geojson()


@pytest.fixture(scope="module")
def by_id(collection: dict[str, Any]) -> dict[str, Feature]:
    return {f["id"]: f for f in collection["features"]}


def _ring(feature: Feature) -> list[list[float]]:
    return feature["geometry"]["coordinates"][0]


def _siblings(collection: dict[str, Any]) -> dict[str, list[Feature]]:
    groups: dict[str, list[Feature]] = defaultdict(list)
    for feature in collection["features"]:
        parent = feature["properties"]["parent"]
        if parent is not None:
            groups[parent].append(feature)
    return groups


def test_one_feature_per_unit(collection: dict[str, Any]) -> None:
    units = default_units()
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == [u.code for u in units]
    for feature, unit in zip(collection["features"], units):
        props = feature["properties"]
        assert props["code"] == unit.code
        assert props["name"] == unit.name
        assert props["name_en"] == unit.name_en
        assert props["level"] == unit.level
        assert props["parent"] == unit.parent
        assert props["synthetic"] == unit.synthetic
        assert len(props["centroid"]) == 2


def test_polygons_closed_clockwise_and_in_box(collection: dict[str, Any]) -> None:
    for feature in collection["features"]:
        assert feature["geometry"]["type"] == "Polygon"
        ring = _ring(feature)
        assert ring[0] == ring[-1] and len(ring) >= 4
        # Clockwise, as d3-geo (go.Choropleth) wants its exterior rings.
        assert signed_area([tuple(p) for p in ring[:-1]]) < 0
        lon0, lat0, lon1, lat1 = bbox(feature)
        assert 105.8 <= lon0 < lon1 <= 106.2
        assert 29.7 <= lat0 < lat1 <= 30.0


def test_district_outline(by_id: dict[str, Feature]) -> None:
    assert 10 <= len(_ring(by_id["tongliang"])) - 1 <= 14


def test_centroid_inside_own_cell_and_parent(by_id: dict[str, Feature]) -> None:
    for feature in by_id.values():
        props = feature["properties"]
        assert point_in_polygon(props["centroid"], _ring(feature)), props["code"]
        if props["parent"] is not None:
            parent = by_id[props["parent"]]
            assert point_in_polygon(props["centroid"], _ring(parent)), props["code"]


def test_siblings_do_not_overlap_and_tile_parent(
        collection: dict[str, Any], by_id: dict[str, Feature]) -> None:
    rng = random.Random(7)
    for parent_code, children in _siblings(collection).items():
        parent_ring = _ring(by_id[parent_code])
        lon0, lat0, lon1, lat1 = bbox(by_id[parent_code])
        inside_parent = covered = 0
        for _ in range(400):
            point = (rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
            hits = sum(point_in_polygon(point, _ring(c)) for c in children)
            assert hits <= 1, f"siblings under {parent_code} overlap at {point}"
            if point_in_polygon(point, parent_ring):
                inside_parent += 1
                covered += hits
            else:
                assert hits == 0, f"child of {parent_code} spills out at {point}"
        # Rounding to 6 decimals may leave hairline gaps, nothing more.
        assert covered >= inside_parent - 1, parent_code


def test_urban_streets_near_centre(by_id: dict[str, Feature]) -> None:
    centre = by_id["tongliang"]["properties"]["centroid"]

    def dist(code: str) -> float:
        lon, lat = by_id[code]["properties"]["centroid"]
        return ((lon - centre[0]) ** 2 + (lat - centre[1]) ** 2) ** 0.5

    towns = [f["id"] for f in by_id.values()
             if f["properties"]["level"] == "street"
             and f["properties"]["name"].endswith("镇")]
    urban = ["bachuan", "dongcheng", "nancheng", "pulv", "jiuxian"]
    assert max(dist(c) for c in urban) < min(dist(c) for c in towns)


def test_bbox() -> None:
    square = {"geometry": {"type": "Polygon", "coordinates": [
        [[1, 2], [1, 4], [3, 4], [3, 2], [1, 2]]]}}
    assert bbox(square) == (1, 2, 3, 4)
    multi = {"geometry": {"type": "MultiPolygon", "coordinates": [
        [[[0, 0], [0, 1], [1, 1], [0, 0]]], [[[5, 5], [5, 6], [6, 6], [5, 5]]]]}}
    assert bbox(multi) == (0, 0, 6, 6)


def test_deterministic(collection: dict[str, Any]) -> None:
    assert build_geojson() == collection


def test_main_writes_file_matching_bundled_asset(
        tmp_path: Path, collection: dict[str, Any]) -> None:
    out = tmp_path / "geo" / "units.geojson"
    assert main([str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(collection))
    # The bundled asset must be regenerated whenever the hierarchy changes.
    assert json.loads(ASSET.read_text(encoding="utf-8")) == written


def test_main_usage() -> None:
    assert main([]) == 2
