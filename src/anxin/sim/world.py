"""The simulated marketplace's cast: categories, merchants with latent quality, shops, listings, consumers.

Everything here is drawn from one ``random.Random`` in a fixed order, and every id comes from a
counter, so a seed always yields the same marketplace. The latent traits (quality, abuse) are what
the ground truth file reveals; anxin only ever sees the events and requests they cause.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from anxin.sim.geo import Region, home_city, shop_carriers, warehouse_city
from anxin.sim.listing_texts import TextTruth
from anxin.sim.olist import OlistSample, Seller

if TYPE_CHECKING:
    from anxin.sim.creators import Creator

DEFAULT_START = dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
# The abuse mix (anxin.sim.abuse): accounts that exist to abuse after-sales, and honest heavy buyers who return a
# lot (the counterpart a serial-returner rule must spare). A weight scales the cohort's default size; 0 leaves it out.
ABUSE_COHORTS = ("evidence_reuse", "freight_arbitrage", "ring", "extortion", "refund_without_return",
                 "serial_returner", "heavy_buyer")
DEFAULT_ABUSE_MIX: Mapping[str, float] = dict.fromkeys(ABUSE_COHORTS, 1.0)


@dataclass(frozen=True)
class SimConfig:
    days: int = 30
    merchants: int = 50
    seed: int = 7
    consumers: int | None = None  # default: 20 per merchant
    start: dt.datetime = DEFAULT_START
    # Calibrated so 30 days × 50 merchants stays well under two minutes on a small machine: every event
    # goes through the real ingestion, one transaction each.
    orders_per_shop_day: float = 1.4
    abuser_share: float = 0.04
    late_share: float = 0.025  # events reaching anxin 15–150 minutes late (a scan before its shipment)
    replay_share: float = 0.008  # events the platform sends twice (same id, same payload)
    fake_shipper_share: float = 0.05  # merchants who fake shipments (at least one when above zero)
    consumer_hold_share: float = 0.003  # orders whose buyer asks the merchant to hold the parcel
    olist_dir: Path | None = None
    abuse_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_ABUSE_MIX))
    ring_sizes: tuple[int, int] = (3, 50)  # the accounts of one ring, drawn over this range
    attributes: bool = True  # send consumers' attributes (data.risk) and shops' credentials (data.credentials)
    reopened_shop_share: float = 0.04  # of merchants: bad shops that come back reusing some credentials
    # What listings say (anxin.sim.listing_texts): shops writing forbidden claims, the share of their listings
    # that do, honest listings with harmless look-alikes; merchants cast as counterfeit or low-quality sellers.
    dishonest_shop_share: float = 0.15
    violation_rate: float = 0.7
    lookalike_rate: float = 0.3
    counterfeit_seller_share: float = 0.04
    low_quality_seller_share: float = 0.06
    # Governance people and the platform honouring anxin's actions (anxin.sim.governance, anxin.sim.platform). Off
    # by default: a taken-down listing sells nothing, so turning it on moves every later draw of the main stream
    # (the other figures in docs/ were measured without it); `anxin demo` and bench/governance_figures.py turn it on.
    # How far a merchant's shipping pace strays from what their latent quality alone would give: each merchant's mean
    # hours to ship are multiplied by a lognormal factor with this sigma, drawn from a stream of its own. With 0 (the
    # default: the other figures in docs/ were measured so) pace is a function of quality, and collection timeliness
    # ranks quality almost perfectly (Spearman 0.86 on seed 7); in a real marketplace dispatch speed is mostly an
    # operational matter (staff, warehouse, carrier pickup slots) only loosely tied to what is sold.
    # bench/score_validity.py runs with 0.4 (docs/scores.md § Validity).
    ship_pace_sigma: float = 0.0
    governance: bool = False
    inspection_budget: int = 40  # samples per weekly inspection plan (raised to the strata's minimums if below)
    # Customer care (anxin.sim.care, anxin.sim.care_desk): consultations through anxin's care facade instead of the
    # legacy chat.session events, merchants' and platform agents' replies, ratings, proactive outreach. Off by default
    # (the other figures in docs/ were measured without it; it moves the scoring stream's later draws); `anxin demo`
    # and bench/care_figures.py turn it on.
    care: bool = False
    care_agents: int = 3  # platform customer-service agents (one on nights, the others 08:00-24:00)
    # ASSUMED effects of proactive care (not measured anywhere: the simulator's figures for the companion's effect
    # reflect these two numbers): the share of a cared-for order's later consultations that never happen, and the
    # stars added to the ratings of its tickets.
    care_outreach_contact_cut: float = 0.3
    care_outreach_rating_lift: float = 0.5
    # The worry-free programme (anxin.sim.worry_free): enrolment, cloud-warehouse lots and their inspection, checkout
    # reservations, warehouse shipping, creators picking from the pool, lucky bags. Off by default (held orders skip
    # the merchant's shipping draws, so the main stream's later draws move); `anxin demo` turns it on.
    worry_free: bool = False

    @property
    def consumer_count(self) -> int:
        return self.consumers if self.consumers is not None else 20 * self.merchants


@dataclass(frozen=True)
class Leaf:
    category_id: str
    top: str
    zh: str
    en: str
    tags: tuple[str, ...]
    olist: tuple[str, ...]  # Olist categories whose product weights stand in for ours
    price_fen: tuple[int, int]
    remorse: float  # chance an honest buyer returns it for no reason


TOPS: dict[str, tuple[str, str]] = {
    "fresh": ("生鲜", "Fresh produce"), "cosmetics": ("美妆", "Cosmetics"), "3c": ("3C数码", "3C electronics"),
    "apparel": ("服饰", "Apparel"), "jewelry": ("珠宝饰品", "Jewellery"), "food": ("食品", "Packaged food"),
}
LEAVES: tuple[Leaf, ...] = (
    Leaf("fresh-fruit", "fresh", "时令水果", "Seasonal fruit", (), ("food_drink",), (1990, 12990), 0.0),
    Leaf("fresh-seafood", "fresh", "海鲜水产", "Seafood", (), ("food",), (4990, 29990), 0.0),
    Leaf("fresh-flowers", "fresh", "鲜花", "Cut flowers", (), ("flowers",), (2990, 19990), 0.0),
    Leaf("cosmetics-skincare", "cosmetics", "护肤", "Skincare", (), ("health_beauty",), (5900, 59900), 0.03),
    Leaf("cosmetics-makeup", "cosmetics", "彩妆", "Make-up", ("hygiene_sealed",), ("health_beauty",),
         (3900, 29900), 0.03),
    Leaf("cosmetics-perfume", "cosmetics", "香水", "Perfume", (), ("perfumery",), (9900, 89900), 0.03),
    Leaf("3c-phones", "3c", "手机", "Phones", (), ("telephony",), (99900, 699900), 0.02),
    Leaf("3c-accessories", "3c", "电脑配件", "Computer accessories", (), ("computers_accessories",),
         (2900, 39900), 0.03),
    Leaf("3c-audio", "3c", "耳机音响", "Audio", (), ("audio",), (9900, 199900), 0.03),
    Leaf("3c-games", "3c", "游戏软件", "Games and software", ("digital",), ("consoles_games",),
         (4900, 39900), 0.03),
    Leaf("apparel-women", "apparel", "女装", "Women's wear", (), ("fashio_female_clothing",), (5900, 39900), 0.12),
    Leaf("apparel-men", "apparel", "男装", "Men's wear", (), ("fashion_male_clothing",), (5900, 49900), 0.08),
    Leaf("apparel-shoes", "apparel", "鞋靴", "Shoes", (), ("fashion_shoes",), (9900, 69900), 0.10),
    Leaf("apparel-underwear", "apparel", "内衣泳装", "Underwear and swimwear", ("hygiene_sealed",),
         ("fashion_underwear_beach",), (2900, 19900), 0.05),
    Leaf("apparel-tailored", "apparel", "定制服装", "Made-to-measure", ("custom_made",),
         ("fashion_bags_accessories",), (19900, 99900), 0.03),
    Leaf("jewelry-watches", "jewelry", "手表礼品", "Watches and gifts", (), ("watches_gifts",), (19900, 399900), 0.03),
    Leaf("jewelry-engraved", "jewelry", "刻字定制首饰", "Engraved jewellery", ("custom_made",), ("watches_gifts",),
         (29900, 299900), 0.0),
    Leaf("food-snacks", "food", "休闲零食", "Snacks", (), ("food",), (990, 9990), 0.02),
    Leaf("food-drinks", "food", "饮品冲调", "Drinks", (), ("drinks", "food_drink"), (1590, 15990), 0.02),
)
TITLE_WORDS = ("精选", "爆款", "新品", "直播专享", "旗舰款", "经典款", "礼盒装", "家庭装")
# How fake shippers fake (ground truth names; anxin must infer them from scans).
FAKE_BEHAVIOURS = ("no_scan", "reuse", "origin_only", "route")


@dataclass(frozen=True)
class Tiers:
    """阶梯发货: spot stock first (``spot_stock`` units), then presale stock by a date or a number of hours."""

    spot_stock: int
    spot_hours: int | None = None
    presale_ship_by: dt.datetime | None = None
    presale_hours: int | None = None


@dataclass(frozen=True)
class Listing:
    listing_id: str
    shop_id: str
    leaf: Leaf
    title: str
    price_fen: int
    weight_g: int
    ship_within_hours: int | None  # the listing setting's promise
    page_hours: int | None = None  # the promise on the listing page (the shorter of the two applies)
    presale_ship_by: dt.datetime | None = None
    tiers: Tiers | None = None
    description: str = ""
    text: TextTruth | None = None  # what the title and description claim (ground truth, never sent)

    @property
    def merchant_hours(self) -> int:
        """The promise the merchant works to for stock on hand: the setting they chose (a page that promises
        less is an oversight they do not see), or a tiered listing's spot promise."""
        spot = self.tiers.spot_hours if self.tiers is not None else None
        own = self.ship_within_hours or 48
        return min(own, spot) if spot else own


@dataclass
class Merchant:
    merchant_id: str
    quality: float  # latent 0..1: drives everything below
    ghost: bool  # never answers after-sale requests: the 48 h deadline approves them
    answer_rate: float
    response_mean_h: float
    reject_genuine: float
    reject_abusive: float
    ship_mean_h: float
    defect_rate: float
    lost_rate: float
    fake_rate: float
    shops: list[Shop] = field(default_factory=list)
    fake_shipping: tuple[str, ...] = ()  # FAKE_BEHAVIOURS this merchant uses, none for honest shippers
    fake_share: float = 0.0  # the share of their shipments they fake
    # Customer-service chat (set by anxin.sim.contact from its own stream): the chance a human agent
    # answers a session handed over in staffed hours, the median seconds to that first answer, and
    # whether anyone answers at night (23:00-07:59) at all.
    chat_answer_rate: float = 0.0
    chat_reply_median_s: float = 0.0
    night_staff: bool = False
    kind: str = "ordinary"  # latent seller kind (anxin.sim.listing_texts.SELLER_KINDS): counterfeit, low_quality


@dataclass
class Shop:
    shop_id: str
    merchant: Merchant
    name: str
    location: str
    store_type: str
    services: tuple[str, ...]
    top: str
    daily_orders: float
    livestream: float  # chance of an evening livestream burst on a given day
    carriers: tuple[str, ...]
    warehouse: Region
    overwhelmed: bool = False  # its livestream bursts outrun its packers: part of each burst ships late
    listings: list[Listing] = field(default_factory=list)
    creators: list[Creator] = field(default_factory=list)  # the creators who promote its listings
    dishonest_listings: bool = False  # writes forbidden claims into its listings (anxin.sim.listing_texts)


@dataclass
class Consumer:
    consumer_id: str
    abusive: bool
    activity: float
    location: str  # the home city's name, e.g. 杭州市
    region: Region  # the home city: every order's ship_to_region
    ring: str | None = None
    photos: list[bytes] = field(default_factory=list)  # an abuser's reused "evidence"
    registered_at: dt.datetime | None = None  # the account's creation, 1-1500 days before the run
    pattern: str | None = None  # an abuse-mix account's cohort (ABUSE_COHORTS); None for the main population


@dataclass
class World:
    merchants: list[Merchant]
    shops: list[Shop]
    consumers: list[Consumer]
    rings: dict[str, list[str]]
    olist_source: str
    creators: list[Creator] = field(default_factory=list)  # cast by anxin.sim.creators, from its own stream
    _cum: list[float] = field(default_factory=list)

    def pick_consumer(self, rng: random.Random) -> Consumer:
        """Busy buyers (and abusers, who buy to claim) place more orders."""
        if not self._cum:
            self._cum = list(accumulate(c.activity for c in self.consumers))
        return self.consumers[bisect.bisect_right(self._cum, rng.random() * self._cum[-1])]


def photo(rng: random.Random) -> bytes:
    """A small, deterministic PNG standing in for a buyer's photo (noise over a tint)."""
    w, h = 32, 24
    tint = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    noise = rng.randbytes(w * h * 3)
    pixels = bytes((b >> 2) + (tint[i % 3] * 3 >> 2) for i, b in enumerate(noise))
    out = io.BytesIO()
    Image.frombytes("RGB", (w, h), pixels).save(out, format="PNG")
    return out.getvalue()


def _round_price(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo // 100, hi // 100) * 100 - 10  # ¥x9.90 style


def _merchant(rng: random.Random, n: int) -> Merchant:
    q = rng.betavariate(4, 2)
    bad = 1.0 - q
    return Merchant(
        merchant_id=f"m-{n:03d}", quality=round(q, 4), ghost=rng.random() < 0.03 + 0.25 * bad * bad,
        answer_rate=0.97 - 0.3 * bad, response_mean_h=3 + 30 * bad, reject_genuine=0.04 + 0.45 * bad * bad,
        reject_abusive=0.5 + 0.35 * q, ship_mean_h=8 + 50 * bad * bad, defect_rate=0.01 + 0.14 * bad * bad,
        lost_rate=0.003 + 0.02 * bad, fake_rate=0.25 * bad ** 3)


def _services(rng: random.Random, q: float, top: str) -> tuple[str, ...]:
    chosen = []
    if rng.random() < 0.15 + 0.6 * q:
        chosen.append("anxin_gou")
    for name, p in (("instant_refund", 0.45), ("pickup", 0.4), ("shipping_insurance", 0.55)):
        if rng.random() < p:
            chosen.append(name)
    extra = {"fresh": "fresh_spoilage", "cosmetics": "allergy_return", "3c": "exchange_for_repair"}.get(top)
    if extra and rng.random() < 0.5:
        chosen.append(extra)
    return tuple(chosen)


def _store_type(rng: random.Random, q: float) -> str:
    if rng.random() < 0.2 + 0.5 * q:
        return "enterprise"
    return "individual" if rng.random() < 0.7 else "personal"


def _presale_date(rng: random.Random, config: SimConfig) -> dt.datetime:
    """A promised ship date some days into the run, at 18:00 local time."""
    day = config.start + dt.timedelta(days=rng.randint(3, max(4, config.days - 2)))
    return day.replace(hour=18, minute=0, second=0, microsecond=0)


def _promises(rng: random.Random, config: SimConfig) -> dict[str, object]:
    """Most listings say nothing (48 h applies); some promise 24 h; a few have a page that disagrees with the
    setting, a setting longer than the rules allow (ignored), a presale date, or tiered stock."""
    r = rng.random()
    if r < 0.60:
        return {}
    if r < 0.78:
        return {"ship_within_hours": 24}
    if r < 0.82:
        return {"ship_within_hours": rng.choice((None, 48)), "page_hours": 24}
    if r < 0.84:
        return {"ship_within_hours": 24, "page_hours": 48}
    if r < 0.86:
        return {"ship_within_hours": 72}
    if r < 0.92:
        return {"presale_ship_by": _presale_date(rng, config)}
    by_date = rng.random() < 0.5
    return {"tiers": Tiers(spot_stock=rng.randint(2, 15), spot_hours=24 if rng.random() < 0.5 else None,
                           presale_ship_by=_presale_date(rng, config) if by_date else None,
                           presale_hours=None if by_date else rng.choice((120, 168, 240)))}


def _shop(rng: random.Random, merchant: Merchant, shop_id: str, seller: Seller, olist: OlistSample,
          config: SimConfig) -> Shop:
    q = merchant.quality
    top = rng.choice(sorted(TOPS))
    store_type = _store_type(rng, q)
    suffix = {"enterprise": rng.choice(("旗舰店", "专营店")), "individual": "优选店", "personal": "小铺"}[store_type]
    live = rng.random() < 0.3
    shop = Shop(shop_id=shop_id, merchant=merchant, name=f"{seller.city.title()} {TOPS[top][0]}{suffix}",
                location=seller.location, store_type=store_type, services=_services(rng, q, top), top=top,
                daily_orders=config.orders_per_shop_day * (0.4 + 1.2 * q) * rng.lognormvariate(0, 0.35),
                livestream=0.12 if live else 0.0, carriers=shop_carriers(rng), warehouse=warehouse_city(rng),
                overwhelmed=live and rng.random() < 0.15 + 0.35 * (1 - q))
    leaves = [leaf for leaf in LEAVES if leaf.top == top]
    for k in range(rng.randint(3, 7)):
        leaf = rng.choice(leaves)
        weights = olist.weights_for(leaf.olist) or (500,)
        grams = weights[rng.randrange(len(weights))]
        promises: dict[str, Any] = {"ship_within_hours": None, **_promises(rng, config)}
        # A placeholder title: anxin.sim.listing_texts writes the real one from its own stream; this draw stays so
        # the main stream (and every figure drawn from it) is unchanged.
        shop.listings.append(Listing(
            listing_id=f"{shop_id}-l{k + 1:02d}", shop_id=shop_id, leaf=leaf,
            title=f"{leaf.zh}·{rng.choice(TITLE_WORDS)} {k + 1}号 ({grams / 1000:.1f}kg)",
            price_fen=_round_price(rng, *leaf.price_fen), weight_g=grams, **promises))
    return shop


def _fake_shippers(rng: random.Random, merchants: list[Merchant], share: float) -> None:
    """A few merchants fake shipments. Behaviours are dealt round-robin so that every one of them shows up
    whenever there is at least one fake shipper; some merchants get an extra one."""
    if share <= 0:
        return
    chosen = sorted(rng.sample(merchants, max(1, round(share * len(merchants)))), key=lambda m: m.merchant_id)
    for i, m in enumerate(chosen):
        mine = [b for j, b in enumerate(FAKE_BEHAVIOURS) if j % len(chosen) == i]
        if rng.random() < 0.3:
            mine.append(rng.choice(FAKE_BEHAVIOURS))
        m.fake_shipping = tuple(b for b in FAKE_BEHAVIOURS if b in mine)
        m.fake_share = rng.uniform(0.25, 0.6)


def build_world(rng: random.Random, config: SimConfig, olist: OlistSample) -> World:
    merchants: list[Merchant] = []
    shops: list[Shop] = []
    for n in range(1, config.merchants + 1):
        merchant = _merchant(rng, n)
        # One licence, many shops: every ninth merchant runs a second shop.
        for k in range(2 if n % 9 == 0 else 1):
            seller = olist.sellers[rng.randrange(len(olist.sellers))]
            shop = _shop(rng, merchant, f"shop-{n:03d}{'abcdef'[k]}", seller, olist, config)
            merchant.shops.append(shop)
            shops.append(shop)
        merchants.append(merchant)
    _fake_shippers(rng, merchants, config.fake_shipper_share)
    if config.ship_pace_sigma > 0:  # its own stream: the main stream's draws stay put
        pace = random.Random(f"anxin-sim-ship-pace:{config.seed}")
        for merchant in merchants:
            merchant.ship_mean_h *= pace.lognormvariate(0.0, config.ship_pace_sigma)
    consumers: list[Consumer] = []
    for n in range(1, config.consumer_count + 1):
        abusive = rng.random() < config.abuser_share
        activity = rng.paretovariate(2.5) * (3.0 if abusive else 1.0)
        home = home_city(rng)
        consumers.append(Consumer(f"c-{n:05d}", abusive, activity, f"{home.zh}市", home))
    # Abusers work in small rings that share their "evidence" photos.
    rings: dict[str, list[str]] = {}
    abusers = [c for c in consumers if c.abusive]
    for i in range(0, len(abusers), 4):
        ring_id = f"ring-{i // 4 + 1:02d}"
        shared = [photo(rng) for _ in range(2)]
        for c in abusers[i:i + 4]:
            c.ring, c.photos = ring_id, [*shared, photo(rng)]
            rings.setdefault(ring_id, []).append(c.consumer_id)
    return World(merchants, shops, consumers, rings, olist.source)
