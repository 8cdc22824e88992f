"""UnitTree's walks below a unit: descendants, subtree, grids."""
from __future__ import annotations

import pytest

from dashboard.domain.hierarchy import default_units
from dashboard.domain.unit_tree import UnitNode, UnitTree


def node(code: str, level: str, parent: str | None) -> UnitNode:
    return UnitNode(code, code, code, level, parent)


@pytest.fixture(scope="module")
def small() -> UnitTree:
    #   d ─┬─ s1 ─┬─ c1 ─┬─ g1
    #      │      │      └─ g2
    #      │      └─ c2
    #      └─ t1 (a town with grids straight below it) ── g3
    return UnitTree.build([node("d", "district", None), node("s1", "street", "d"), node("c1", "community", "s1"),
                           node("g1", "grid", "c1"), node("g2", "grid", "c1"), node("c2", "community", "s1"),
                           node("t1", "street", "d"), node("g3", "grid", "t1")])


def test_descendants_are_every_unit_below_parents_first(small):
    assert small.descendants("d") == ["s1", "c1", "g1", "g2", "c2", "t1", "g3"]
    assert small.descendants("c1") == ["g1", "g2"]


def test_a_leaf_has_no_descendants(small):
    assert small.descendants("g1") == []
    assert small.subtree("g1") == ["g1"]


def test_subtree_starts_with_the_unit(small):
    assert small.subtree("s1") == ["s1", "c1", "g1", "g2", "c2"]


def test_grids_of_a_subtree(small):
    assert small.grids("d") == ["g1", "g2", "g3"]
    assert small.grids("c2") == []
    assert small.grids("g3") == ["g3"]


def test_descendants_agree_with_lineage_on_the_default_district():
    tree = UnitTree.build(default_units())
    for root in tree.roots():
        below = tree.descendants(root)
        assert len(below) == len(set(below)) == len(tree.nodes) - 1
        assert all(tree.is_within(code, root) and code != root for code in below)
    street = tree.children[tree.roots()[0]][0]
    assert set(tree.descendants(street)) == {c for c in tree.nodes if c != street and tree.is_within(c, street)}
