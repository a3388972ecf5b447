"""The simulator's governance people and platform (SimConfig.governance): a short run leaves violations, an appeal,
inspection plans with results and IP complaints in anxin, the platform carries out and acks anxin's actions, and
the figure script measures the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.governance_figures import measure

from anxin.bootstrap import Anxin
from anxin.core.clock import FixedClock
from anxin.core.principal import Principal, Role
from anxin.sim import SimConfig, ground_truth, simulate, summary
from anxin.sim.governance_truth import restricted_before

pytestmark = pytest.mark.db

OPS = Principal(key_id="t", role=Role.OPERATOR, subject="op-t")
# Small but busy; the built-in lists stand in for the Olist files so the outcome is the same everywhere.
SMALL = {"days": 8, "merchants": 8, "consumers": 60, "seed": 3, "orders_per_shop_day": 4.0,
         "olist_dir": Path("/nonexistent/olist"), "governance": True, "inspection_budget": 30}


def test_a_short_run_leaves_governance_records(anxin: Anxin, clock: FixedClock) -> None:
    sim = simulate(anxin, SimConfig(start=clock.now(), **SMALL))
    gov = anxin.governance

    violations = gov.queries.list(OPS, limit=200)
    assert violations and {v["source"]["type"] for v in violations} >= {"governance.inspection",
                                                                        "governance.ip_complaint"}
    appeals = gov.appeals.queue(OPS, limit=200)
    assert appeals and any(a["state"] in ("upheld", "rejected") for a in appeals)
    truth = ground_truth(sim)["governance"]
    assert truth["plans"]
    report = gov.inspections.report(OPS, truth["plans"][0])
    assert sum(r["inspected"] for r in report["strata"]) > 0
    complaints = gov.ip.complaints(OPS, limit=100)
    assert complaints and any(c["state"] == "upheld" for c in complaints)

    # The platform carried out what anxin told it, acked it, and checkout honours it.
    platform = sim.governance.platform if sim.governance else None
    assert platform is not None and platform.log
    assert anxin.actions.counts(OPS).get("done", 0) == len(platform.log)
    refused = summary(sim)["governance"]["orders_refused_by_platform"]
    assert sum(refused.values()) == sim.orders.stats["refused_by_platform"] > 0
    placed = {o.order_id for o in sim.orders.all}
    assert not placed & {oid for oid, *_ in platform.refused_orders}  # a refused order never happened

    figures: dict[str, Any] = measure(anxin, sim)
    assert figures["listing_checks"]["listings"] == sum(len(s.listings) for s in sim.world.shops)
    assert figures["appeals"]["whole_run"]["decided"] > 0
    assert figures["inspections"]["total"]["inspected"] > 0
    assert figures["ip"]["filed"] == len(complaints)
    assert figures["sellers"]["bad_sellers"] >= 1


def test_restricted_before_counts_each_seller_once() -> None:
    t = ["2026-11-01T01:00:00+00:00", "2026-11-01T02:00:00+00:00", "2026-11-01T03:00:00+00:00"]
    sellers = [{"bad_orders_at": t, "restricted_at": "2026-11-01T02:30:00+00:00"},  # after its 2nd, before its 3rd
               {"bad_orders_at": t[:1], "restricted_at": "2026-11-02T00:00:00+00:00"},  # restricted, never a 3rd
               {"bad_orders_at": t[:1], "restricted_at": None},  # neither
               {"bad_orders_at": t, "restricted_at": None}]  # reached unrestricted
    assert restricted_before(sellers, 1) == {"sellers": 4, "restricted_before": 0, "reached_unrestricted": 4,
                                             "neither": 0}
    assert restricted_before(sellers, 3) == {"sellers": 4, "restricted_before": 2, "reached_unrestricted": 1,
                                             "neither": 1}
