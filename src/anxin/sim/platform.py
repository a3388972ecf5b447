"""The platform on the receiving end of anxin's webhooks, for simulated runs.

``anxin sim`` delivers the outbox in-process to a ``WebhookSink`` (signature check and exactly-once on
the Idempotency-Key included), so a simulated month ends with its refunds actually received. The demo
serves the same sink over HTTP. Webhooks are signed with the wall clock whatever the simulated time, so the sink
checks them against the wall clock too.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import TYPE_CHECKING, Any

from anxin.core.principal import Principal, Role
from anxin.outbox.receiver import WebhookSink

if TYPE_CHECKING:
    from anxin.sim.engine import Simulation
    from anxin.sim.orders import SimOrder

SIM_OPERATOR = Principal(key_id="sim", role=Role.OPERATOR, subject="op-sim")
SIM_PLATFORM = Principal(key_id="sim", role=Role.PLATFORM, subject="platform")


class SinkTransport:
    """A webhook transport that hands the request straight to a sink, without a socket. ``default_url`` names the
    sink as an endpoint: with no ANXIN_WEBHOOK_URL, bootstrap points the default endpoint at it."""

    default_url = "http://simulated-platform.invalid/webhooks/anxin"

    def __init__(self, sink: WebhookSink) -> None:
        self.sink = sink

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        status, _duplicate = self.sink.receive(body, headers)
        return status


class Platform:
    """The platform carrying out anxin's actions in a simulated run with governance (``SimConfig.governance``).

    After every hourly tick it takes the actions anxin issued and has not yet heard back about — what the webhooks
    carry; it reads them from the actions list rather than from a transport, so the same works whether the run
    delivers to a sink, records or posts — does what they say to the simulated marketplace, and acks each
    (``POST /v1/actions/{id}/ack`` through the service). From then on checkout honours them: a taken-down listing
    and a closed shop sell nothing; a shop under a traffic limit keeps ``TRAFFIC_KEEP`` of its buyers (the others
    never find it). Fund holds, deposit deductions and campaign, listing-freeze or creator measures change no
    order here. Draws come from the governance stream, never the main one."""

    TRAFFIC_KEEP = 0.3

    def __init__(self, sim: Simulation, rng: random.Random) -> None:
        self.sim, self.rng = sim, rng
        self.listing_shop = {li.listing_id: shop.shop_id for shop in sim.world.shops for li in shop.listings}
        self.down: set[str] = set()  # listing ids taken down
        self.closed: set[str] = set()  # shop ids closed
        self.restricted: dict[str, set[str]] = {}  # shop id -> restrictions in force
        self.log: list[dict[str, Any]] = []  # every action carried out: at, kind, target, shop, cause
        self.refused: Counter[str] = Counter()  # orders checkout refused, by reason
        # (order id, shop id, paid at, reason, listing ids): the orders that did not happen
        self.refused_orders: list[tuple[str, str, dt.datetime, str, tuple[str, ...]]] = []
        self._acked: set[str] = set()

    def carry_out(self) -> int:
        """Take the actions waiting for the platform, apply and ack them; how many."""
        anxin, n = self.sim.anxin, 0
        for state in ("issued", "sent", "unconfirmed"):
            while True:
                page = [a for a in anxin.actions.list(SIM_OPERATOR, state=state, limit=100)
                        if a["action_id"] not in self._acked]
                if not page:
                    break
                for action in page:
                    self._apply(action)
                    anxin.actions.ack(SIM_PLATFORM, action["action_id"], {"status": "done"})
                    self._acked.add(action["action_id"])
                    n += 1
        return n

    def _apply(self, action: dict[str, Any]) -> None:
        kind, target = action["kind"], action["target"]
        kind_of, _, ident = target.partition(":")
        shop_id = self.listing_shop.get(ident) if kind_of == "listing" else ident if kind_of == "shop" else None
        restrict = set(action["parameters"].get("restrict", ()))
        if kind == "listing.takedown":
            self.down.add(ident)
        elif kind == "listing.restore":
            self.down.discard(ident)
        elif kind == "shop.close":
            self.closed.add(ident)
        elif kind == "shop.restrict":
            self.restricted.setdefault(ident, set()).update(restrict)
        elif kind == "shop.lift":
            self.restricted.get(ident, set()).difference_update(restrict)
        self.log.append({"at": self.sim.now, "kind": kind, "target": target, "shop_id": shop_id,
                         "parameters": dict(action["parameters"]), "cause": dict(action["cause"])})

    def admits(self, order: SimOrder) -> bool:
        """Checkout: may this order be placed now? A refused order never happens (counted, with its reason)."""
        if not (self.down or self.closed or self.restricted):
            return True
        shop_id = order.shop.shop_id
        reason = None
        if shop_id in self.closed:
            reason = "shop_closed"
        elif any(li.listing_id in self.down for li, _, _ in order.items):
            reason = "listing_down"
        elif "traffic" in self.restricted.get(shop_id, ()) and self.rng.random() >= self.TRAFFIC_KEEP:
            reason = "traffic_limited"
        if reason is None:
            return True
        self.refused[reason] += 1
        self.refused_orders.append((order.order_id, shop_id, order.paid_at, reason,
                                    tuple(li.listing_id for li, _, _ in order.items)))
        return False
