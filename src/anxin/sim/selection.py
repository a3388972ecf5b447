"""Creators choosing products from the selection pool (选品): a multinomial logit over what the pool shows.

A creator sees each pool item's badges — the worry-free tag, the shop's commission offer, its score — and its price,
and picks a few to promote. The utility of an item for a creator of latent honesty h is

    u = β_wf(h) · worry_free + β_comm(h) · commission_bp / 1000 + β_score(h) · (score − 80) / 10
        − 0.15 · |log(price / the creator's usual price)| + Gumbel noise

with β_wf = 0.5 + 1.5 h, β_comm = 1.2 − 0.6 h, β_score = 0.2 + 0.6 h: honest creators lean on the tag and the score
(they do not vet every product themselves, they trust the programme), the least honest chase commission. Drawing
with Gumbel noise and taking the top k is sampling k items without replacement from the logit (the Gumbel-top-k
trick), so one random draw per item decides. Pure.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PoolItem:
    listing_id: str
    shop_id: str
    price_fen: int
    commission_bp: int  # the shop's offer to creators (0..10000)
    worry_free: bool
    score: float | None = None  # the shop's experience score (0..100), None when hidden
    category_id: str = ""


@dataclass(frozen=True)
class Taste:
    """What a creator weighs (from its latent honesty) and the price it usually sells at."""

    worry_free: float
    commission: float
    score: float
    usual_price_fen: int = 10000

    @classmethod
    def of(cls, honesty: float, usual_price_fen: int = 10000) -> Taste:
        h = min(1.0, max(0.0, honesty))
        return cls(0.5 + 1.5 * h, 1.2 - 0.6 * h, 0.2 + 0.6 * h, usual_price_fen)


def utility(taste: Taste, item: PoolItem) -> float:
    """The deterministic part of an item's utility for this creator."""
    u = taste.worry_free * (1.0 if item.worry_free else 0.0)
    u += taste.commission * item.commission_bp / 1000.0
    if item.score is not None:
        u += taste.score * (item.score - 80.0) / 10.0
    u -= 0.15 * abs(math.log(max(1, item.price_fen) / max(1, taste.usual_price_fen)))
    return u


def choice_probabilities(taste: Taste, items: Sequence[PoolItem]) -> list[float]:
    """The chance each item is the creator's first pick (softmax of the utilities)."""
    if not items:
        return []
    us = [utility(taste, it) for it in items]
    top = max(us)
    ws = [math.exp(u - top) for u in us]
    total = sum(ws)
    return [w / total for w in ws]


def choose(rng: random.Random, taste: Taste, items: Sequence[PoolItem], k: int) -> list[PoolItem]:
    """``k`` distinct items (all of them if fewer), best first: Gumbel-top-k over the logit."""
    if k <= 0 or not items:
        return []
    keyed = []
    for i, it in enumerate(items):
        g = -math.log(-math.log(max(rng.random(), 1e-300)))
        keyed.append((utility(taste, it) + g, i, it))
    keyed.sort(key=lambda t: (-t[0], t[1]))
    return [it for _, _, it in keyed[:k]]
