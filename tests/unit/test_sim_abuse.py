"""The simulator's abuse mix, without a database: tariffs, return parcels, near-duplicate photos, ring sizes and
sharing, attributes and their honest coincidences, and the main stream left where it was."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from tests.unit.test_sim_scoring_inputs import _generate

from anxin.bootstrap import Anxin
from anxin.core.clock import FixedClock
from anxin.orders.fulfilment_rules import load_fulfilment_rulebook
from anxin.risk.model import CONSUMER_KINDS, MERCHANT_KINDS
from anxin.risk.phash import dhash, hamming
from anxin.sim import SimConfig, Simulation
from anxin.sim.abuse import THREATS, Account
from anxin.sim.freight import TARIFFS, arbitraged_return, honest_return, tariff_fen
from anxin.sim.geo import REGIONS
from anxin.sim.identity import Identities
from anxin.sim.orders import H
from anxin.sim.photos import MAX_CROP, stock_photo, vary
from anxin.sim.rings import Ring, ring_sizes, share_attributes
from anxin.sim.world import Consumer

NO_OLIST = Path("/nonexistent/olist")
NEAR_DUP_BITS = 6  # the risk rulebook's near_dup_radius


# --- the carriers' tariff and return parcels ---------------------------------------------------------------

@pytest.mark.parametrize(("carrier", "grams", "same", "fen"), [
    ("sf", 0, True, 1200), ("sf", 500, True, 1200), ("sf", 1000, True, 1200), ("sf", 1001, True, 2000),
    ("sf", 1001, False, 2600), ("yto", 2500, False, 800 + 2 * 500 + 300), ("zto", 3000, True, 850 + 2 * 550),
    ("ems", 10_000, False, 1000 + 9 * 700 + 500),
])
def test_tariff_is_first_kg_plus_each_started_kg_plus_crossing_provinces(carrier: str, grams: int, same: bool,
                                                                         fen: int) -> None:
    assert tariff_fen(carrier, grams, same_province=same) == fen


def test_every_carrier_prices_within_the_published_ranges() -> None:
    assert set(TARIFFS) == {"sf", "jd", "zto", "yto", "sto", "yunda", "ems"}
    for first, extra, cross in TARIFFS.values():
        assert 800 <= first <= 1200 and 500 <= extra <= 800 and 300 <= cross <= 600


def test_honest_returns_declare_about_the_tariff_from_home_now_and_then_from_work() -> None:
    rng = random.Random(1)
    parcels = [honest_return(rng, rng.choice(sorted(TARIFFS)), 700, same_province=rng.random() < 0.5, home="home",
                             work="work") for _ in range(2000)]
    for p in parcels:
        assert 0.88 * p.tariff_fen <= p.freight_fen <= 1.05 * p.tariff_fen and p.freight_fen % 10 == 0
        assert 0.97 * 760 <= p.weight_g <= 1.03 * 1000 and not p.arbitraged
    from_work = sum(p.from_address == "work" for p in parcels) / len(parcels)
    assert 0.05 < from_work < 0.11
    assert all(p.from_address == "home" for p in (honest_return(rng, "sf", 700, same_province=True, home="home",
                                                                work=None) for _ in range(200)))
    bogus = [honest_return(rng, "sf", 2000, same_province=True, home="h", work=None, bogus=True) for _ in range(200)]
    assert all(p.weight_g < 0.7 * 2000 * 1.03 + 310 for p in bogus) and min(p.weight_g for p in bogus) < 900


def test_arbitraged_returns_always_use_at_least_one_trick() -> None:
    rng = random.Random(2)
    tricks: Counter[str] = Counter()
    for _ in range(2000):
        p = arbitraged_return(rng, rng.choice(sorted(TARIFFS)), 1500, same_province=False, home="home",
                              elsewhere="drop")
        used = {"excess": p.freight_fen >= 2.4 * p.tariff_fen, "elsewhere": p.from_address == "drop",
                "empty": p.weight_g <= 250}
        assert any(used.values()) and p.arbitraged
        tricks.update(k for k, v in used.items() if v)
    assert all(tricks[k] > 600 for k in ("excess", "elsewhere", "empty")), tricks
    assert p.data() == {"freight_fen": p.freight_fen, "weight_g": p.weight_g, "from_address": p.from_address}


# --- near-duplicate evidence -------------------------------------------------------------------------------

def test_a_varied_photo_stays_within_the_near_duplicate_radius_and_is_never_the_same_bytes() -> None:
    rng = random.Random(3)
    stock = [stock_photo(rng) for _ in range(40)]
    hashes = [dhash(s) for s in stock]
    worst, seen = 0, set(stock)
    for base, h in zip(stock, hashes, strict=True):
        for _ in range(15):
            copy = vary(base, rng)
            assert copy not in seen and copy[:3] == b"\xff\xd8\xff"  # a fresh JPEG each time
            seen.add(copy)
            worst = max(worst, hamming(h, dhash(copy)))
    assert worst <= NEAR_DUP_BITS
    # Different stock photos are far apart: one abuser's photo never passes for another's.
    assert min(hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:]) > 2 * NEAR_DUP_BITS


def test_a_variation_crops_and_resizes_by_at_most_five_percent() -> None:
    from io import BytesIO

    from PIL import Image

    rng = random.Random(4)
    base = stock_photo(rng)
    w, h = Image.open(BytesIO(base)).size
    for _ in range(50):
        cw, ch = Image.open(BytesIO(vary(base, rng))).size
        assert (1 - MAX_CROP) ** 2 * w - 1 <= cw <= (1 + MAX_CROP) * w + 1
        assert (1 - MAX_CROP) ** 2 * h - 1 <= ch <= (1 + MAX_CROP) * h + 1


# --- rings ---------------------------------------------------------------------------------------------------

def test_ring_sizes_span_the_range_and_use_the_budget() -> None:
    rng = random.Random(5)
    sizes = ring_sizes(rng, 400, 3, 50)
    assert all(3 <= s <= 50 for s in sizes) and sum(sizes) <= 400 and 400 - sum(sizes) < 3
    assert max(sizes) >= 20 and min(sizes) <= 8 and any(8 < s < 20 for s in sizes)
    assert ring_sizes(rng, 2, 3, 50) == [3] and ring_sizes(rng, 0, 3, 50) == []


def _ring(rng: random.Random, size: int) -> Ring:
    ids = Identities()
    start = REGIONS[0]
    members = []
    for n in range(size):
        consumer = Consumer(f"c{n}", True, 0.0, "x", start)
        account = Account(consumer, "ring", rng)
        account.person = ids.new_person(rng, consumer, *_period())
        members.append(account)
    return Ring("ring-x", members, [], "")


def _period() -> tuple[Any, Any]:
    config = SimConfig()
    return config.start, config.start + 30 * 24 * H


@pytest.mark.parametrize("size", [3, 7, 20, 50])
def test_ring_members_share_in_overlapping_ways_and_nobody_shares_nothing(size: int) -> None:
    rng = random.Random(size)
    ring = _ring(rng, size)
    share_attributes(ring, careful=False)
    sharing: Counter[str] = Counter()
    for kind, values in ring.shared.items():
        for value, members in values.items():
            assert 2 <= len(members) <= 25  # a value shared by more links nobody (the rulebook's hub guard)
            sharing.update(members)
            for cid in members:
                person = next(m.person for m in ring.members if m.consumer.consumer_id == cid)
                registered = person.registration()
                assert registered["ip" if kind == "ip" else kind] == value
    assert set(sharing) == {m.consumer.consumer_id for m in ring.members}
    if size >= 20:  # not every member shares everything
        assert len(set(sharing.values())) > 1 and min(sharing.values()) < len(ring.shared)


# --- attributes and the honest coincidences ------------------------------------------------------------------

def _sim(**overrides: Any) -> Simulation:
    config = SimConfig(**{"days": 8, "merchants": 24, "seed": 11, "olist_dir": NO_OLIST, **overrides})
    stand_in = SimpleNamespace(clock=FixedClock(config.start), fulfilment_rules=load_fulfilment_rulebook())
    return Simulation(cast(Anxin, stand_in), config)


def test_everyone_has_attributes_and_the_honest_world_shares_some() -> None:
    sim = _sim(merchants=50)
    ids, world = sim.identities, sim.world
    people = [ids.of(c) for c in world.consumers]
    assert all(set(p.registration()) == set(CONSUMER_KINDS) for p in people)
    assert all(set(p.checkout("o-1", sim.start)) == set(CONSUMER_KINDS) - {"return_address"} for p in people)
    # Students of a campus share its address and its public IP.
    assert ids.campuses and all(len(group) >= 3 for group in ids.campuses.values())
    for group in ids.campuses.values():
        assert len({ids.people[c].address for c in group}) == 1 and len({ids.people[c].home_ip for c in group}) == 1
    # Families share an address and a broadband IP; carriers' NAT IPs front dozens of buyers.
    assert ids.families and all(2 <= len(g) <= 4 for g in ids.families.values())
    for group in ids.families.values():
        assert len({(ids.people[c].address, ids.people[c].home_ip) for c in group}) == 1
    nat = Counter(ip for p in people for ip in p.mobile_ips)
    assert max(nat.values()) >= 20
    # People change phones: the checkout shows the new one after the change.
    changed = ids.people[ids.device_changes[0]]
    (_, first), (since, second) = changed.devices[0], changed.devices[-1]
    assert since is not None
    assert changed.device_at(since - H) == first and changed.device_at(since + H) == second != first
    assert changed.ip_for("o-000001") == changed.ip_for("o-000001")  # no draw: the order id decides


def test_shops_share_credentials_within_a_merchant_and_reopened_shops_reuse_a_bad_ones() -> None:
    sim = _sim(merchants=50)
    ids = sim.identities
    assert all(set(c) == set(MERCHANT_KINDS) for c in ids.shops.values())
    for m in sim.world.merchants:
        if len(m.shops) > 1:  # one licence, many shops
            assert len({ids.shops[s.shop_id]["licence"] for s in m.shops}) == 1
    assert len(ids.reopened) == 2
    for shop in ids.reopened:
        old = ids.shops[shop.reuses]
        assert shop.kinds and {k for k in MERCHANT_KINDS if shop.credentials[k] == old[k]} == set(shop.kinds)
        assert shop.shop_id not in ids.shops and sim.start < shop.at < sim.end
    assert ids.agencies  # unrelated merchants whose shops one agency runs from one device


def test_the_mix_casts_every_cohort_with_ids_after_the_main_population() -> None:
    sim = _sim(merchants=50)
    accounts = sim.abuse.accounts
    assert set(Counter(a.cohort for a in accounts.values())) == {
        "evidence_reuse", "freight_arbitrage", "ring", "extortion", "refund_without_return", "serial_returner",
        "heavy_buyer"}
    assert min(int(cid[2:]) for cid in accounts) == len(sim.world.consumers) + 1
    assert all(a.consumer.abusive == (a.cohort != "heavy_buyer") for a in accounts.values())
    for ring in sim.abuse.rings:
        registered = sorted(m.consumer.registered_at for m in ring.members)
        assert registered[-1] - registered[0] <= 72 * H and registered[-1] < sim.start
    with pytest.raises(ValueError, match="unknown abuse_mix"):
        _sim(abuse_mix={"phishing": 1.0})
    assert not _sim(abuse_mix={}).abuse.accounts
    assert THREATS == ("不退款就曝光", "打12315投诉", "给差评", "找媒体")


# --- the main stream stays where it was ------------------------------------------------------------------------

class _NoCases:
    """After-sales needs anxin's service: here every request is dropped."""

    def __init__(self) -> None:
        self.claims: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


def _main_events(**overrides: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """The run loop without ingestion: every event of the main stream, attributes left out."""
    sim = _sim(**overrides)
    sim.cases = cast(Any, _NoCases())
    mix = set(sim.abuse.accounts) | {r.shop_id for r in sim.identities.reopened}
    events = _generate(sim)
    own = {o.order_id for o in sim.orders.all if o.rng is not None}
    own_parcels = {o.parcel.tracking_no for o in sim.orders.all  # (a fake shipper may reuse a main parcel's number)
                   if o.rng is not None and o.parcel is not None and o.parcel.reused_from is None}
    out = []
    for e in events:
        d = {k: v for k, v in e["data"].items() if k not in ("risk", "credentials")}
        if d.get("order_id") in own or d.get("consumer_id") in mix or d.get("shop_id") in mix \
                or d.get("tracking_no") in own_parcels:
            continue
        out.append((e["type"], e["occurred_at"], d))
    return out


def test_the_mix_and_the_attributes_leave_the_main_streams_events_alone() -> None:
    plain = _main_events(abuse_mix={}, attributes=False, reopened_shop_share=0.0)
    assert plain == _main_events()
    assert plain == _main_events(abuse_mix={"ring": 3.0, "extortion": 2.0}, ring_sizes=(5, 30))
