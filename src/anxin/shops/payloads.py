"""Shops as the platform describes them: the model of `shop.upserted` data and its thin parser.

It raises `anxin.core.fields.FieldInvalid` (`anxin.core.payload.parse`); ingestion turns it into its error code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import Field

from anxin.core.payload import Attributes, Id, Instant, Line, Payload, parse
from anxin.shops.model import Shop, StoreType

# Validates the shop's credentials in `data[name]` for risk control (injected: risk owns what they may be).
AttributeCheck = Callable[[Mapping[str, Any], str], object]


class ShopUpserted(Payload):
    """`shop.upserted`: a shop, the services it opted into (`anxin_gou`, `pickup`, …) and its credentials."""

    shop_id: Id
    merchant_id: Id
    name: Line
    store_type: StoreType
    services: list[Annotated[str, Field(strict=True)]] | None = None
    opened_at: Instant | None = Field(None, description="when the platform opened it")
    credentials: Attributes | None = Field(None, description="licence, legal_rep, phone, bank_account, device")


def parse_shop(d: Mapping[str, Any], *, check_credentials: AttributeCheck) -> Shop:
    check_credentials(d, "credentials")  # risk's own check first: it names the attribute that is wrong
    m = parse(ShopUpserted, d)
    return Shop(m.shop_id, m.merchant_id, m.name, m.store_type.value, frozenset(m.services or ()), m.opened_at)


# The model of each event type's data (published as JSON Schema).
PAYLOADS: dict[str, type[Payload]] = {"shop.upserted": ShopUpserted}
