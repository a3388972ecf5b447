"""A tiny deterministic intent router for care's tests (the real one, care.routing, is a trained classifier with a
rulebook): a few keywords pick the intent, then the spec's context rules pick the route."""

from __future__ import annotations

from anxin.care.model import INTENT_TOPICS
from anxin.care.routing_port import OrderContext, RoutingDecision

KEYWORDS = (("投诉", "complaint.service"), ("账号", "account.security"), ("退货", "after_sale.return"),
            ("退款", "after_sale.progress"), ("坏", "after_sale.quality"), ("不动", "logistics.problem"),
            ("丢", "logistics.problem"), ("到哪", "logistics.where"), ("取消", "order.cancel"),
            ("地址", "order.modify"), ("优惠", "pre_sale.price"))


class FakeRouter:
    version = "fake-1"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str, OrderContext]] = []

    def route(self, *, text: str, topic: str | None, channel: str, context: OrderContext) -> RoutingDecision:
        self.calls.append((text, topic, channel, context))
        if channel == "merchant":
            intent = "merchant.policy"
        else:
            intent = next((i for word, i in KEYWORDS if word in text), "pre_sale.product_info")
        reasons = [f"keyword:{intent}"]
        if channel == "merchant" or intent in ("complaint.service", "account.security"):
            route = "platform_cs"
        elif intent.startswith("after_sale.") and context.open_case_id is not None:
            route = "case"
        elif intent == "logistics.where" and context.has_shipment and context.parcel_problem is None:
            route = "parcel"
        elif intent == "logistics.problem" and context.parcel_problem is not None:
            route = "platform_cs"
        else:
            route = "merchant_cs"
        reasons.append(f"route:{route}")
        owner = route if route in ("merchant_cs", "platform_cs") else None
        return RoutingDecision(intent, INTENT_TOPICS[intent], route, owner, 0.9, tuple(reasons), ("fake.rule",),
                               "fake-rules-1", self.version, {"top": [[intent, 0.9]]})
