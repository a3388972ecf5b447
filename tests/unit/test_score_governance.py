"""Governance violation points take points off the creator reputation score: by class, capped, only entries that
count at the as-of (not expired, not reversed before it, known before it) of violations in the score's window."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.test_score_definition import END, RB, by, run

from anxin.scoring.definition import DAY


def creator_orders(creator: str, n: int = 12) -> list[dict[str, Any]]:
    paid = END - 10 * DAY
    return [{"order_id": f"{creator}-o{i}", "shop_id": "s1", "category_id": "apparel", "creator_id": creator,
             "consumer_id": f"c{i}", "paid_at": paid, "paid_fen": 1000, "presale": False,
             "collected_at": paid + 3600, "signed_at": paid + 7200} for i in range(n)]


def entry(creator: str, points: int, cls: str = "general", **at: int) -> dict[str, Any]:
    happened = at.get("happened_at", END - 5 * DAY)
    return {"entry_id": f"{creator}-{points}-{cls}-{happened}", "violation_id": "v", "kind": "false_advertising",
            "violation_class": cls, "shop_id": None, "creator_id": creator, "points_x100": points,
            "happened_at": happened, "expires_at": at.get("expires_at", happened + 180 * DAY),
            "recorded_at": at.get("recorded_at", happened), "reversed_at": at.get("reversed_at")}


def score(*entries: dict[str, Any]) -> tuple[int, int, int]:
    out = run(orders=creator_orders("cr1") + creator_orders("cr2"), governance_points=list(entries))
    mine, other = by(out["creator_scores"], subject_id="cr1"), by(out["creator_scores"], subject_id="cr2")
    return mine["raw_x100"] - mine["total_x100"], mine["governance_points_x100"], other["total_x100"] - other[
        "raw_x100"]


def test_the_rulebook_weighs_severe_points_twice_and_caps_the_deduction() -> None:
    g = RB.creator.governance if RB.creator else None
    assert g is not None and (g.general_x100, g.severe_x100, g.max_x100) == (5, 10, 100)


@pytest.mark.parametrize(("entries", "deducted", "points"), [
    ([], 0, 0),
    ([entry("cr1", 200)], 10, 200),                                    # 2 general points: 0.10
    ([entry("cr1", 600, "severe")], 60, 600),                          # 6 severe points: 0.60
    ([entry("cr1", 200), entry("cr1", 600, "severe")], 70, 800),
    ([entry("cr1", 1200, "severe"), entry("cr1", 600, "severe")], 100, 1800),  # capped at 1.00
    ([entry("cr1", 10)], 0, 10),                                       # 0.1 point: 0.005 rounds down to nothing
    ([entry("cr1", 200, expires_at=END)], 0, 0),                       # expired at the as-of itself
    ([entry("cr1", 200, expires_at=END + 1)], 10, 200),
    ([entry("cr1", 200, reversed_at=END - 1)], 0, 0),                  # reversed before the as-of
    ([entry("cr1", 200, reversed_at=END)], 10, 200),                   # reversed later: it counted then
    ([entry("cr1", 200, recorded_at=END)], 0, 0),                      # not known yet
    ([entry("cr1", 200, happened_at=END - 90 * DAY - 1)], 0, 0),       # before the 90-day window
    ([entry("cr1", 200, happened_at=END - 90 * DAY)], 10, 200),
])
def test_active_points_in_the_window_are_deducted(entries: list[dict[str, Any]], deducted: int,
                                                  points: int) -> None:
    mine, gov, other = score(*entries)
    assert (mine, gov, other) == (deducted, points, 0)
