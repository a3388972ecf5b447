"""The simulator's listing texts: labels that match what the texts say, dishonesty tied to latent quality, seller
kinds, and a seed that replays exactly. Built without a database (the built-in lists stand in for Olist)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

from anxin.sim import olist
from anxin.sim.listing_texts import ABSOLUTE, EFFICACY, LOOKALIKES, write_listings
from anxin.sim.world import LEAVES, SimConfig, World, build_world

WANTED = {name for leaf in LEAVES for name in leaf.olist}

def _world(seed: int = 7, **config: float) -> World:
    cfg = SimConfig(seed=seed, olist_dir=Path("/nonexistent/olist"), **config)  # type: ignore[arg-type]
    world = build_world(random.Random(seed), cfg, olist.load(cfg.olist_dir, wanted=WANTED))
    write_listings(random.Random(f"anxin-sim-listings:{seed}"), world, cfg)
    return world


def _texts(world: World) -> list[tuple[str, str, str, object]]:
    return [(li.listing_id, li.title, li.description, li.text) for s in world.shops for li in s.listings]


def test_labels_say_what_the_texts_say() -> None:
    world = _world()
    listings = [li for s in world.shops for li in s.listings]
    labels = Counter(li.text.label for li in listings if li.text)
    assert len(labels) == 3 and labels["violating"] >= 10 and labels["lookalike"] >= 10, labels
    for li in listings:
        assert li.text is not None and li.title and li.description
        text = li.title + li.description
        if li.text.label == "violating":
            assert li.text.terms and all(t in text for t in li.text.terms)
            assert all(p in text for p in li.text.phrases)
            assert "efficacy" not in li.text.kinds or li.leaf.top in ("cosmetics", "food")
            assert world.shops[[s.shop_id for s in world.shops].index(li.shop_id)].dishonest_listings
        else:  # honest texts never carry a forbidden claim; look-alikes carry a harmless phrase
            assert not any(p in text for p, _ in ABSOLUTE) and not any(
                p in text for claims in EFFICACY.values() for p, _ in claims), li
            if li.text.label == "lookalike":
                assert li.text.phrases[0] in text and li.text.phrases[0] in {p for v in LOOKALIKES.values() for p in v}
    assert {k for li in listings if li.text for k in li.text.kinds} == {"absolute", "efficacy"}


def test_dishonest_shops_and_bad_seller_kinds_lean_to_low_quality() -> None:
    world = _world(merchants=200)  # type: ignore[arg-type]
    dishonest = [s.merchant.quality for s in world.shops if s.dishonest_listings]
    honest = [s.merchant.quality for s in world.shops if not s.dishonest_listings]
    assert abs(len(dishonest) - 0.15 * len(world.shops)) <= 1
    assert sum(dishonest) / len(dishonest) < sum(honest) / len(honest) - 0.05
    kinds = Counter(m.kind for m in world.merchants)
    assert kinds == {"ordinary": 180, "counterfeit": 8, "low_quality": 12}
    bad = [m.quality for m in world.merchants if m.kind != "ordinary"]
    assert sum(bad) / len(bad) < sum(m.quality for m in world.merchants) / len(world.merchants)


def test_a_seed_replays_its_texts_and_leaves_the_rest_of_the_world_alone() -> None:
    assert _texts(_world(7)) == _texts(_world(7))
    assert _texts(_world(7)) != _texts(_world(8))
    # Everything but the texts is what the main stream alone builds.
    cfg = SimConfig(seed=7, olist_dir=Path("/nonexistent/olist"))
    plain = build_world(random.Random(7), cfg, olist.load(cfg.olist_dir, wanted=WANTED))
    written = _world(7)
    assert [[replace(li, title="", description="", text=None) for li in s.listings] for s in written.shops] == \
        [[replace(li, title="", description="", text=None) for li in s.listings] for s in plain.shops]
    assert [m.quality for m in written.merchants] == [m.quality for m in plain.merchants]


def test_no_dishonest_shops_no_violations() -> None:
    world = _world(dishonest_shop_share=0.0, counterfeit_seller_share=0.0)  # type: ignore[arg-type]
    assert not any(li.text and li.text.label == "violating" for s in world.shops for li in s.listings)
    assert not any(m.kind == "counterfeit" for m in world.merchants)
    phrases = [p for p, _ in ABSOLUTE] + [p for claims in EFFICACY.values() for p, _ in claims]
    assert not any(p in li.title + li.description for s in world.shops for li in s.listings for p in phrases)
