"""Links every merchant page carries: the merchant's shops, each to its fulfilment page."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request

from anxin.core.principal import Principal
from anxin.shops import service as shops
from anxin.web.auth import app_of


def merchant_shops(request: Request, who: Principal) -> list[dict[str, str]]:
    """The merchant's shops with the address of their fulfilment page (for links from other merchant pages)."""
    with app_of(request).uow_factory() as uow:
        owned = [s for sid in shops.shop_ids_of_merchant(uow, who.subject) if (s := shops.get_shop(uow, sid))]
    return [{"id": s.shop_id, "name": s.name, "url": f"/merchant/shops/{quote(s.shop_id, safe='')}/fulfilment"}
            for s in owned]
