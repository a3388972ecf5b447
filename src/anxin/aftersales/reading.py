"""What every after-sales use case reads: who may see an order or a case, a case as it is shown, and the facts of an
order the rulebook decides on.

Isolation rule: a consumer sees only their orders and cases, a merchant only their shops' cases; anything else is
reported as not found, so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anxin.aftersales import model as m
from anxin.aftersales.error_codes import AfterSalesErrorCode as E
from anxin.aftersales.policy import OrderFacts
from anxin.aftersales.store import CaseRepository, CaseRow
from anxin.catalog import service as catalog
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork
from anxin.fulfilment import service as fulfilment
from anxin.orders import service as orders
from anxin.orders.service import Order
from anxin.shops import service as shops


@dataclass(frozen=True)
class CaseView:
    case: m.Case
    decision: dict[str, Any]
    events: tuple[m.CaseEvent, ...]
    evidence: tuple[str, ...]
    listing_id: str | None
    description: str

    def as_dict(self) -> dict[str, Any]:
        c = self.case
        return {
            "case_id": c.case_id, "order_id": c.order_id, "shop_id": c.shop_id, "consumer_id": c.consumer_id,
            "type": c.case_type, "reason": c.reason, "amount_fen": c.amount_fen, "state": c.state.value,
            "opened_at": c.opened_at.isoformat(), "guarantee": c.guarantee_id,
            "rulebook_version": c.rulebook_version,
            "deadline": {"at": c.deadline_at.isoformat(), "kind": c.deadline_kind} if c.deadline_at else None,
            "return": {"method": c.return_method, "carrier": c.return_carrier, "tracking_no": c.return_tracking_no,
                       "freight_fen": c.return_freight_fen} if c.return_method else None,
            "money": {"refunded_fen": c.refunded_fen, "compensated_fen": c.compensated_fen,
                      "freight_paid_fen": c.freight_paid_fen},
            "listing_id": self.listing_id, "description": self.description, "evidence": list(self.evidence),
            "decision": self.decision,
            "timeline": [{"action": e.action, "actor": e.actor_role, "at": e.at.isoformat(),
                          "from": e.from_state, "to": e.to_state, "note": e.note,
                          "deadline_at": e.deadline_at.isoformat() if e.deadline_at else None,
                          "deadline_kind": e.deadline_kind, "data": e.data} for e in self.events],
        }


def may_see(uow: UnitOfWork, principal: Principal, consumer_id: str, shop_id: str) -> bool:
    if principal.role in (Role.OPERATOR, Role.PLATFORM):
        return True
    if principal.role is Role.CONSUMER:
        return consumer_id == principal.subject
    shop = shops.get_shop(uow, shop_id)
    return shop is not None and shop.merchant_id == principal.subject


def order_for(uow: UnitOfWork, principal: Principal, order_id: str, *, lock: bool = False) -> Order:
    order = orders.get_order(uow, order_id, lock=lock) if isinstance(order_id, str) else None
    if order is None or not may_see(uow, principal, order.consumer_id, order.shop_id):
        raise AnxinError(E.ORDER_NOT_FOUND, f"order {order_id!r} not found")
    return order


def case_for(uow: UnitOfWork, repo: CaseRepository, principal: Principal, case_id: str, *,
             lock: bool = False) -> CaseRow:
    row = repo.get(case_id, lock=lock) if isinstance(case_id, str) else None
    if row is None or not may_see(uow, principal, row.consumer_id, row.shop_id):
        raise AnxinError(E.CASE_NOT_FOUND, f"case {case_id!r} not found")
    return row


def view_of(repo: CaseRepository, row: CaseRow) -> CaseView:
    events = tuple(e.to_model() for e in repo.events([row.case_id]))
    evidence = tuple(e.sha256 for e in repo.evidence(row.case_id))
    return CaseView(row.to_model(), row.decision, events, evidence, row.listing_id, row.description)


def order_facts(uow: UnitOfWork, order: Order, listing_id: str | None) -> OrderFacts:
    """What the rulebook decides on: the order, its shop's type and services, the items' tags, the parcel."""
    shop = shops.get_shop(uow, order.shop_id)
    items = [i for i in order.items if listing_id is None or i.listing_id == listing_id]
    tags: frozenset[str] = frozenset()
    for item in items:
        tags |= catalog.tags_for_listing(uow, item.listing_id)
    return OrderFacts(
        order_id=order.order_id, consumer_id=order.consumer_id, shop_id=order.shop_id,
        merchant_id=shop.merchant_id if shop else "", store_type=shop.store_type if shop else "",
        shop_services=shop.services if shop else frozenset(), item_tags=tags, paid_fen=order.paid_fen,
        paid_at=order.paid_at, shipped_at=order.shipped_at, signed_at=order.signed_at, shipped=order.shipped,
        exemption_confirmed=any(i.exemption_confirmed for i in items),
        parcel_problem=_parcel_problem(uow, order.order_id) if order.shipped else "",
        worry_free=order.worry_free, fulfilled_from=order.fulfilled_from or "")


def _parcel_problem(uow: UnitOfWork, order_id: str) -> str:
    """The fulfilment finding that makes the parcel count as not received, as the rulebook's fact value."""
    finding = fulfilment.parcel_problem(uow, order_id)
    if finding is None:
        return ""
    if finding.kind == "parcel.exception":
        return str(finding.evidence.get("status", "lost"))
    return "stalled" if finding.kind == "parcel.stalled" else "no_carrier_scan"
