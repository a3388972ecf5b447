"""The worry-free warehouse's inbound side: suppliers, the lots they send, and what a sampled unit really is.

A supplier has a latent per-unit defect rate: most are careful (0.2–1 % of units fail a check), a few are not
(``DEFECTIVE_SUPPLIER_RATE``: 6–15 %). A defective unit fails the outer-packaging check, the labels check, or both.
Some lots arrive near expiry: their remaining share of shelf life at inbound is drawn *below* the category's
minimum (the warehouse must refuse them at receipt), others just above it (accepted, but soon too old to ship:
FEFO must skip them). Everything here is pure and draws from the ``random.Random`` it is given; the lot's truth
(which unit numbers are defective, and how) is what the sim's warehouse operator sees when it opens a sampled unit.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Shelf life in days by top-level category (``None``: the goods do not expire; the lot still carries dates far out,
# so every lot has the same shape). Fresh produce keeps days, packaged food months, cosmetics years.
SHELF_LIFE_DAYS: Mapping[str, tuple[int, int] | None] = {
    "fresh": (7, 21), "food": (180, 540), "cosmetics": (730, 1095),
    "3c": None, "apparel": None, "jewelry": None,
}
DURABLE_DAYS = 3650  # "does not expire": ten years
CAREFUL_SUPPLIER_RATE = (0.002, 0.01)
DEFECTIVE_SUPPLIER_RATE = (0.06, 0.15)
FAULTS = ("outer_packaging", "labels", "both")
FAULT_WEIGHTS = (0.55, 0.35, 0.10)
NOTES = {"outer_packaging": "外箱破损", "labels": "标签不清/缺失", "both": "外箱破损且标签缺失"}


@dataclass(frozen=True)
class Supplier:
    supplier_id: str
    defect_rate: float  # latent: the chance each unit fails a check
    near_expiry_share: float  # the share of its lots of perishable goods that arrive near expiry

    @property
    def defective(self) -> bool:
        return self.defect_rate >= DEFECTIVE_SUPPLIER_RATE[0]


def cast_suppliers(rng: random.Random, n: int, *, defective_share: float = 0.15) -> list[Supplier]:
    """``n`` suppliers; ``round(defective_share × n)`` of them (at least one when the share is above zero and n > 1)
    defective. Their position in the list is drawn, so ids say nothing about quality."""
    if n < 1:
        return []
    bad = min(n, max(1 if defective_share > 0 and n > 1 else 0, round(defective_share * n)))
    flags = [True] * bad + [False] * (n - bad)
    rng.shuffle(flags)
    out = []
    for i, defective in enumerate(flags, start=1):
        lo, hi = DEFECTIVE_SUPPLIER_RATE if defective else CAREFUL_SUPPLIER_RATE
        out.append(Supplier(f"sup-{i:03d}", round(rng.uniform(lo, hi), 4),
                            near_expiry_share=round(rng.uniform(0.05, 0.2), 3)))
    return out


@dataclass(frozen=True)
class LotTruth:
    """One inbound lot as the world made it. ``faults``: unit number (1..quantity) → which check it fails."""

    lot_id: str
    listing_id: str
    supplier_id: str
    quantity: int
    produced_on: dt.date
    expires_on: dt.date
    received_at: dt.datetime
    near_expiry: bool = False
    faults: Mapping[int, str] = field(default_factory=dict)

    @property
    def defective_units(self) -> int:
        return len(self.faults)

    @property
    def defect_share(self) -> float:
        return self.defective_units / self.quantity if self.quantity else 0.0

    def share_left(self, on: dt.date) -> float:
        """The remaining share of shelf life on a day: (expires_on − day) / (expires_on − produced_on)."""
        return shelf_share(self.produced_on, self.expires_on, on)

    def event_data(self) -> dict[str, object]:
        """The ``warehouse.lot_received`` event's data, as the platform's warehouse sends it."""
        return {"lot_id": self.lot_id, "listing_id": self.listing_id, "quantity": self.quantity,
                "produced_on": self.produced_on.isoformat(), "expires_on": self.expires_on.isoformat(),
                "supplier_id": self.supplier_id, "received_at": self.received_at.isoformat()}


def shelf_share(produced_on: dt.date, expires_on: dt.date, on: dt.date) -> float:
    total = (expires_on - produced_on).days
    return (expires_on - on).days / total if total > 0 else 0.0


def lot_size(rng: random.Random, daily_units: float, *, days_of_cover: tuple[int, int] = (7, 14)) -> int:
    """A lot covering one to two weeks of the listing's expected sales, in cartons of ten, at least 20 units."""
    units = daily_units * rng.uniform(*days_of_cover)
    return max(20, math.ceil(units / 10.0) * 10)


def make_lot(rng: random.Random, *, lot_id: str, listing_id: str, top: str, supplier: Supplier, quantity: int,
             received_at: dt.datetime, local_day: dt.date, min_inbound_share: float,
             near_expiry: bool | None = None) -> LotTruth:
    """A lot of ``quantity`` units received at ``received_at`` (``local_day``: its date in the warehouse's time).

    Dates: a normal lot was produced recently (its share of shelf life left at inbound comfortably above
    ``min_inbound_share``); a near-expiry one (drawn with the supplier's ``near_expiry_share`` for perishables unless
    ``near_expiry`` says) has a share left of 0.6–0.98 × the minimum (refused at receipt) half the time, 1.0–1.15 ×
    the minimum the other half (accepted, soon too old to ship). Faults: Binomial(quantity, defect_rate) units."""
    span = SHELF_LIFE_DAYS.get(top)
    total = DURABLE_DAYS if span is None else rng.randint(*span)
    if near_expiry is None:
        near_expiry = span is not None and rng.random() < supplier.near_expiry_share
    if near_expiry:
        factor = rng.uniform(0.6, 0.98) if rng.random() < 0.5 else rng.uniform(1.0, 1.15)
        share = min(0.99, min_inbound_share * factor)
    else:
        share = rng.uniform(min(0.99, min_inbound_share + 0.5 * (1 - min_inbound_share)), 1.0)
    # produced_on = day − age, expires_on = produced_on + total; share = (total − age) / total.
    age = max(0, min(total - 1, math.floor(total * (1 - share))))
    if near_expiry and share < min_inbound_share:
        # whole days round the share up: make sure a lot meant to be below the minimum really is
        while age < total - 1 and (total - age) / total >= min_inbound_share:
            age += 1
    produced_on = local_day - dt.timedelta(days=age)
    expires_on = produced_on + dt.timedelta(days=total)
    defective = _binomial(rng, quantity, supplier.defect_rate)
    units = sorted(rng.sample(range(1, quantity + 1), defective)) if defective else []
    faults = {u: rng.choices(FAULTS, FAULT_WEIGHTS)[0] for u in units}
    return LotTruth(lot_id, listing_id, supplier.supplier_id, quantity, produced_on, expires_on, received_at,
                    near_expiry=near_expiry, faults=faults)


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if p <= 0 or n <= 0:
        return 0
    if n * p > 30 and n * (1 - p) > 30:  # normal approximation for large lots (rounded, clamped)
        return max(0, min(n, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))
    return sum(1 for _ in range(n) if rng.random() < p)


def sample_units(rng: random.Random, quantity: int, size: int) -> list[int]:
    """The unit numbers an inspector opens: ``size`` distinct units drawn at random (all of them if fewer)."""
    return sorted(rng.sample(range(1, quantity + 1), min(size, quantity)))


def unit_results(lot: LotTruth, units: Sequence[int]) -> list[dict[str, object]]:
    """What opening these units shows, in the inspection API's per-unit shape."""
    out: list[dict[str, object]] = []
    for u in units:
        fault = lot.faults.get(u)
        packaging = "fail" if fault in ("outer_packaging", "both") else "pass"
        labels = "fail" if fault in ("labels", "both") else "pass"
        note = NOTES.get(fault or "", "")
        out.append({"unit_no": u, "outer_packaging": packaging, "labels": labels, "note": note})
    return out
