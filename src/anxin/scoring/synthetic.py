"""Synthetic scoring facts at any size, vectorised (NumPy), deterministic per seed.

For the engine-equality tests and the throughput benchmark: shops with a latent quality drive every
fact (late collections, slow delivery, bad reviews, quality refunds, complaints, disputes, slow chat
replies), across categories with a skewed shop size. Not the simulator: no events, no database, just
the canonical fact tables (``facts.py``), so 20 million orders take seconds to make.

A data set too large to make at once is made in chunks that share one ``Population`` (the shops, creators
and consumers): each chunk is ``synthetic_facts(n, population=pop, offset=first_id, seed=chunk_seed)`` with
its own seed and a disjoint id range, and the consumer accounts come once from ``consumer_accounts(pop)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from anxin.scoring.facts import FACTS

CATEGORIES = ("apparel", "food", "fresh", "cosmetics", "3c", "jewelry", "home", "toys")
REASONS = ("quality", "damaged", "no_reason", "not_as_described", "wrong_item", "spoiled", "not_received")
H = 3600


def _ids(prefix: str, idx: np.ndarray, width: int) -> pa.Array:
    return pa.array(np.char.add(prefix, np.char.zfill(idx.astype(str), width)))


def _nullable(values: np.ndarray, mask: np.ndarray) -> pa.Array:
    return pa.array(values, mask=mask, type=pa.int64())


@dataclass(frozen=True)
class Population:
    """The shops, creators and consumers that every chunk of one chunked data set shares."""

    quality: np.ndarray   # each shop's latent quality (0..1)
    size: np.ndarray      # each shop's relative share of the orders
    category: np.ndarray  # each shop's main category (index into CATEGORIES)
    honesty: np.ndarray   # each creator's latent honesty (0..1)
    n_consumers: int


def population(n_orders: int, *, n_shops: int | None = None, n_creators: int | None = None,
               seed: int = 1) -> Population:
    """The population of a data set of ``n_orders`` orders in total (sized as ``synthetic_facts`` sizes it)."""
    rng = np.random.default_rng(seed)
    n_shops = n_shops or max(20, n_orders // 200)
    n_creators = n_creators or max(5, n_shops // 10)
    return Population(rng.beta(4, 2, n_shops), rng.pareto(1.5, n_shops) + 1,
                      rng.integers(0, len(CATEGORIES), n_shops), rng.beta(4, 2, n_creators), max(10, n_orders // 8))


def consumer_accounts(pop: Population, *, seed: int = 1, end: int = 1_793_548_800) -> pa.Table:
    """The ``consumers`` table of a chunked data set: every consumer of the population, once."""
    rng = np.random.default_rng(seed)
    return pa.table({"consumer_id": _ids("c", np.arange(pop.n_consumers), 8),
                     "registered_at": end - rng.integers(86_400, 1500 * 86_400, pop.n_consumers)},
                    schema=FACTS["consumers"].schema)


def synthetic_facts(n_orders: int, *, n_shops: int | None = None, seed: int = 1, end: int = 1_793_548_800,
                    days: int = 60, n_creators: int | None = None, population: Population | None = None,
                    offset: int = 0) -> tuple[dict[str, pa.Table], np.ndarray]:
    """Fact tables for ``n_orders`` orders paid over ``days`` before ``end``, and each shop's latent quality.

    With ``population`` (one chunk of a larger data set): the shops, creators and consumers are the
    population's (``n_shops`` and ``n_creators`` are ignored), every table has at most ``n_orders`` rows
    with ids numbered from ``offset`` (so chunks with disjoint ``[offset, offset + n_orders)`` have disjoint
    ids), and there is no ``consumers`` table (``consumer_accounts`` makes it once). Without it, the ids of
    every table are numbered from ``offset`` (0 by default) and the result is what it always was.
    """
    rng = np.random.default_rng(seed)
    if population is None:
        n_shops = n_shops or max(20, n_orders // 200)
        n_creators = n_creators or max(5, n_shops // 10)
        quality = rng.beta(4, 2, n_shops)
        size = rng.pareto(1.5, n_shops) + 1
        shop = rng.choice(n_shops, n_orders, p=size / size.sum())
        cat_of_shop = rng.integers(0, len(CATEGORIES), n_shops)
    else:
        quality, size, cat_of_shop = population.quality, population.size, population.category
        n_shops, n_creators = len(quality), len(population.honesty)
        shop = rng.choice(n_shops, n_orders, p=size / size.sum())
    q = quality[shop]
    other = rng.random(n_orders) < 0.1  # a tenth of a shop's sales fall outside its main category
    cat = np.where(other, rng.integers(0, len(CATEGORIES), n_orders), cat_of_shop[shop])
    paid = end - rng.integers(0, days * 86_400, n_orders)
    presale = rng.random(n_orders) < 0.03
    cancelled = rng.random(n_orders) < 0.02
    collect_h = rng.gamma(2.0, 4 + 22 * (1 - q) ** 2)
    collected = np.where(cancelled, 0, paid + (collect_h * H).astype(np.int64))
    no_collect = cancelled | (collected >= end)
    signed = collected + (rng.gamma(3.0, 14 + 20 * (1 - q)) * H).astype(np.int64)
    no_sign = no_collect | (signed >= end) | (rng.random(n_orders) < 0.01)
    consumers = rng.integers(0, max(10, n_orders // 8) if population is None else population.n_consumers, n_orders)
    creator = np.where(rng.random(n_orders) < 0.3, rng.integers(0, n_creators, n_orders), -1)
    order_ids = _ids("o", offset + np.arange(n_orders), 9)
    shop_ids = _ids("s", shop, 6)
    creator_ids = pa.array(np.char.add("cr", np.char.zfill(creator.astype(str), 5)), mask=creator < 0)
    consumer_ids = _ids("c", consumers, 8)
    orders = pa.table({
        "order_id": order_ids, "shop_id": shop_ids, "category_id": pa.array(np.array(CATEGORIES)[cat]),
        "creator_id": creator_ids, "consumer_id": consumer_ids, "paid_at": paid,
        "paid_fen": rng.integers(990, 59_900, n_orders), "presale": presale,
        "cancelled_at": _nullable(paid + 3600, ~cancelled), "collected_at": _nullable(collected, no_collect),
        "signed_at": _nullable(signed, no_sign)}, schema=FACTS["orders"].schema)
    # Reviews: a third of signed orders; bad shops earn more 1-2 star reviews.
    rev = (~no_sign) & (rng.random(n_orders) < 0.35)
    bad = rng.random(n_orders) < 0.02 + 0.25 * (1 - q) ** 2
    rating = np.where(bad, rng.integers(1, 3, n_orders), rng.integers(3, 6, n_orders))
    reviews = pa.table({
        "order_id": order_ids.filter(pa.array(rev)), "shop_id": shop_ids.filter(pa.array(rev)),
        "creator_id": creator_ids.filter(pa.array(rev)), "rating": rating[rev],
        "posted_at": (signed + rng.integers(3600, 5 * 86_400, n_orders))[rev], "signed_at": signed[rev]},
        schema=FACTS["reviews"].schema)
    # After-sale cases: more and more often justified at bad shops.
    has_case = (~cancelled) & (rng.random(n_orders) < 0.03 + 0.12 * (1 - q) ** 2)
    k = int(has_case.sum())
    ci = np.flatnonzero(has_case)
    opened = np.where(no_sign[ci], paid[ci] + 30 * H, signed[ci]) + rng.integers(H, 4 * 86_400, k)
    arbitrated = rng.random(k) < 0.08
    merchant_fault = arbitrated & (rng.random(k) < 0.3 + 0.6 * (1 - q[ci]))
    closed = opened + (rng.gamma(2.0, 6 + 40 * (1 - q[ci])) * H).astype(np.int64)
    still_open = closed >= end
    refunded = (~still_open) & ((rng.random(k) < 0.7) | merchant_fault)
    states = np.where(refunded, "refunded", np.where(rng.random(k) < 0.1, "cancelled", "closed")).tolist()
    final = [None if o else s for o, s in zip(still_open.tolist(), states, strict=True)]  # still open: no state
    cases = pa.table({
        "case_id": _ids("k", offset + np.arange(k), 9), "order_id": order_ids.take(pa.array(ci)),
        "shop_id": shop_ids.take(pa.array(ci)), "creator_id": creator_ids.take(pa.array(ci)),
        "consumer_id": consumer_ids.take(pa.array(ci)),
        "case_type": pa.array(np.where(rng.random(k) < 0.5, "refund_only", "return_refund")),
        "reason": pa.array(np.array(REASONS)[rng.integers(0, len(REASONS), k)]), "order_paid_at": paid[ci],
        "opened_at": opened, "closed_at": _nullable(closed, still_open), "final_state": pa.array(final),
        "refunded": refunded, "arbitrated": arbitrated, "merchant_at_fault": merchant_fault,
        "consumer_at_fault": arbitrated & ~merchant_fault}, schema=FACTS["cases"].schema)
    comp = (~cancelled) & (rng.random(n_orders) < 0.004 + 0.03 * (1 - q) ** 2)
    m = int(comp.sum())
    complaints = pa.table({
        "complaint_id": _ids("p", offset + np.arange(m), 9), "order_id": order_ids.filter(pa.array(comp)),
        "shop_id": shop_ids.filter(pa.array(comp)), "creator_id": creator_ids.filter(pa.array(comp)),
        "consumer_id": consumer_ids.filter(pa.array(comp)), "reason": pa.array(["quality"] * m, pa.string()),
        "filed_at": paid[comp] + rng.integers(H, 10 * 86_400, m)}, schema=FACTS["complaints"].schema)
    # Chats: a few per hundred orders, at any hour; slow shops answer late or never.
    n_chat = n_orders // 20
    cs = rng.choice(n_shops, n_chat, p=size / size.sum())
    opened_c = end - rng.integers(0, days * 86_400, n_chat)
    human = rng.random(n_chat) < 0.6
    to_human = opened_c + rng.integers(5, 120, n_chat)
    reply = to_human + (rng.exponential(40 + 400 * (1 - quality[cs]) ** 2)).astype(np.int64)
    unanswered = (~human) | (rng.random(n_chat) < 0.05 * (1 - quality[cs]))
    chats = pa.table({
        "session_id": _ids("h", offset + np.arange(n_chat), 9), "shop_id": _ids("s", cs, 6), "opened_at": opened_c,
        "to_human_at": _nullable(to_human, ~human), "first_reply_at": _nullable(reply, unanswered)},
        schema=FACTS["chats"].schema)
    n_fb = max(n_creators * 20, n_orders // 10) if population is None else n_orders // 10
    fb_creator = rng.integers(0, n_creators, n_fb)
    honesty = rng.beta(4, 2, n_creators) if population is None else population.honesty
    feedback = pa.table({
        "feedback_id": _ids("f", offset + np.arange(n_fb), 9), "creator_id": _ids("cr", fb_creator, 5),
        "posted_at": end - rng.integers(0, days * 86_400, n_fb),
        "negative": rng.random(n_fb) < 0.03 + 0.3 * (1 - honesty[fb_creator]) ** 2},
        schema=FACTS["content_feedback"].schema)
    tables = {"orders": orders, "reviews": reviews, "cases": cases, "complaints": complaints, "chats": chats,
              "content_feedback": feedback}
    if population is None:
        n_cons = int(consumers.max()) + 1
        tables["consumers"] = pa.table({"consumer_id": _ids("c", np.arange(n_cons), 8),
                                        "registered_at": end - rng.integers(86_400, 1500 * 86_400, n_cons)},
                                       schema=FACTS["consumers"].schema)
    return tables, quality


def write_parquet(tables: dict[str, pa.Table], root: Path, *, row_group_size: int = 1_000_000) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, root / f"{name}.parquet", row_group_size=row_group_size, compression="zstd")
