"""One after-sale request as the simulated consumer meant it, and its ground truth (``Claim.truth()``).

The request's life is in ``anxin.sim.cases``; what the abuse mix adds (pattern, near-duplicate stock, return parcel)
is explained in ``anxin.sim.abuse``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from anxin.sim.events import iso
from anxin.sim.freight import ReturnParcel

if TYPE_CHECKING:
    from anxin.sim.orders import SimOrder

FINAL = frozenset({"refunded", "completed", "closed", "cancelled"})


@dataclass
class Claim:
    claim_id: str
    order: SimOrder
    case_type: str
    reason: str
    amount_fen: int
    genuine: bool  # ground truth: the claim describes what really happened (or a right used honestly)
    listing_id: str | None = None
    unsealed: bool = False
    photos: int = 0
    reused: bool = False  # its photos are an abuser's recycled ones
    description: str = ""
    ships_return: bool = True
    bogus_return: bool = False  # what comes back is not what was sold
    case_id: str | None = None
    filed_at: dt.datetime | None = None
    refused: str | None = None  # anxin refused the request (error code)
    first_decision: str | None = None
    path: list[str] = field(default_factory=list)
    # The stream every later draw for this request comes from: the main one, or the scoring stream for the
    # requests a creator's over-promising caused (so those leave the main stream's draws where they were).
    rng: random.Random | None = field(default=None, repr=False)
    # The abuse mix's truth (anxin.sim.abuse): the pattern behind the request ("" in the main stream: honest when
    # genuine, else legacy_abuser), the stock its near-duplicate photos came from, the return parcel as sent.
    pattern: str = ""
    stock: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    stock_used: list[str] = field(default_factory=list)
    arbitrage: bool = False
    self_ship: bool = False
    returned: ReturnParcel | None = None
    # The honest overlap it carries (anxin.sim.overlap.OVERLAPS): an honest request showing an abuser's signal.
    overlaps: list[str] = field(default_factory=list)

    @property
    def state(self) -> str | None:
        return self.path[-1] if self.path else None

    @property
    def deserves(self) -> bool:
        """What a fair reviewer would conclude: true and within the rules (an honest no-reason return of
        an exempt item is still not refundable)."""
        return self.genuine and not (self.reason == "no_reason" and self.first_decision == "rejected")

    @property
    def open(self) -> bool:
        return self.case_id is not None and self.state not in FINAL

    def truth(self) -> dict[str, Any]:
        o = self.order
        return {"claim": self.claim_id, "case_id": self.case_id, "order_id": o.order_id,
                "consumer_id": o.consumer.consumer_id, "abusive_consumer": o.consumer.abusive,
                "merchant_id": o.shop.merchant.merchant_id, "shop_id": o.shop.shop_id, "type": self.case_type,
                "reason": self.reason, "amount_fen": self.amount_fen, "genuine": self.genuine,
                "problem": o.problem, "evidence_images": self.photos, "evidence_reused": self.reused,
                "filed_at": iso(self.filed_at) if self.filed_at else None, "refused": self.refused,
                "first_decision": self.first_decision, "states": self.path,
                "pattern": self.pattern or ("honest" if self.genuine else "legacy_abuser"),
                "account": o.consumer.pattern or ("legacy_abuser" if o.consumer.abusive else "regular"),
                "ring": o.consumer.ring, "description": self.description, "evidence_stock": self.stock_used,
                "return": self.returned.truth() if self.returned else None,
                "freight_arbitraged": self.returned is not None and self.returned.arbitraged,
                "overlaps": list(self.overlaps)}
