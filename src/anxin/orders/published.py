"""What other contexts' pure code may compute with: the fulfilment rulebook, promises, scans and carriers.

The third door of a context, next to ``service`` (calls, in the caller's unit of work) and ``events`` (facts):
pure value types and rules, so that another context's pure model (fulfilment's detectors, ETA and
consequences) need not import a service that touches the database.
"""

from __future__ import annotations

from anxin.orders.fulfilment_rules import FulfilmentRulebook, load_fulfilment_rulebook, region_within
from anxin.orders.model import Scan, normalise_carrier
from anxin.orders.promise import Promise, PromiseInput, PromiseItem, promise_for

__all__ = ["FulfilmentRulebook", "Promise", "PromiseInput", "PromiseItem", "Scan", "load_fulfilment_rulebook",
           "normalise_carrier", "promise_for", "region_within"]
