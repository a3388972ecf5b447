"""Rings that are found (issue 19): hub down-weighting, pair ties, synchronized groups, with plain objects."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.risk.ring_groups import (
    CO_CLAIM,
    ClaimAt,
    GroupIndex,
    GroupParams,
    detect_groups,
    idf,
    pair_ties,
    score_group,
    value_weight,
)

T0 = dt.datetime(2026, 11, 1, 12)
H = dt.timedelta(hours=1)


# --- hub down-weighting -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "degree", "weight"), [
    ("device", 1, 0.0),  # nobody to share with
    ("device", 2, 1.0),
    ("device", 6, 1.0),  # a phone farm: strong kinds do not fade with degree
    ("device", 25, 1.0),
    ("device", 26, 0.0),  # a hub: a default device id
    ("payment", 4, 1.0),
    ("phone", 3, 1.0),
    ("return_address", 2, 0.5),
    ("return_address", 4, 0.25),
    ("address", 2, 0.25),
    ("address", 4, 0.125),
    ("address", 8, 0.25 / 3),
    ("ip", 16, 0.0625),
    ("ip", 25, 0.25 * idf(25)),
    ("ip", 200, 0.0),  # a campus network
])
def test_value_weights_fade_with_degree_for_weak_kinds_only(kind: str, degree: int, weight: float) -> None:
    assert value_weight(kind, degree) == pytest.approx(weight)


def test_idf_and_unknown_kinds() -> None:
    assert idf(2) == 1.0 and idf(4) == 0.5 and idf(1) == 0.0
    assert [round(idf(d), 3) for d in (2, 3, 4, 8, 16)] == sorted([round(idf(d), 3) for d in (2, 3, 4, 8, 16)],
                                                                  reverse=True)
    with pytest.raises(ValueError, match="unknown link kind"):
        value_weight("email", 2)
    with pytest.raises(ValueError, match="unknown link kind"):
        pair_ties([("a", "email", "x")], [])


def campus(n: int, prefix: str = "s") -> list[tuple[str, str, str]]:
    return [(f"{prefix}{i}", kind, f"campus-{kind}") for i in range(n) for kind in ("address", "ip")]


@pytest.mark.parametrize(("links", "tied_pairs", "hubs"), [
    (campus(200), 0, 2),  # a campus: two hub values, nobody tied
    (campus(20), 0, 0),  # a small campus under the hub degree: weak ties only
    ([("a", "device", "d"), ("b", "device", "d")], 1, 0),
    ([("a", "address", "x"), ("b", "address", "x"), ("a", "ip", "y"), ("b", "ip", "y")], 0, 0),  # a flat: ½
    ([("a", "return_address", "x"), ("b", "return_address", "x"), ("a", "ip", "y"), ("b", "ip", "y"),
      ("a", "address", "z"), ("b", "address", "z")], 1, 0),  # a household: ½ + ¼ + ¼
    ([("a", "ip", "y"), ("b", "ip", "y"), ("a", "ip", "y2"), ("b", "ip", "y2")], 0, 0),  # two IPs: one kind
    ([("a", "device", " "), ("b", "device", " ")], 0, 0),  # missing values
])
def test_pairs_tie_through_strong_or_several_weak_values(links: list[tuple[str, str, str]], tied_pairs: int,
                                                        hubs: int) -> None:
    p = GroupParams()
    pairs, n_hubs = pair_ties(links, [], p)
    assert sum(pair.affinity(p) >= p.tie for pair in pairs.values()) == tied_pairs
    assert n_hubs == hubs


# --- synchronized groups ------------------------------------------------------------------------------------------

def campaign(members: list[str], shops: list[str], at: dt.datetime, spread_h: float = 20) -> list[ClaimAt]:
    """Every member claims at every shop within ``spread_h`` hours."""
    n = len(members) * len(shops)
    return [ClaimAt(m, s, at + k * spread_h / max(1, n - 1) * H)
            for k, (m, s) in enumerate((m, s) for m in members for s in shops)]


RING = [f"r{i}" for i in range(8)]


@pytest.mark.parametrize(("name", "links", "claims", "expect"), [
    ("lock-step on two shops, nothing shared", [],
     campaign(RING, ["shop-a"], T0) + campaign(RING, ["shop-b"], T0 + 7 * 24 * H), [8]),
    ("one campaign on one shop is not enough", [], campaign(RING, ["shop-a"], T0), []),
    ("claims at the same shops but weeks apart", [],
     [ClaimAt(m, "shop-a", T0 + i * 100 * H) for i, m in enumerate(RING)]
     + [ClaimAt(m, "shop-b", T0 + i * 100 * H) for i, m in enumerate(RING)], []),
    ("a device farm that has never claimed", [(m, "device", f"dev-{i % 2}") for i, m in enumerate(RING)], [], []),
    ("a device farm claiming together", [(m, "device", f"dev-{i % 2}") for i, m in enumerate(RING)],
     campaign(RING[:4], ["shop-a"], T0) + campaign(RING[4:], ["shop-a", "shop-b"], T0 + 200 * H), [8]),
    ("a household (one address, a tablet) that claims together", [(m, kind, f"home-{kind}") for m in RING[:4]
                                                                   for kind in ("address", "device")],
     campaign(RING[:4], ["shop-a"], T0) + campaign(RING[:4], ["shop-b"], T0 + 200 * H), []),
    ("a campus claiming where it shops", campus(30, "s"),
     campaign([f"s{i}" for i in range(30)], ["canteen"], T0), []),
])
def test_synchronized_groups(name: str, links: list[tuple[str, str, str]], claims: list[ClaimAt],
                             expect: list[int]) -> None:
    assert [g.size for g in detect_groups(links, claims)] == expect, name


def test_a_ring_is_not_merged_into_the_campus_it_sits_in() -> None:
    students = [f"s{i}" for i in range(20)]
    links = campus(20) + [(m, kind, "campus-" + kind) for m in RING for kind in ("address", "ip")]
    links += [(m, "device", f"dev-{i % 3}") for i, m in enumerate(RING)]
    claims = campaign(RING, ["shop-a", "shop-b"], T0) + campaign(students[:5], ["canteen"], T0)
    [ring] = detect_groups(links, claims)
    assert ring.members == tuple(sorted(RING))
    assert dict(ring.evidence)[CO_CLAIM] == 28 and "device" in ring.kinds
    assert ring.co_claim_shops == ("shop-a", "shop-b") and ring.score == 1.0 and ring.is_ring
    everything = detect_groups(links, claims, include_all=True)
    assert sorted(g.size for g in everything) == [8]  # students tie to nobody: one weak kind each


def test_score_group_of_a_chain_is_sparse() -> None:
    chain = [(f"c{i}", "device", f"d{i}") for i in range(10)] + [(f"c{i + 1}", "device", f"d{i}") for i in range(9)]
    claims = campaign(["c0", "c1"], ["shop-a", "shop-b"], T0)
    p = GroupParams()
    pairs, _ = pair_ties(chain, claims, p)
    group = score_group([f"c{i}" for i in range(10)], pairs, p)
    assert group.density == pytest.approx(9 / 45) and not group.is_ring  # too few shops claimed together
    big = detect_groups(chain, [], GroupParams(max_size=5), include_all=True)
    assert [(g.size, g.score) for g in big] == [(10, 0.0)]


def test_params_are_checked_and_the_index_answers_by_account() -> None:
    for bad in ({"min_size": 1}, {"hub_degree": 1}, {"tie": 0}, {"min_score": 2}, {"co_claim_shops_full": 0}):
        with pytest.raises(ValueError):
            GroupParams(**bad)  # type: ignore[arg-type]
    index = GroupIndex()
    groups = detect_groups([], campaign(RING, ["shop-a"], T0) + campaign(RING, ["shop-b"], T0 + 100 * H),
                           include_all=True)
    index.replace(groups)
    assert index.group_of("r3") is groups[0] and index.group_of("x") is None and len(index.groups) == 1
