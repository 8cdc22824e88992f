"""Vocabulary and proportions for the simulator, declared as data.

Weights are relative (they need not sum to 100). They follow DOMAIN.md: the
compound troubles of the reference (parking, sanitation, disputes, property
fees) are common, collective petitions and safety hazards rare but urgent.
"""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import TypeVar

from dashboard.domain.events import INCIDENT_CATEGORIES, MEDIATION_CHANNELS

K = TypeVar("K")

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

# Share of new items per stream: a day of the reference district is about 300
# incidents, 70 patrol rounds (32 urban communities, one or two rounds each,
# plus police patrols) and a dozen mediations (DEMO_ITEMS_PER_DAY below).
STREAM_WEIGHTS: dict[str, float] = {"incident": 78, "patrol": 18, "mediation": 4}
DEMO_ITEMS_PER_DAY = 385

# When items start, by hour of the day (China time), relative to the day's mean.
# Grid workers report in office hours (peaks mid-morning and mid-afternoon, a dip
# at lunch); the hotline and video keep a trickle going at night. Patrols run
# day and evening (the night rounds of the security teams); mediations are
# accepted in office hours. Each row is normalised to a mean of 1.
HOURLY_SHAPE: dict[str, tuple[float, ...]] = {
    "incident": (0.25, 0.15, 0.12, 0.10, 0.10, 0.15, 0.35, 0.80, 1.50, 1.90, 2.00, 1.70,
                 1.00, 1.00, 1.60, 1.90, 1.80, 1.40, 0.90, 0.80, 0.75, 0.60, 0.45, 0.33),
    "patrol": (0.40, 0.30, 0.20, 0.10, 0.10, 0.20, 0.50, 1.00, 1.40, 1.50, 1.40, 1.20,
               0.80, 0.90, 1.30, 1.40, 1.40, 1.30, 1.20, 1.50, 1.60, 1.40, 1.00, 0.70),
    "mediation": (0, 0, 0, 0, 0, 0, 0, 0.2, 1.8, 2.6, 2.6, 2.0,
                  0.6, 0.6, 2.4, 2.6, 2.4, 1.6, 0.4, 0.2, 0, 0, 0, 0),
}
HOURLY: dict[str, tuple[float, ...]] = {
    stream: tuple(24 * v / sum(shape) for v in shape) for stream, shape in HOURLY_SHAPE.items()}

INCIDENT_NAMES = {code: names[0] for code, names in INCIDENT_CATEGORIES.items()}

CATEGORY_WEIGHTS: dict[str, float] = {
    "parking": 20, "sanitation": 18, "neighbourhood_dispute": 15, "property_fee": 12,
    "property_service": 9, "public_order": 8, "illegal_construction": 6,
    "green_space": 4, "garage_digging": 3, "safety_hazard": 3, "collective_petition": 2,
}

# Priority 1..4 weights; urgent categories lean to 1-2, the rest to 3-4.
ROUTINE_PRIORITY = (2, 15, 48, 35)
PRIORITY_WEIGHTS: dict[str, tuple[float, float, float, float]] = {
    "safety_hazard": (25, 45, 25, 5),
    "collective_petition": (25, 45, 25, 5),
    "public_order": (5, 30, 50, 15),
}

SOURCE_WEIGHTS: dict[str, float] = {
    "grid-app": 45, "hotline": 25, "video": 15, "patrol-app": 10, "petition": 5,
}

# Where a new incident lands.
INCIDENT_LEVEL_WEIGHTS: dict[str, float] = {"grid": 80, "community": 13, "town": 7}

# Default deadlines (DOMAIN.md), simulated seconds: acknowledge, arrive, resolve.
DEADLINES: dict[int, tuple[float, float | None, float]] = {
    1: (5 * MINUTE, 15 * MINUTE, 4 * HOUR),
    2: (15 * MINUTE, 1 * HOUR, 24 * HOUR),
    3: (1 * HOUR, None, 3 * DAY),
    4: (4 * HOUR, None, 7 * DAY),
}

DETAILS: dict[str, tuple[str, ...]] = {
    "parking": ("消防通道被占", "车辆占用人行道", "小区出入口乱停放", "电瓶车堵塞楼道"),
    "sanitation": ("垃圾清运不及时", "楼道堆放杂物", "污水外溢", "绿化带倾倒建筑垃圾"),
    "neighbourhood_dispute": ("楼上漏水引发邻里纠纷", "噪音扰民", "宠物扰邻", "公共区域使用争执"),
    "property_fee": ("业主拒交物业费", "物业费调价引发不满", "多户业主欠缴物业费"),
    "illegal_construction": ("顶楼违法搭建", "阳台违规外扩", "占用公共区域搭建棚房"),
    "garage_digging": ("业主私挖地下车库", "私自开挖地下室"),
    "green_space": ("公共绿地被占种菜", "绿地被改为停车位"),
    "property_service": ("电梯故障无人维修", "路灯损坏未修", "门禁失灵", "物业人员缺岗"),
    "public_order": ("夜间聚众喧哗", "疑似盗窃电瓶车", "商铺门口发生争执"),
    "collective_petition": ("多名业主聚集反映诉求", "业主集体到社区反映物业问题"),
    "safety_hazard": ("燃气泄漏隐患", "电动车楼道充电", "外墙瓷砖脱落", "消防设施损坏"),
}

# Categories a patrol can find on its round (the anomaly opens one).
PATROL_FINDS: dict[str, float] = {
    "public_order": 30, "safety_hazard": 25, "parking": 20,
    "sanitation": 15, "illegal_construction": 10,
}

# Categories that tend to come in surges (the early sign of a petition).
SURGE_CATEGORIES: dict[str, float] = {
    "property_fee": 30, "parking": 25, "neighbourhood_dispute": 20,
    "sanitation": 15, "collective_petition": 10,
}

SPOTS = ("东门", "西门", "南门", "北门", "中心广场", "停车场", "菜市场", "小学门口",
         "健身广场", "沿街商铺", "河堤步道", "老旧小区")

TEAM_KIND_WEIGHTS: dict[str, float] = {
    "police": 35, "security_patrol": 30, "grid_worker": 25, "village_cadre": 10,
}
TEAM_NUMERALS = ("一", "二", "三")

MEDIATION_CHANNEL_WEIGHTS: dict[str, float] = {"people": 70, "administrative": 20, "judicial": 10}
MEDIATION_LEVEL_WEIGHTS: dict[str, float] = {"community": 60, "grid": 25, "town": 15}
MEDIATION_SUBJECTS = ("邻里漏水纠纷", "物业服务合同纠纷", "婚姻家庭纠纷", "劳资纠纷",
                      "土地承包纠纷", "交通事故赔偿纠纷", "房屋租赁纠纷", "相邻通行纠纷")
CHANNEL_NAMES = {code: names[0] for code, names in MEDIATION_CHANNELS.items()}
# Where a failed case goes, per channel (CONTRACT transfer targets).
TRANSFER_WEIGHTS: dict[str, dict[str, float]] = {
    "people": {"administrative": 25, "judicial": 25, "litigation": 30, "petition": 10, "police": 10},
    "administrative": {"judicial": 35, "people": 15, "litigation": 40, "petition": 10},
    "judicial": {"litigation": 80, "petition": 10, "police": 10},
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
         "娟", "涛", "明", "超", "秀英", "建华", "志强", "海燕", "晓东")


def pick(rng: random.Random, weights: Mapping[K, float]) -> K:
    """One key drawn by weight (dict order is fixed, so draws are reproducible)."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def pick_priority(rng: random.Random, category: str) -> int:
    weights: Sequence[float] = PRIORITY_WEIGHTS.get(category, ROUTINE_PRIORITY)
    return rng.choices((1, 2, 3, 4), weights=weights)[0]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)
