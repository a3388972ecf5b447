"""The platform's warehouse events (warehouse.lot_received …), validated."""

from __future__ import annotations
