"""Lots received, stock reserved at checkout or payment, released on cancellation, picked FEFO at shipment."""

from __future__ import annotations
