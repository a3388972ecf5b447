"""Key families the pages build from a code (``t("jobs.name." ~ job)``): every member of the code's own set has a
key in both languages. The other contexts' families are checked beside their pages' tests (test_pages_http,
test_fulfilment_pages, test_scoring_api, test_risk_api, test_merchant_pages)."""

from __future__ import annotations

from typing import get_args

from tests import catalogs

from anxin.actions import model as actions
from anxin.orders.model import OrderStatus
from anxin.outbox.model import Status


def test_every_job_action_order_and_delivery_code_has_words(anxin) -> None:
    wanted = ([f"jobs.name.{job.name}" for job in anxin.schedule()]
              + [f"jobs.state.{s}" for s in ("running", "expired", "idle", "never_run", "shared")]
              + [f"act.state.{s}" for s in actions.VIEW_STATES] + [f"act.kind.{k}" for k in actions.KINDS]
              + [f"act.restrict.{r}" for r in (*actions.SHOP_RESTRICTIONS, *actions.CREATOR_RESTRICTIONS)]
              + [f"order.status.{s}" for s in OrderStatus] + [f"wh.status.{s}" for s in get_args(Status)])
    assert sorted(k for k in wanted if k not in catalogs.ZH or k not in catalogs.EN) == []
