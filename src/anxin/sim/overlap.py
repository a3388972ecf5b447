"""Honest overlap: honest buyers who, for good reasons, show the very signals risk control looks for in abusers.

Without it the simulator separates honest from abusive by construction: threat words only in extortion, near-
duplicate photos only from abusers' stock, freight above the tariff and light parcels only from arbitrageurs. Real
buyers are not so tidy, so some honest requests carry one of these (docs/simulator.md, "Honest overlap", gives each
rate and where it comes from):

- **threat_words**: an angry buyer with a real problem writes 投诉 / 12315 / 差评 / 曝光 into the request;
- **photo_twice**: two shots of the same faulty item in one request (near-duplicates of each other);
- **photo_reuse**: the same photo again on a request about another order of the same account (the same product
  bought twice, the same fault);
- **freight_above_tariff**: a return sent from a remote area, with a courier charging above its published tariff,
  or a bulky parcel billed on its volume;
- **light_return**: a return lighter than the goods for good reasons (one part of a set, the accessory kept, the
  gift box not sent back);
- **heavy_returner**: a heavy honest buyer's requests (``heavy_buyer`` in ``anxin.sim.abuse``): try-on returns of
  apparel, many of them.

Every draw comes from ``random.Random("anxin-sim-overlap:<seed>")`` (``Simulation.overlap_rng``), taken after the
draws the request already made, so the other streams draw as they did; what changes downstream is only what anxin
decides on the overlapping requests. The ground truth lists a request's overlaps (``Claim.truth()["overlaps"]``); the
requests stay ``genuine``.
"""

from __future__ import annotations

import random

from anxin.sim.freight import FREIGHT_MAX_FEN, ReturnParcel, tariff_fen
from anxin.sim.photos import stock_photo, vary

OVERLAPS = ("threat_words", "photo_twice", "photo_reuse", "freight_above_tariff", "light_return", "heavy_returner")

# --- the rates (docs/simulator.md, "Honest overlap", says why each) -------------------------------------------
THREAT_WORDS_SHARE = 0.10  # of honest requests about a real problem (not a no-reason return or change of mind)
PHOTO_TWICE_SHARE = 0.30  # of honest requests with two photos or more
PHOTO_REUSE_SHARE = 0.25  # of honest requests with photos whose buyer sent photos on another order before
FREIGHT_ABOVE_TARIFF_SHARE = 0.08  # of honest self-shipped returns
LIGHT_RETURN_SHARE = 0.05  # of honest self-shipped returns
HEAVY_BUYER_RETURN_SHARE = 0.45  # a heavy buyer's no-reason (try-on) returns, of the orders with nothing wrong

# Every phrase holds at least one of the risk rulebook's threat_terms (12315, 差评, 曝光, 不退款就, 举报, 投诉你).
ANGRY_PHRASES = ("再不处理我就打12315投诉", "这么差的东西必须给差评", "不解决的话我就去网上曝光",
                 "不退款就去平台投诉", "已经打了12315", "再拖着我就举报你们", "我要投诉你们店")
# Why the freight is above the carrier's published tariff, and by how much (× the tariff).
FREIGHT_CAUSES = {"remote_area": (1.6, 3.0), "courier_above_tariff": (1.2, 2.0), "bulky_parcel": (1.5, 3.5)}
# What an honest light return leaves out, and the share of the goods' weight that goes back.
LIGHT_CAUSES = {"part_of_set": (0.2, 0.6), "accessory_kept": (0.4, 0.8), "gift_box_kept": (0.3, 0.7)}
PROBLEM_FREE = frozenset({"no_reason", "changed_mind_unshipped"})


def angry(rng: random.Random, description: str, reason: str) -> str | None:
    """The description with an angry phrase added (THREAT_WORDS_SHARE of problem requests), else None."""
    if reason in PROBLEM_FREE or rng.random() >= THREAT_WORDS_SHARE:
        return None
    return f"{description}，{rng.choice(ANGRY_PHRASES)}"


def twice(rng: random.Random, photos: int) -> tuple[bytes, bytes] | None:
    """Two shots of the same item (PHOTO_TWICE_SHARE of requests with two photos or more), else None."""
    if photos < 2 or rng.random() >= PHOTO_TWICE_SHARE:
        return None
    item = stock_photo(rng)  # a real object: smooth at the hash's scale, unlike a photo of noise
    return item, vary(item, rng)


def reuse(rng: random.Random, earlier: list[bytes]) -> bytes | None:
    """One of the buyer's earlier photos (another order) sent again (PHOTO_REUSE_SHARE), else None."""
    if not earlier or rng.random() >= PHOTO_REUSE_SHARE:
        return None
    return rng.choice(earlier)


def freight(rng: random.Random, parcel: ReturnParcel, carrier: str, *, same_province: bool,
            goods_g: int) -> tuple[ReturnParcel, list[str]]:
    """An honest parcel, perhaps declared above the tariff and/or lighter than the goods, and which of the two."""
    overlaps: list[str] = []
    weight, declared = parcel.weight_g, parcel.freight_fen
    if rng.random() < LIGHT_RETURN_SHARE:
        lo, hi = LIGHT_CAUSES[rng.choice(sorted(LIGHT_CAUSES))]
        weight = max(50, round(goods_g * rng.uniform(lo, hi)) + rng.randint(30, 120))
        overlaps.append("light_return")
    tariff = tariff_fen(carrier, weight, same_province=same_province)
    if rng.random() < FREIGHT_ABOVE_TARIFF_SHARE:
        lo, hi = FREIGHT_CAUSES[rng.choice(sorted(FREIGHT_CAUSES))]
        declared = min(FREIGHT_MAX_FEN, round(tariff * rng.uniform(lo, hi) / 10) * 10)
        overlaps.append("freight_above_tariff")
    elif weight != parcel.weight_g:
        declared = round(tariff * parcel.freight_fen / parcel.tariff_fen / 10) * 10  # the same margin on the new tariff
    if not overlaps:
        return parcel, []
    return ReturnParcel(weight, parcel.from_address, declared, tariff, False), overlaps
