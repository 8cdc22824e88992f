"""The default unit tree matches the published figures and is well formed."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from dashboard.domain.hierarchy import (
    LEVELS,
    UnitSpec,
    ancestors,
    default_units,
    index_units,
)

PUBLISHED_STREETS = ["巴川", "东城", "南城", "蒲吕", "旧县"]
PUBLISHED_TOWNS = [
    "土桥", "二坪", "水口", "安居", "白羊", "平滩", "石鱼", "福果", "维新",
    "高楼", "大庙", "围龙", "华兴", "永嘉", "安溪", "西河", "太平", "少云",
    "侣俸", "小林", "双山", "庆隆", "虎峰",
]
URL_SAFE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def units() -> list[UnitSpec]:
    return default_units()


@pytest.fixture(scope="module")
def by_code(units: list[UnitSpec]) -> dict[str, UnitSpec]:
    return index_units(units)


def _by_name(units: list[UnitSpec]) -> dict[str, UnitSpec]:
    return {u.name: u for u in units}


def test_published_counts(units: list[UnitSpec]) -> None:
    counts = Counter(u.level for u in units)
    assert counts == {"district": 1, "street": 28, "community": 32, "grid": 131}


def test_district(by_code: dict[str, UnitSpec]) -> None:
    district = by_code["tongliang"]
    assert (district.name, district.name_en) == ("铜梁区", "Tongliang District")
    assert district.level == "district"
    assert district.parent is None
    assert not district.synthetic


def test_published_street_and_town_names(units: list[UnitSpec]) -> None:
    names = {u.name for u in units if u.level == "street"}
    expected = {f"{s}街道" for s in PUBLISHED_STREETS}
    expected |= {f"{t}镇" for t in PUBLISHED_TOWNS}
    assert names == expected
    assert all(not u.synthetic for u in units if u.level == "street")


def test_street_codes_and_english_names(by_code: dict[str, UnitSpec]) -> None:
    assert by_code["bachuan"].name == "巴川街道"
    assert by_code["bachuan"].name_en == "Bachuan Street"
    assert by_code["tuqiao"].name == "土桥镇"
    assert by_code["tuqiao"].name_en == "Tuqiao Town"
    assert by_code["pulv"].name == "蒲吕街道"
    assert by_code["lvfeng"].name == "侣俸镇"
    assert by_code["hufeng"].parent == "tongliang"


def test_real_communities(units: list[UnitSpec],
                          by_code: dict[str, UnitSpec]) -> None:
    named = _by_name(units)
    zhengjie, longcheng = named["正街社区"], named["龙城社区"]
    assert zhengjie.code == "bachuan-zhengjie"
    assert by_code[zhengjie.parent].name == "巴川街道"
    assert longcheng.code == "nancheng-longcheng"
    assert by_code[longcheng.parent].name == "南城街道"
    assert not zhengjie.synthetic and not longcheng.synthetic


def test_communities_per_urban_street(units: list[UnitSpec]) -> None:
    communities = [u for u in units if u.level == "community"]
    per_street = Counter(u.parent for u in communities)
    assert per_street == {"bachuan": 8, "dongcheng": 7, "nancheng": 7,
                          "pulv": 5, "jiuxian": 5}
    assert len({u.name for u in communities}) == 32
    synthetic = [u for u in communities if u.synthetic]
    assert len(synthetic) == 30
    for unit in communities:
        assert unit.code.startswith(f"{unit.parent}-")
        assert unit.name.endswith("社区")


def test_grids_spread_over_communities(units: list[UnitSpec],
                                       by_code: dict[str, UnitSpec]) -> None:
    grids = [u for u in units if u.level == "grid"]
    per_community = Counter(u.parent for u in grids)
    assert len(per_community) == 32
    assert sorted(per_community.values()) == [4] * 29 + [5] * 3
    assert all(u.synthetic for u in grids)
    first = by_code["bachuan-zhengjie-g01"]
    assert first.name == "正街社区第1网格"
    assert first.name_en == "Zhengjie Grid 1"
    assert first.parent == "bachuan-zhengjie"


def test_codes_unique_and_url_safe(units: list[UnitSpec]) -> None:
    codes = [u.code for u in units]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert URL_SAFE.match(code), code
        assert len(code) <= 64


def test_parents_exist_one_level_up_and_come_first(units: list[UnitSpec]) -> None:
    seen: dict[str, UnitSpec] = {}
    for unit in units:
        assert unit.level in LEVELS
        if unit.level == "district":
            assert unit.parent is None
        else:
            assert unit.parent in seen, f"{unit.code} before its parent"
            parent = seen[unit.parent]
            assert LEVELS.index(parent.level) == LEVELS.index(unit.level) - 1
        seen[unit.code] = unit


def test_ancestors_nearest_first(by_code: dict[str, UnitSpec]) -> None:
    assert ancestors("bachuan-zhengjie-g01", by_code) == [
        "bachuan-zhengjie", "bachuan", "tongliang"]
    assert ancestors("tuqiao", by_code) == ["tongliang"]
    assert ancestors("tongliang", by_code) == []


def test_index_units_rejects_duplicates() -> None:
    unit = UnitSpec("x", "X", "X", "district", None, True)
    with pytest.raises(ValueError):
        index_units([unit, unit])


def test_deterministic() -> None:
    assert default_units() == default_units()
