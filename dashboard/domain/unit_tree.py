"""The unit hierarchy in memory: lookups the hot paths need without a query.

Units change rarely (init-db, an admin edit), so every process keeps one
immutable `UnitTree` and swaps it whole when the table changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol

LEVELS = ("district", "street", "community", "grid")


class UnitLike(Protocol):
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class UnitNode:
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None
    synthetic: bool = False


@dataclass
class UnitTree:
    nodes: dict[str, UnitNode] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, units: Iterable[UnitLike]) -> "UnitTree":
        tree = cls()
        for u in units:
            node = UnitNode(u.code, u.name, u.name_en, u.level, u.parent, bool(getattr(u, "synthetic", False)))
            tree.nodes[node.code] = node
            tree.children.setdefault(node.code, [])
        for node in tree.nodes.values():
            if node.parent is not None:
                tree.children.setdefault(node.parent, []).append(node.code)
        return tree

    def __contains__(self, code: object) -> bool:
        return code in self.nodes

    def get(self, code: str) -> UnitNode | None:
        return self.nodes.get(code)

    def lineage(self, code: str) -> list[str]:
        """The unit and its ancestors, nearest first."""
        out: list[str] = []
        current: str | None = code
        while current is not None and current in self.nodes:
            out.append(current)
            current = self.nodes[current].parent
        return out

    def scope(self, code: str) -> dict[str, str | None]:
        """Scope columns of a row about `code`: the code at each level of its lineage."""
        cols: dict[str, str | None] = {level: None for level in LEVELS}
        for c in self.lineage(code):
            cols[self.nodes[c].level] = c
        return cols

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when `code` is `ancestor` or lies below it."""
        return ancestor in self.lineage(code)

    def descendants(self, code: str) -> list[str]:
        """Every unit below `code` (not `code` itself), each before its children,
        siblings in the tree's order."""
        out: list[str] = []
        stack = list(reversed(self.children.get(code, [])))
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return out

    def subtree(self, code: str) -> list[str]:
        """`code` and every unit below it."""
        return [code, *self.descendants(code)]

    def grids(self, code: str) -> list[str]:
        """The grids of `code`'s subtree (`code` itself when it is a grid)."""
        return [c for c in self.subtree(code) if self.nodes[c].level == "grid"]

    def roots(self) -> list[str]:
        return [c for c, n in self.nodes.items() if n.parent is None]

    def as_tree(self, code: str) -> dict:
        node = self.nodes[code]
        return {
            "code": node.code,
            "name": node.name,
            "name_en": node.name_en,
            "level": node.level,
            "synthetic": node.synthetic,
            "children": [self.as_tree(c) for c in self.children.get(code, [])],
        }
