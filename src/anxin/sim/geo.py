"""Where parcels go: a table of real Chinese cities with region codes, the carriers and how fast they are.

Region codes are hierarchical, ``CN-<province>-<city>`` (ISO 3166-2:CN province codes), the form the ingestion
contract and the fulfilment rulebook use (``CN-ZJ`` covers ``CN-ZJ-HZ``). Coordinates are rough city centres:
enough for transit time to grow with distance. Weights say where warehouses cluster (Zhejiang, Guangdong,
Jiangsu) and where buyers live (roughly by population and online spending).
"""

from __future__ import annotations

import bisect
import math
import random
import re
from dataclasses import dataclass
from itertools import accumulate

REGION_CODE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,8}){1,3}$")  # the ingestion contract's pattern


@dataclass(frozen=True)
class Region:
    code: str
    zh: str
    lat: float
    lon: float
    zone: str  # the sorting network's zone: a far parcel passes through its destination zone's hub
    shop_weight: float
    buyer_weight: float

    @property
    def province(self) -> str:
        return self.code.rsplit("-", 1)[0]


REGIONS: tuple[Region, ...] = tuple(Region(*row) for row in (
    ("CN-BJ-BJ", "北京", 39.90, 116.40, "north", 3, 6), ("CN-TJ-TJ", "天津", 39.13, 117.20, "north", 1, 3),
    ("CN-HE-LF", "廊坊", 39.52, 116.70, "north", 1, 1), ("CN-HE-SJZ", "石家庄", 38.04, 114.51, "north", 1, 2),
    ("CN-SD-JN", "济南", 36.65, 117.12, "north", 1, 2), ("CN-SD-QD", "青岛", 36.07, 120.38, "north", 2, 2),
    ("CN-SH-SH", "上海", 31.23, 121.47, "east", 5, 6), ("CN-JS-NJ", "南京", 32.06, 118.80, "east", 2, 3),
    ("CN-JS-SZ", "苏州", 31.30, 120.58, "east", 4, 3), ("CN-ZJ-HZ", "杭州", 30.27, 120.16, "east", 8, 4),
    ("CN-ZJ-NB", "宁波", 29.87, 121.55, "east", 3, 2), ("CN-ZJ-YW", "义乌", 29.31, 120.08, "east", 8, 1),
    ("CN-AH-HF", "合肥", 31.82, 117.23, "east", 1, 2), ("CN-FJ-FZ", "福州", 26.07, 119.30, "south", 2, 2),
    ("CN-FJ-XM", "厦门", 24.48, 118.09, "south", 3, 2), ("CN-GD-GZ", "广州", 23.13, 113.26, "south", 8, 5),
    ("CN-GD-SZ", "深圳", 22.54, 114.06, "south", 6, 5), ("CN-GD-DG", "东莞", 23.02, 113.75, "south", 4, 2),
    ("CN-GD-FS", "佛山", 23.02, 113.12, "south", 3, 2), ("CN-HB-WH", "武汉", 30.59, 114.31, "central", 2, 4),
    ("CN-HN-CS", "长沙", 28.23, 112.94, "central", 1, 3), ("CN-HA-ZZ", "郑州", 34.75, 113.63, "central", 1, 3),
    ("CN-SC-CD", "成都", 30.57, 104.07, "southwest", 2, 5), ("CN-CQ-CQ", "重庆", 29.56, 106.55, "southwest", 1, 5),
    ("CN-YN-KM", "昆明", 25.04, 102.71, "southwest", 0.5, 2), ("CN-SN-XA", "西安", 34.34, 108.94, "northwest", 1, 3),
    ("CN-XJ-WLMQ", "乌鲁木齐", 43.83, 87.62, "northwest", 0.2, 1),
    ("CN-LN-SY", "沈阳", 41.81, 123.43, "northeast", 1, 2), ("CN-HL-HEB", "哈尔滨", 45.80, 126.53, "northeast", 0.5, 2),
))
BY_CODE = {r.code: r for r in REGIONS}
HUBS = {"north": "CN-HE-LF", "east": "CN-SH-SH", "south": "CN-GD-GZ", "central": "CN-HB-WH",
        "southwest": "CN-SC-CD", "northwest": "CN-SN-XA", "northeast": "CN-LN-SY"}
_SHOP_CUM = list(accumulate(r.shop_weight for r in REGIONS))
_BUYER_CUM = list(accumulate(r.buyer_weight for r in REGIONS))


@dataclass(frozen=True)
class Carrier:
    code: str
    zh: str
    speed_kmh: float  # effective line-haul speed, handling between hubs excluded
    sigma: float  # spread of transit times (lognormal)
    detailed: bool  # also scans "departed" when a parcel leaves the origin city
    weight: float  # how often shops pick it


CARRIER_PROFILES: tuple[Carrier, ...] = (
    Carrier("sf", "顺丰速运", 85, 0.12, True, 1.5), Carrier("jd", "京东物流", 75, 0.12, True, 1.0),
    Carrier("zto", "中通快递", 55, 0.22, False, 3.0), Carrier("yto", "圆通速递", 55, 0.22, False, 2.5),
    Carrier("sto", "申通快递", 50, 0.28, False, 1.5), Carrier("yunda", "韵达快递", 55, 0.25, False, 2.0),
    Carrier("ems", "中国邮政EMS", 45, 0.35, True, 0.8),
)
CARRIERS = tuple(c.code for c in CARRIER_PROFILES)
CARRIER_BY_CODE = {c.code: c for c in CARRIER_PROFILES}


def _pick(rng: random.Random, cum: list[float]) -> Region:
    return REGIONS[bisect.bisect_right(cum, rng.random() * cum[-1])]


def warehouse_city(rng: random.Random) -> Region:
    return _pick(rng, _SHOP_CUM)


def home_city(rng: random.Random) -> Region:
    return _pick(rng, _BUYER_CUM)


def shop_carriers(rng: random.Random) -> tuple[str, ...]:
    """One to three carriers, the cheap networks more often than the premium ones."""
    chosen: list[str] = []
    for _ in range(rng.choice((1, 2, 2, 3))):
        pool = [c for c in CARRIER_PROFILES if c.code not in chosen]
        cum = list(accumulate(c.weight for c in pool))
        chosen.append(pool[bisect.bisect_right(cum, rng.random() * cum[-1])].code)
    return tuple(sorted(chosen))


def km(a: Region, b: Region) -> float:
    """Great-circle distance times 1.25 for roads that are not straight."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 1.25 * 2 * 6371 * math.asin(math.sqrt(h))


def hub_between(origin: Region, dest: Region) -> Region | None:
    """A far parcel is sorted once more at its destination zone's hub (or the origin's, if that is the
    destination itself); near parcels (under 800 km) go straight."""
    if km(origin, dest) < 800:
        return None
    for zone in (dest.zone, origin.zone):
        hub = BY_CODE[HUBS[zone]]
        if hub.code not in (origin.code, dest.code):
            return hub
    return None
