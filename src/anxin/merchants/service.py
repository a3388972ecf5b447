"""Merchant use cases: ``MerchantService`` for everything anxin owns about a merchant (lifecycle, deposits, fees,
programmes, offers, the merchant centre). The shop registry itself is ``anxin.shops``."""

from __future__ import annotations

from typing import Any

from anxin.merchants.centre import CentreCases
from anxin.merchants.lifecycle_cases import LifecycleCases


class MerchantService(LifecycleCases, CentreCases):
    """The merchants context's use cases: lifecycle (``lifecycle_cases``), deposits and payouts
    (``money_cases``), settlement and statements (``settlement_cases``), the merchant centre (``centre``)."""

    def tick(self) -> dict[str, Any]:
        """Graduate novices whose period is over, then settle what happened since the last run."""
        graduated = self.graduate_due()
        return {"graduated": graduated, "settled": self.settle_pending().as_dict()}
