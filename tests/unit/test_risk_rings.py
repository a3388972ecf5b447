"""Fraud rings (issue 5): the account–value link graph, its components built link by link and in batch, the score."""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from anxin.risk.rings import (
    KINDS,
    Evidence,
    Hub,
    Link,
    RingGraph,
    RingParams,
    build_batch,
    components_from_edges,
    detect_rings,
    score_component,
)


def partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = defaultdict(set)
    for node, label in enumerate(labels.tolist()):
        groups[label].add(node)
    return {frozenset(g) for g in groups.values()}


def reference_components(links: list[Link], max_value_degree: int) -> list[list[str]]:
    """The components by definition: clean, dedupe, drop hub values, search the account projection."""
    members: dict[tuple[str, str], set[str]] = defaultdict(set)
    accounts: set[str] = set()
    for account, kind, value in links:
        a, v = (account or "").strip(), (value or "").strip()
        if a and v:
            members[(kind, v)].add(a)
            accounts.add(a)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for accs in members.values():
        if len(accs) <= max_value_degree:
            for x in accs:
                neighbours[x] |= accs
    seen: set[str] = set()
    out = []
    for start in sorted(accounts):
        if start in seen:
            continue
        comp, todo = {start}, [start]
        while todo:
            for y in neighbours[todo.pop()] - comp:
                comp.add(y)
                todo.append(y)
        seen |= comp
        out.append(sorted(comp))
    return sorted(out, key=lambda c: c[0])


def coded(links: list[Link]) -> tuple[list[int], list[int], list[int], list[str], list[str]]:
    """The same links as integer codes for ``detect_rings`` (a missing value is -1; a link without account dropped)."""
    acc: dict[str, int] = {}
    val: dict[tuple[str, str], int] = {}
    a_idx, v_idx = [], []
    for account, kind, value in links:
        a = (account or "").strip()
        if not a:
            continue
        v = (value or "").strip()
        a_idx.append(acc.setdefault(a, len(acc)))
        v_idx.append(val.setdefault((kind, v), len(val)) if v else -1)
    kinds = [KINDS.index(k) for k, _ in val]
    return a_idx, v_idx, kinds, list(acc), [v for _, v in val]


# --- components -----------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))))
def test_batch_labels_equal_scipy_partition(case: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = case
    src = np.array([e[0] for e in edges], dtype=np.int64)
    dst = np.array([e[1] for e in edges], dtype=np.int64)
    labels = components_from_edges(src, dst, n)
    graph = coo_matrix((np.ones(len(edges)), (src, dst)), shape=(n, n))
    _, expected = connected_components(graph, directed=False)
    assert partition(labels) == partition(expected)
    for node, label in enumerate(labels.tolist()):  # the label is the smallest node of the component
        assert label <= node and labels[label] == label


def test_batch_labels_on_a_large_random_graph_and_a_long_path() -> None:
    rng = np.random.default_rng(5)
    n = 200_000
    src, dst = rng.integers(0, n, 150_000), rng.integers(0, n, 150_000)
    _, expected = connected_components(coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)), directed=False)
    assert partition(components_from_edges(src, dst, n)) == partition(expected)
    perm = rng.permutation(n)  # a path in random id order: the most rounds of hooking
    assert (components_from_edges(perm[:-1], perm[1:], n) == 0).all()


@pytest.mark.parametrize(("src", "dst", "n"), [([0], [3], 3), ([-1], [0], 3), ([0, 1], [1], 3), ([0.5], [1], 3)])
def test_batch_labels_refuse_bad_edges(src: list[float], dst: list[int], n: int) -> None:
    with pytest.raises(ValueError):
        components_from_edges(np.array(src), np.array(dst), n)


def test_batch_labels_of_no_edges_and_self_loops() -> None:
    assert components_from_edges(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 3).tolist() == [0, 1, 2]
    assert components_from_edges(np.array([1, 2, 2]), np.array([1, 2, 0]), 4).tolist() == [0, 1, 0, 3]


LINKS = st.lists(st.tuples(
    st.sampled_from(["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", " c1 ", "", None]),
    st.sampled_from(KINDS),
    st.sampled_from(["v1", "v2", "v3", "v4", "v5", " v1", "", "  ", None])), max_size=80)


@settings(max_examples=200, deadline=None)
@given(LINKS, st.integers(2, 6), st.randoms(use_true_random=False))
def test_incremental_equals_batch_and_the_definition(links: list[Link], max_degree: int, rnd: random.Random) -> None:
    params = RingParams(min_size=2, max_size=6, min_density=0.2, min_strong_kinds=1, max_value_degree=max_degree)
    inc = RingGraph(params)
    inc.add_links(links)
    shuffled = list(links)
    rnd.shuffle(shuffled)
    batch = build_batch(shuffled, params)
    expected = reference_components(links, max_degree)
    assert inc.components() == batch.components() == expected
    assert inc.hubs() == batch.hubs()
    assert inc.rings(include_all=True) == batch.rings(include_all=True)
    assert inc.links == batch.links
    for comp in expected:  # the roots agree with the partition
        assert len({inc.component_of(a) for a in comp}) == 1
        assert inc.component_size(comp[0]) == len(comp)
    a, v, kinds, names, values = coded(links)
    assert detect_rings(a, v, kinds, names, values, params).rings == batch.rings()


def test_detect_rings_on_many_random_links() -> None:
    rng = random.Random(3)
    params = RingParams(max_value_degree=6)
    links: list[Link] = [(f"c{rng.randrange(3000)}", rng.choice(KINDS), f"v{rng.randrange(4000)}")
                         for _ in range(12_000)]
    for r in range(40):  # planted rings of 3-6 (under the hub threshold) sharing a device and a card
        for i in range(3 + r % 4):
            links += [(f"r{r}_{i}", "device", f"dev{r}"), (f"r{r}_{i}", "payment", f"card{r}")]
    batch = build_batch(links, params)
    got = detect_rings(*coded(links), params)
    assert got.rings == batch.rings()
    assert {g.component for g in got.rings} >= {f"r{r}_0" for r in range(40)}
    labels = got.labels.tolist()
    names = coded(links)[3]
    by_label: dict[int, list[str]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(names[i])
    assert sorted(sorted(g) for g in by_label.values()) == batch.components() == reference_components(links, 6)


def test_many_hub_splits_in_a_giant_component_then_more_links() -> None:
    # Weak values reach the hub threshold one after another inside one giant component: every split must leave the
    # same components as building from scratch, and later links must join the pieces that were moved.
    rng = random.Random(11)
    params = RingParams(max_value_degree=5)
    g = RingGraph(params)
    links: list[Link] = []
    for step in range(3):
        batch_links: list[Link] = [(f"c{rng.randrange(400)}", rng.choice(("ip", "address", "device")),
                                    f"v{rng.randrange(150 if step < 2 else 600)}") for _ in range(1500)]
        g.add_links(batch_links)
        links += batch_links
        assert g.components() == build_batch(links, params).components() == reference_components(links, 5)
        assert g.hubs() == build_batch(links, params).hubs()
        assert g.rings(include_all=True) == build_batch(links, params).rings(include_all=True)
        for comp in g.components():
            assert g.component_size(comp[0]) == len(comp) and len({g.component_of(a) for a in comp}) == 1


# --- the score ------------------------------------------------------------------------------------------------


def ring_links(n: int, prefix: str = "r", devices: int = 1, cards: int = 1) -> list[Link]:
    """``n`` accounts sharing a pool of devices (round robin) and a pool of cards (in blocks), crossed."""
    out: list[Link] = []
    for i in range(n):
        out += [(f"{prefix}{i}", "device", f"{prefix}-dev{i % devices}"),
                (f"{prefix}{i}", "payment", f"{prefix}-card{i * cards // n}"),
                (f"{prefix}{i}", "phone", f"{prefix}-phone{i}")]  # their own phones: link nobody
    return out


def test_a_ring_of_three_sharing_device_and_payment() -> None:
    g = RingGraph()
    g.add_links(ring_links(3))
    ring = g.ring_for("r1")
    assert ring is not None and ring.is_ring
    assert (ring.component, ring.members, ring.size) == ("r0", ("r0", "r1", "r2"), 3)
    assert (ring.density, ring.score, ring.joint_strong_kinds) == (1.0, 1.0, 2)
    assert ring.strong_kinds == ("device", "payment")
    assert ring.evidence == (Evidence("device", "r-dev0", ("r0", "r1", "r2")),
                             Evidence("payment", "r-card0", ("r0", "r1", "r2")))
    assert ring.evidence_for("r2") == ring.evidence
    assert g.rings() == [ring]


def test_a_ring_of_fifty() -> None:
    # With the default hub threshold (25) no value can be shared by all 50: two devices and two cards, crossed.
    g = RingGraph()
    g.add_links(ring_links(50, devices=2, cards=2))
    ring = g.ring_for("r0")
    assert ring is not None and ring.is_ring and ring.size == 50 and g.hubs() == []
    both = 2 * (13 * 12 // 2 + 12 * 11 // 2)  # pairs on the same device and the same card
    assert ring.density == pytest.approx((600 + 600 - both) / 1225)
    # With a threshold above 50, one device and one card shared by all: every pair is tied.
    g = RingGraph(RingParams(max_value_degree=60))
    g.add_links(ring_links(50))
    ring = g.ring_for("r49")
    assert ring is not None and ring.is_ring and (ring.density, ring.score) == (1.0, 1.0)


def test_a_campus_address_is_not_a_ring() -> None:
    g = RingGraph()
    for i in range(500):  # otherwise unrelated students: their own devices and cards
        g.add_links([(f"s{i}", "address", "Campus Rd 1, dorm 3"), (f"s{i}", "device", f"d{i}"),
                     (f"s{i}", "payment", f"p{i}")])
    assert g.hubs() == [Hub("address", "Campus Rd 1, dorm 3", 500)]
    assert len(g.components()) == 500 and g.rings(include_all=True) == []
    assert g.ring_for("s7") is None
    # A department of 20 below the hub threshold is one component, but every pair is tied by one weak kind only.
    g = RingGraph()
    for i in range(20):
        g.add_links([(f"s{i}", "address", "Lab building"), (f"s{i}", "ip", "10.0.0.1"), (f"s{i}", "device", f"d{i}")])
    ring = g.ring_for("s0")
    assert ring is not None and ring.size == 20 and not ring.is_ring
    assert (ring.density, ring.score, ring.strong_kinds) == (0.5, 0.0, ())


def test_a_chain_of_coincidences_has_a_low_density() -> None:
    g = RingGraph()
    for i in range(10):  # each account shares one strong value with the next only
        g.add_link(f"c{i}", KINDS[i % 2 * 3], f"x{i}")  # device, payment alternately
        g.add_link(f"c{i + 1}", KINDS[i % 2 * 3], f"x{i}")
    ring = g.ring_for("c0")
    assert ring is not None and ring.size == 11 and ring.density == pytest.approx(10 / 55)
    assert not ring.is_ring


def test_a_value_crossing_the_hub_threshold_splits_its_component() -> None:
    g = RingGraph(RingParams(max_value_degree=4))
    g.add_links([("a", "device", "d1"), ("b", "device", "d1"), ("c", "device", "d2"), ("d", "device", "d2")])
    joined = [g.add_link(x, "ip", "1.2.3.4") for x in "abcd"]
    assert joined[0] == set() and all(len(r) == 1 for r in joined[1:])
    assert g.components() == [["a", "b", "c", "d"]]
    roots = g.add_link("e", "ip", "1.2.3.4")  # the fifth account: the IP becomes a hub
    assert {tuple(g.members_of(r)) for r in roots} == {("a", "b"), ("c", "d")}
    assert g.components() == [["a", "b"], ["c", "d"], ["e"]]
    assert g.component_of("a") != g.component_of("c")
    ring = g.ring_for("a")
    assert ring is not None and ring.evidence == (Evidence("device", "d1", ("a", "b")),)
    assert ring.hubs == (Hub("ip", "1.2.3.4", 5),)
    assert g.add_link("f", "ip", "1.2.3.4") == set() and g.hubs() == [Hub("ip", "1.2.3.4", 6)]
    assert build_batch([(x, "ip", "1.2.3.4") for x in "abcdef"], g.params).hubs() == g.hubs()


def test_missing_attributes_and_self_links_are_ignored() -> None:
    g = RingGraph()
    assert g.add_link("a", "device", None) == g.add_link("a", "device", "") == g.add_link("a", "phone", "  ") == set()
    assert g.add_link(None, "device", "d1") == g.add_link(" ", "device", "d1") == set()
    assert g.skipped == 5 and g.n_accounts == 0 and g.ring_for("a") is None
    g.add_link("a", "device", "d1")
    assert g.ring_for("a") is None  # a value only it has links nobody
    assert g.add_link("b", "device", " d1 ") != set()
    assert g.add_link("b", "device", "d1") == g.add_link(" b", "device", "d1") == set()  # self-links add nothing
    assert g.links == 2
    ring = g.ring_for("b")
    assert ring is not None and ring.evidence == (Evidence("device", "d1", ("a", "b")),)
    with pytest.raises(ValueError, match="unknown link kind"):
        g.add_link("a", "email", "x@example.com")


def test_one_giant_component_is_reported_by_size() -> None:
    g = RingGraph(RingParams(max_size=50))
    for i in range(200):  # a chain of shared addresses joins 201 accounts
        g.add_links([(f"c{i}", "address", f"a{i}"), (f"c{i + 1}", "address", f"a{i}")])
    giant = g.ring_for("c5")
    assert giant is not None and not giant.scored and not giant.is_ring and giant.size == 201
    assert g.rings() == [] and g.rings(include_all=True) == [giant]


def test_params_are_checked() -> None:
    for bad in ({"min_size": 1}, {"min_size": 5, "max_size": 4}, {"min_density": 1.5}, {"max_value_degree": 1},
                {"min_strong_kinds": 7}, {"weights": (("device", 1.0),)}):
        with pytest.raises(ValueError):
            RingParams(**bad)


# A component of ``n`` accounts where every pair shares a device and a card: density 1, two strong kinds.
@pytest.mark.parametrize(("n", "params", "is_ring"), [
    (2, RingParams(min_size=3), False),
    (3, RingParams(min_size=3), True),
    (8, RingParams(min_size=3, max_size=8, max_value_degree=10), True),
    (9, RingParams(min_size=3, max_size=8, max_value_degree=10), False),
    (2, RingParams(min_size=2), True),
    (3, RingParams(min_strong_kinds=3), False),
])
def test_size_edges(n: int, params: RingParams, is_ring: bool) -> None:
    g = RingGraph(params)
    g.add_links(ring_links(n))
    ring = g.ring_for("r0")
    assert ring is not None and ring.is_ring is is_ring and ring.size == n


# Four accounts tied a-b (device and card), b-c (card), c-d (device): 3 of 6 pairs, density exactly 0.5.
@pytest.mark.parametrize(("min_density", "is_ring"), [(0.0, True), (0.5, True), (0.5000001, False), (1.0, False)])
def test_density_edges(min_density: float, is_ring: bool) -> None:
    evidence = [Evidence("device", "d1", ("a", "b")), Evidence("payment", "p0", ("a", "b")),
                Evidence("payment", "p1", ("b", "c")), Evidence("device", "d2", ("c", "d"))]
    ring = score_component("abcd", evidence, (), RingParams(min_size=3, min_density=min_density))
    assert (ring.density, ring.joint_strong_kinds, ring.is_ring, ring.score) == (0.5, 2, is_ring, 0.5)


def test_strong_kinds_on_different_pairs_are_coincidence() -> None:
    # A household (one flat, one home IP, one tablet) whose member reuses a recycled phone number of a stranger:
    # a device and a phone are both present, but no pair shares both.
    g = RingGraph()
    for m in ("h1", "h2", "h3"):
        g.add_links([(m, "address", "flat 7"), (m, "ip", "home"), (m, "return_address", "flat 7")])
    g.add_links([("h1", "device", "tablet"), ("h2", "device", "tablet"), ("h3", "phone", "138"),
                 ("stranger", "phone", "138")])
    ring = g.ring_for("h1")
    assert ring is not None and ring.size == 4 and ring.strong_kinds == ("device", "phone")
    assert ring.density == 4 / 6 and ring.joint_strong_kinds == 1 and ring.score == ring.density / 2
    assert not ring.is_ring
    g.add_link("h2", "payment", "family card")  # the two who share the tablet also share a card: it looks like a ring
    g.add_link("h1", "payment", "family card")
    ring = g.ring_for("h1")
    assert ring is not None and ring.joint_strong_kinds == 2 and ring.is_ring


def test_devices_and_cards_rotated_through_a_ring() -> None:
    # Six accounts on two devices and three cards, no pair on both: each kind runs through every member.
    g = RingGraph()
    g.add_links([(f"r{i}", kind, value) for i in range(6)
                 for kind, value in (("device", f"dev-{i % 2}"), ("payment", f"card-{i % 3}"))])
    ring = g.ring_for("r0")
    assert ring is not None and ring.density == 9 / 15 and ring.joint_strong_kinds == 2 and ring.is_ring
    # One kind through the group and another on one pair only (below two thirds of the members): not joint.
    evidence = [Evidence("device", "d", ("a", "b", "c", "d")), Evidence("phone", "p", ("c", "d"))]
    assert score_component("abcd", evidence, (), RingParams()).joint_strong_kinds == 2  # c-d share both
    evidence = [Evidence("device", "d", ("a", "b", "c")), Evidence("phone", "p", ("c", "d"))]
    assert score_component("abcd", evidence, (), RingParams()).joint_strong_kinds == 1
    # In a trio two thirds is one pair: a couple's card and a phone recycled to a stranger are not joint either.
    evidence = [Evidence("payment", "c", ("a", "b")), Evidence("phone", "p", ("b", "c"))]
    assert score_component("abc", evidence, (), RingParams()).joint_strong_kinds == 1


def test_weak_kinds_count_once_per_pair() -> None:
    evidence = [Evidence("ip", "1", ("a", "b")), Evidence("ip", "2", ("a", "b")), Evidence("address", "x", ("a", "b")),
                Evidence("return_address", "y", ("a", "b")), Evidence("device", "d", ("a", "b"))]
    two = score_component("ab", evidence[:2], (), RingParams())
    assert two.density == 0.25  # two IPs: one kind
    assert score_component("ab", evidence[:4], (), RingParams()).density == 1.0  # 0.25 + 0.25 + 0.5
    assert score_component("ab", evidence, (), RingParams()).score == 0.5  # one strong kind: half the score
