"""The simulator's honest overlap, without a database: each overlap at about its rate, honest near-duplicates that
anxin's own perceptual hash matches, unrelated honest photos that it does not, and the angry words risk reads."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any, cast

import pytest

from anxin.risk.model import threat_terms
from anxin.risk.phash import dhash, hamming
from anxin.risk.rulebook import load_risk_rulebook
from anxin.sim import overlap
from anxin.sim.cases import Cases
from anxin.sim.claims import Claim
from anxin.sim.freight import TARIFFS, honest_return
from anxin.sim.world import photo

RB = load_risk_rulebook()
RADIUS = RB.near_dup_radius
N = 2000


def _share(hits: int, n: int = N) -> float:
    return hits / n


def _near(rate: float, got: float) -> bool:
    """Within four standard deviations of a binomial share over N draws (and a point of slack)."""
    return abs(got - rate) <= 4 * (rate * (1 - rate) / N) ** 0.5 + 0.01


def test_angry_words_come_at_their_rate_only_with_a_real_problem_and_risk_reads_them() -> None:
    rng = random.Random(1)
    angry = [overlap.angry(rng, "收到的商品有问题，见照片", rng.choice(("quality", "damaged", "not_received")))
             for _ in range(N)]
    assert _near(overlap.THREAT_WORDS_SHARE, _share(sum(a is not None for a in angry)))
    assert all(overlap.angry(rng, "不太合适", r) is None for r in ("no_reason", "changed_mind_unshipped")
               for _ in range(200))
    for text in {a for a in angry if a is not None}:
        assert text.startswith("收到的商品有问题，见照片，") and threat_terms(text, RB.threat_terms)
    assert all(threat_terms(p, RB.threat_terms) for p in overlap.ANGRY_PHRASES)


def test_two_shots_of_one_item_come_at_their_rate_and_are_near_duplicates() -> None:
    rng = random.Random(2)
    pairs = [overlap.twice(rng, rng.randint(2, 3)) for _ in range(400)]
    taken = [p for p in pairs if p is not None]
    assert abs(len(taken) / 400 - overlap.PHOTO_TWICE_SHARE) < 0.09
    assert all(overlap.twice(rng, n) is None for n in (0, 1) for _ in range(100))
    for a, b in taken:
        assert a != b and hamming(dhash(a), dhash(b)) <= RADIUS
    # Two different items are never near-duplicates, nor are an item and an ordinary honest photo.
    items = [dhash(a) for a, _ in taken]
    assert min(hamming(x, y) for i, x in enumerate(items) for y in items[i + 1:]) > RADIUS
    plain = [dhash(photo(rng)) for _ in range(150)]
    assert min(hamming(x, y) for i, x in enumerate(plain) for y in plain[i + 1:]) > RADIUS
    assert min(hamming(x, y) for x in items for y in plain) > RADIUS


def test_a_photo_sent_again_comes_at_its_rate_and_only_when_there_is_one() -> None:
    rng = random.Random(3)
    earlier = [photo(rng) for _ in range(3)]
    again = [overlap.reuse(rng, earlier) for _ in range(N)]
    assert _near(overlap.PHOTO_REUSE_SHARE, _share(sum(a is not None for a in again)))
    assert all(a in earlier for a in again if a is not None)
    assert all(overlap.reuse(rng, []) is None for _ in range(100))


def _cases() -> Cases:
    return Cases(cast(Any, SimpleNamespace(overlap_rng=random.Random(4))))


def _claim(order_id: str, consumer_id: str, photos: int) -> Claim:
    order = SimpleNamespace(order_id=order_id, consumer=SimpleNamespace(consumer_id=consumer_id))
    return Claim(f"k-{order_id}", cast(Any, order), "return_refund", "quality", 1000, True, photos=photos)


def test_honest_photos_are_reused_across_an_accounts_orders_as_near_duplicates_never_across_accounts() -> None:
    cases, rng = _cases(), random.Random(5)
    sent: dict[str, list[int]] = {}  # consumer -> hashes of the photos sent
    kinds: dict[str, int] = {"photo_twice": 0, "photo_reuse": 0}
    for i in range(300):
        consumer = f"c-{i % 60:03d}"
        claim = _claim(f"o-{i:04d}", consumer, rng.randint(1, 3))
        photos = cases._honest_photos(claim, [photo(rng) for _ in range(claim.photos)])
        hashes = [dhash(p) for p in photos]
        if "photo_twice" in claim.overlaps:
            assert hamming(hashes[0], hashes[1]) <= RADIUS
        mine = sent.get(consumer, [])
        others = [h for c, hs in sent.items() if c != consumer for h in hs]
        reused = [h for h in hashes if any(hamming(h, m) <= RADIUS for m in mine)]
        assert bool(reused) == ("photo_reuse" in claim.overlaps)
        assert not any(hamming(h, o) <= RADIUS for h in hashes for o in others)  # never another account's
        kinds.update({k: kinds[k] + 1 for k in claim.overlaps})
        sent.setdefault(consumer, []).extend(hashes)
    assert kinds["photo_twice"] > 30 and kinds["photo_reuse"] > 30, kinds
    # Refiling the same order is not reuse: the photos sent on it are not offered again.
    cases._honest_photos(_claim("o-x", "c-new", 2), [photo(rng), photo(rng)])
    for _ in range(50):
        refiled = _claim("o-x", "c-new", 2)
        cases._honest_photos(refiled, [photo(rng), photo(rng)])
        assert "photo_reuse" not in refiled.overlaps


@pytest.mark.parametrize("goods_g", [300, 1500])
def test_honest_returns_go_above_the_tariff_or_light_at_their_rates(goods_g: int) -> None:
    rng, orng = random.Random(6), random.Random(7)
    seen = {"freight_above_tariff": 0, "light_return": 0}
    for _ in range(N):
        carrier, same = rng.choice(sorted(TARIFFS)), rng.random() < 0.5
        base = honest_return(rng, carrier, goods_g, same_province=same, home="home", work="work")
        parcel, kinds = overlap.freight(orng, base, carrier, same_province=same, goods_g=goods_g)
        if not kinds:
            assert parcel is base
        for k in kinds:
            seen[k] += 1
        if "freight_above_tariff" in kinds:
            assert parcel.freight_fen >= 1.2 * parcel.tariff_fen - 10 and not parcel.arbitraged
        else:
            assert parcel.freight_fen <= 1.05 * parcel.tariff_fen
        if "light_return" in kinds:
            assert parcel.weight_g < base.weight_g and parcel.weight_g <= 0.8 * goods_g + 120
        else:
            assert parcel.weight_g == base.weight_g
        assert parcel.from_address == base.from_address
    assert _near(overlap.FREIGHT_ABOVE_TARIFF_SHARE, _share(seen["freight_above_tariff"]))
    assert _near(overlap.LIGHT_RETURN_SHARE, _share(seen["light_return"]))


def test_every_overlap_is_named_and_the_rates_are_shares() -> None:
    assert set(overlap.OVERLAPS) == {"threat_words", "photo_twice", "photo_reuse", "freight_above_tariff",
                                     "light_return", "heavy_returner"}
    for rate in (overlap.THREAT_WORDS_SHARE, overlap.PHOTO_TWICE_SHARE, overlap.PHOTO_REUSE_SHARE,
                 overlap.FREIGHT_ABOVE_TARIFF_SHARE, overlap.LIGHT_RETURN_SHARE, overlap.HEAVY_BUYER_RETURN_SHARE):
        assert 0 < rate < 1
