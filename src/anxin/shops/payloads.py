"""Shops as the platform describes them: the pure parser of ``shop.upserted`` data.

It raises ``anxin.core.fields.FieldInvalid``; ingestion turns it into its error code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from anxin.core import fields as f
from anxin.shops.model import STORE_TYPES, Shop

# Validates the shop's credentials in ``data[name]`` for risk control (injected: risk owns what they may be).
AttributeCheck = Callable[[Mapping[str, Any], str], object]


def parse_shop(d: Mapping[str, Any], *, check_credentials: AttributeCheck) -> Shop:
    store_type = f.text(d, "store_type")
    if store_type not in STORE_TYPES:
        raise f.invalid("data.store_type", f"store_type must be one of {sorted(STORE_TYPES)}")
    services = f.str_list(d, "services")
    check_credentials(d, "credentials")
    return Shop(f.text(d, "shop_id"), f.text(d, "merchant_id"), f.text(d, "name", max_len=200), store_type,
                frozenset(services), f.opt_instant(d, "opened_at"))
