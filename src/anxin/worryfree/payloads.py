"""The platform's warehouse events (warehouse.lot_received …), validated.

``warehouse.lot_received``: a lot of one listing arrived at the platform's warehouse (its shop is the listing's).
Dates are calendar days ``YYYY-MM-DD``; a lot expires after it was produced; at least one unit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, Strict, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from anxin.core.payload import Id, Instant, Payload, parse, rule
from anxin.worryfree.model import InboundLot

MAX_LOT_UNITS = 1_000_000


def _day(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise PydanticCustomError("date", "must be a date string YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise PydanticCustomError("date", "must be a date YYYY-MM-DD, got {value}", {"value": value}) from None


DAY_PATTERN = r"^\s*\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\s*$"
Day = Annotated[dt.date, BeforeValidator(_day),
                WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN})]
Units = Annotated[int, Strict(), Field(ge=1, le=MAX_LOT_UNITS)]


class LotReceivedData(Payload):
    """`warehouse.lot_received`: a lot of one listing received at the platform's warehouse."""

    lot_id: Id
    listing_id: Id
    quantity: Units
    produced_on: Day
    expires_on: Day
    supplier_id: Id
    received_at: Instant

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.expires_on <= self.produced_on:
            raise rule("expires_on must be after produced_on", field="expires_on")
        return self

    def lot(self) -> InboundLot:
        return InboundLot(self.lot_id, self.listing_id, self.quantity, self.produced_on, self.expires_on,
                          self.supplier_id, self.received_at)


def parse_lot_received(d: Mapping[str, Any]) -> InboundLot:
    return parse(LotReceivedData, d).lot()


PAYLOADS: dict[str, type[Payload]] = {"warehouse.lot_received": LotReceivedData}
