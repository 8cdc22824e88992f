"""The default unit hierarchy of the reference district (pure data, no I/O).

District 铜梁区 → 28 streets and towns (published names) → 32 urban
communities under the 5 urban streets → 131 grids.  Only the district, the
streets/towns, 巴川街道正街社区 and 南城街道龙城社区 are real; every other
community and every grid is synthetic and flagged as such, so nobody mistakes
the demo tree for the real register.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LEVELS: tuple[str, ...] = ("district", "street", "community", "grid")

DISTRICT_CODE = "tongliang"

# (Chinese short name, pinyin code) in published order.
URBAN_STREETS: tuple[tuple[str, str], ...] = (
    ("巴川", "bachuan"),
    ("东城", "dongcheng"),
    ("南城", "nancheng"),
    ("蒲吕", "pulv"),
    ("旧县", "jiuxian"),
)

TOWNS: tuple[tuple[str, str], ...] = (
    ("土桥", "tuqiao"),
    ("二坪", "erping"),
    ("水口", "shuikou"),
    ("安居", "anju"),
    ("白羊", "baiyang"),
    ("平滩", "pingtan"),
    ("石鱼", "shiyu"),
    ("福果", "fuguo"),
    ("维新", "weixin"),
    ("高楼", "gaolou"),
    ("大庙", "damiao"),
    ("围龙", "weilong"),
    ("华兴", "huaxing"),
    ("永嘉", "yongjia"),
    ("安溪", "anxi"),
    ("西河", "xihe"),
    ("太平", "taiping"),
    ("少云", "shaoyun"),
    ("侣俸", "lvfeng"),
    ("小林", "xiaolin"),
    ("双山", "shuangshan"),
    ("庆隆", "qinglong"),
    ("虎峰", "hufeng"),
)

# Communities per urban street: (Chinese short name, pinyin). The published
# figure is 32 in all (8 + 7 + 7 + 5 + 5); only the two below are real.
COMMUNITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "bachuan": (("正街", "zhengjie"), ("金龙", "jinlong"), ("玉泉", "yuquan"), ("中兴", "zhongxing"),
                ("白塔", "baita"), ("西门", "ximen"), ("凤山", "fengshan"), ("明月", "mingyue")),
    "dongcheng": (("东门", "dongmen"), ("朝阳", "chaoyang"), ("新民", "xinmin"), ("和平", "heping"),
                  ("滨河", "binhe"), ("桂花", "guihua"), ("春晖", "chunhui")),
    "nancheng": (("龙城", "longcheng"), ("南门", "nanmen"), ("团结", "tuanjie"), ("建设", "jianshe"),
                 ("锦绣", "jinxiu"), ("翠湖", "cuihu"), ("文星", "wenxing")),
    "pulv": (("龙泉", "longquan"), ("光明", "guangming"), ("红星", "hongxing"), ("青松", "qingsong"),
             ("黄桷", "huangjue")),
    "jiuxian": (("太和", "taihe"), ("永安", "yongan"), ("民主", "minzhu"), ("顺天", "shuntian"),
                ("石桥", "shiqiao")),
}
REAL_COMMUNITIES = frozenset({"bachuan-zhengjie", "nancheng-longcheng"})

GRIDS_PER_COMMUNITY = 4
EXTRA_GRID_COMMUNITIES = 3  # the first three communities get a 5th grid: 131


@dataclass(frozen=True)
class UnitSpec:
    """One node of the unit tree, as seeded into the database."""

    code: str
    name: str
    name_en: str
    level: str
    parent: str | None
    synthetic: bool


def _title(pinyin: str) -> str:
    return pinyin[:1].upper() + pinyin[1:]


def _streets_and_towns() -> list[UnitSpec]:
    return [UnitSpec(code, f"{zh}{suffix}", f"{_title(code)} {suffix_en}", "street", DISTRICT_CODE, False)
            for names, suffix, suffix_en in ((URBAN_STREETS, "街道", "Street"), (TOWNS, "镇", "Town"))
            for zh, code in names]


def _communities() -> list[UnitSpec]:
    units: list[UnitSpec] = []
    for street, rows in COMMUNITIES.items():
        for zh, pinyin in rows:
            code = f"{street}-{pinyin}"
            units.append(UnitSpec(code=code, name=f"{zh}社区", name_en=f"{_title(pinyin)} Community",
                                  level="community", parent=street, synthetic=code not in REAL_COMMUNITIES))
    return units


def _grids(communities: Iterable[UnitSpec]) -> list[UnitSpec]:
    units: list[UnitSpec] = []
    for i, community in enumerate(communities):
        count = GRIDS_PER_COMMUNITY + (1 if i < EXTRA_GRID_COMMUNITIES else 0)
        short_en = community.name_en.removesuffix(" Community")
        units += [UnitSpec(code=f"{community.code}-g{n:02d}", name=f"{community.name}第{n}网格",
                           name_en=f"{short_en} Grid {n}", level="grid", parent=community.code, synthetic=True)
                  for n in range(1, count + 1)]
    return units


def default_units() -> list[UnitSpec]:
    """The whole default tree, every parent listed before its children."""
    district = UnitSpec(DISTRICT_CODE, "铜梁区", "Tongliang District",
                        "district", None, False)
    communities = _communities()
    return [district, *_streets_and_towns(), *communities,
            *_grids(communities)]


def index_units(units: Iterable[UnitSpec]) -> dict[str, UnitSpec]:
    """Map code → unit; refuses duplicate codes rather than silently keep one."""
    by_code: dict[str, UnitSpec] = {}
    for unit in units:
        if unit.code in by_code:
            raise ValueError(f"duplicate unit code: {unit.code}")
        by_code[unit.code] = unit
    return by_code


def ancestors(code: str, by_code: Mapping[str, UnitSpec]) -> list[str]:
    """Codes of the unit's ancestors, nearest first, excluding the unit."""
    chain: list[str] = []
    parent = by_code[code].parent
    while parent is not None:
        if parent in chain or parent == code:  # guards against a bad cycle
            raise ValueError(f"cycle in unit tree at {parent}")
        chain.append(parent)
        parent = by_code[parent].parent
    return chain
