"""Governance data for page tests, made through the real use cases: one shop's violations (two warnings near the
first general node, a false-advertising one that takes a listing down), the merchant's appeal of the last, an IP
complaint against another of its listings, a listing finding waiting for review and an inspection plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from anxin.catalog import service as catalog
from anxin.core.principal import Principal, Role

OPERATOR = Principal("k_gov_op", Role.OPERATOR, "ops-gov")
RIGHTS_HOLDER = "rh-gov"
STATEMENT = "这条宣传语是消费者评价的引用，不是我们的宣传，请复核。"


@dataclass(frozen=True)
class GovWorld:
    shop_id: str
    fake_shipment: str  # violation ids
    obstruction: str
    advertising: str  # on a listing: its takedown is a platform action
    appeal_id: str | None
    complaint_id: str
    plan_id: str
    finding_id: str | None


def listings_of(anxin: Any, shop_id: str) -> list[tuple[str, str]]:
    with anxin.uow_factory() as uow:
        return [(lid, cat) for lid, sid, cat in catalog.listing_refs(uow) if sid == shop_id]


def seed_governance(anxin: Any, *, shop_id: str, merchant_id: str, appeal: bool = True,
                    period: str = "2026-10") -> GovWorld:
    owned = listings_of(anxin, shop_id)
    assert len(owned) >= 2, f"shop {shop_id} needs two listings"
    (first, category), (second, _) = owned[0], owned[1]
    record = anxin.governance.queries.record_by_hand

    fake = record(OPERATOR, {"id": f"gov-fs-{shop_id}", "kind": "fake_shipment", "subject": f"shop:{shop_id}",
                             "shop_id": shop_id, "evidence": {"order_id": "o-gov-1", "finding_id": "f-gov-1"}})
    obstruct = record(OPERATOR, {"id": f"gov-ao-{shop_id}", "kind": "aftersales_obstruction",
                                 "subject": f"shop:{shop_id}", "shop_id": shop_id,
                                 "evidence": {"case_id": "k-gov-1"}, "note": "拒绝了有效的退货申请"})
    advert = record(OPERATOR, {"id": f"gov-fa-{shop_id}", "kind": "false_advertising", "subject": f"listing:{first}",
                               "shop_id": shop_id, "severity": "minor",
                               "evidence": {"listing_id": first, "claims": ["全网最低"]}})
    appeal_id = None
    if appeal:
        filed = anxin.governance.appeals.file(Principal("k_gov_m", Role.MERCHANT, merchant_id), advert["violation_id"],
                                              statement=STATEMENT, evidence=[{"kind": "image", "ref": "up-gov-1"}])
        appeal_id = filed["appeal_id"]
    complaint = anxin.governance.ip.file(Principal("k_gov_rh", Role.RIGHTS_HOLDER, RIGHTS_HOLDER), {
        "client_key": f"gov-{shop_id}", "listing_ids": [second], "statement": "该商品使用了我们的注册商标",
        "proof": {"rights_kind": "trademark", "owner": RIGHTS_HOLDER, "registration_number": "12345678"},
        "evidence": ["shot-gov-1"]})
    result = anxin.ingestion.ingest([{
        "id": f"gov-review-{shop_id}", "type": "listing.upserted",
        "occurred_at": (anxin.clock.now() - dt.timedelta(minutes=5)).isoformat(),
        "data": {"listing_id": f"{shop_id}-gov-review", "shop_id": shop_id, "category_id": category,
                 "title": "独家 手工陶瓷杯", "price_fen": 4900}}])
    assert not result.rejected, result.as_dict()
    found = anxin.governance.listings.findings(OPERATOR, state="open", shop_id=shop_id)
    plan = anxin.governance.inspections.create_plan(OPERATOR, {"period": period, "seed": 7})
    return GovWorld(shop_id=shop_id, fake_shipment=fake["violation_id"], obstruction=obstruct["violation_id"],
                    advertising=advert["violation_id"], appeal_id=appeal_id, complaint_id=complaint["complaint_id"],
                    plan_id=plan["plan_id"], finding_id=found[0]["check_id"] if found else None)
