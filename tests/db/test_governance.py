"""Governance on the real database: a violation's measures become platform actions in the same transaction, replays
record nothing new, findings become violations through events once each, the expiry job lifts what ended, a
reversal lifts at the platform, and two violations for one shop at once cross a node once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from tests.concurrency import at_once as _race
from tests.db.builders import T0, D, ingest_ok, shop

from anxin.fulfilment.events import FakeShipmentFound, LateShipmentRecorded, OversellingFound
from anxin.governance.model import RecordViolation
from anxin.risk.events import ShopBlocked

pytestmark = pytest.mark.db


def rows(engine: sa.Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


def cmd(source_id: str, *, kind: str = "late_shipment", subject: str = "shop:s1", shop_id: str | None = "s1",
        severity: str | None = None, evidence: dict[str, Any] | None = None) -> RecordViolation:
    return RecordViolation(kind=kind, subject=subject, shop_id=shop_id, source_type="test", source_id=source_id,
                           at=T0, severity=severity,
                           evidence=evidence if evidence is not None else {"order_id": "o1", "finding_id": source_id})


def record(anxin: Any, c: RecordViolation, points: int | None = None) -> tuple[Any, bool]:
    with anxin.uow_factory() as uow:
        out = anxin.governance.violations.record(uow, c, points_hundredths=points)
        uow.commit()
    return out


def actions(engine: sa.Engine) -> list[tuple[str, str, str]]:
    return [(k, t, c) for k, t, c in rows(engine, "SELECT kind, target, cause_type FROM platform_actions "
                                                  "ORDER BY issued_at, kind")]


def test_crossing_a_node_applies_measures_as_platform_actions_with_their_outbox_messages(anxin: Any,
                                                                                         engine: sa.Engine) -> None:
    record(anxin, cmd("f1"), points=1190)
    assert actions(engine) == []
    view, created = record(anxin, cmd("f2"))  # 11.9 + 0.1 = 12: the first general node
    assert created and view.points_hundredths == 10
    assert sorted(actions(engine)) == [("shop.restrict", "shop:s1", "governance.measure")]
    [(params, cause_id)] = rows(engine, "SELECT parameters, cause_id FROM platform_actions")
    assert "traffic" in str(params)
    measures = rows(engine, "SELECT measure_id, palette_id, state, action_ids FROM governance_measures "
                            "ORDER BY palette_id")
    assert [(p, s) for _, p, s, _ in measures] == [("traffic_limit", "active"), ("warning", "active")]
    assert cause_id == measures[0][0]
    assert rows(engine, "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'action:shop.restrict:%'")[0][0] == 1
    [(outcome, version)] = rows(engine, "SELECT outcome, rulebook_version FROM governance_decisions "
                                        f"WHERE violation_id = '{view.violation_id}'")
    assert outcome == "measures_applied" and version == "governance-2026.12"
    # The replay of the same source records nothing new and issues nothing.
    again, created = record(anxin, cmd("f2"))
    assert not created and again.violation_id == view.violation_id
    assert len(actions(engine)) == 1 and rows(engine, "SELECT count(*) FROM governance_violations")[0][0] == 2


def test_a_refused_violation_writes_nothing(anxin: Any, engine: sa.Engine) -> None:
    from anxin.core.errors import AnxinError
    for bad, code in [(cmd("x", evidence={}), "governance.evidence_missing"),
                      (cmd("x", kind="counterfeit", subject="listing:l1", evidence={"description": "d"}),
                       "governance.severity_required"),
                      (cmd("x", shop_id=None), "governance.no_owner"),
                      (cmd("x", subject="order:o1"), "governance.invalid_subject")]:
        with pytest.raises(AnxinError) as exc:
            record(anxin, bad)
        assert exc.value.code.value == code
    assert rows(engine, "SELECT count(*) FROM governance_violations")[0][0] == 0


def test_severe_listing_violation_takes_the_listing_down_and_deducts_the_deposit_at_the_top(
        anxin: Any, engine: sa.Engine) -> None:
    ingest_ok(anxin, [shop("s1", "m1")])
    c = cmd("c1", kind="counterfeit", subject="listing:l1", severity="critical", evidence={"description": "fake"})
    record(anxin, c)
    kinds = sorted(k for k, _, _ in actions(engine))
    assert kinds == ["listing.takedown", "shop.close"]
    [(amount, key)] = rows(engine, "SELECT amount_fen, palette_id FROM governance_measures "
                                   "WHERE palette_id = 'deposit_deduction'")
    assert (amount, key) == (200000, "deposit_deduction")
    penalties = "SELECT count(*) FROM ledger_postings WHERE key LIKE 'gov:%' AND kind = 'deduct_penalty'"
    assert rows(engine, penalties)[0][0] == 1


def test_expiry_lifts_what_no_other_measure_holds_and_expires_points(anxin: Any, engine: sa.Engine) -> None:
    record(anxin, cmd("f1"), points=1200)  # traffic_limit for 7 days, warning for 30
    anxin.clock.set(T0 + 7 * D - dt.timedelta(seconds=1))
    assert anxin.governance.violations.expire_due()["measures_expired"] == 0
    anxin.clock.set(T0 + 7 * D)
    out = anxin.governance.violations.expire_due()
    assert out["measures_expired"] == 1
    assert ("shop.lift", "shop:s1", "governance.lift") in actions(engine)
    assert rows(engine, "SELECT state FROM governance_measures WHERE palette_id = 'traffic_limit'") == [("expired",)]
    anxin.clock.set(T0 + 180 * D)
    out = anxin.governance.violations.expire_due()
    assert out["points_expired"] == 1
    assert rows(engine, "SELECT state FROM governance_violations") == [("expired",)]
    assert anxin.governance.violations.expire_due()["owners"] == 0  # nothing left to do


def test_a_lift_keeps_a_restriction_another_active_measure_still_holds(anxin: Any, engine: sa.Engine) -> None:
    record(anxin, cmd("f1"), points=1200)
    anxin.clock.set(T0 + 2 * D)
    record(anxin, cmd("f2"), points=1200)  # crosses 24: listing_freeze + campaign_ban; traffic limit stays
    anxin.clock.set(T0 + 8 * D)
    anxin.governance.violations.expire_due()
    lifts = [a for a in actions(engine) if a[0] == "shop.lift"]
    assert len(lifts) == 1  # the traffic limit ended: lifted; the freeze and the ban still run


def test_reverse_undoes_points_and_lifts_the_measures_it_caused(anxin: Any, engine: sa.Engine) -> None:
    view, _ = record(anxin, cmd("f1"), points=1200)
    with anxin.uow_factory() as uow:
        out = anxin.governance.violations.reverse(uow, view.violation_id, cause_type="appeal", cause_id="ap1",
                                                  at=T0 + D, by="operator:ops")
        again = anxin.governance.violations.reverse(uow, view.violation_id, cause_type="appeal", cause_id="ap1",
                                                    at=T0 + D, by="operator:ops")
        uow.commit()
    assert out.state == again.state == "reversed"
    assert rows(engine, "SELECT DISTINCT state FROM governance_measures") == [("reversed",)]
    assert ("shop.lift", "shop:s1", "governance.lift") in actions(engine)
    assert rows(engine, "SELECT state FROM governance_points") == [("reversed",)]
    record(anxin, cmd("f2"))  # 0.1 on a clean record: no node
    assert len([a for a in actions(engine) if a[0] == "shop.restrict"]) == 1


def test_findings_become_violations_once_each_through_events(anxin: Any, engine: sa.Engine) -> None:
    events = [FakeShipmentFound(finding_id="fd1", kind="fake_shipment.no_scans", order_id="o1", shop_id="s1",
                                rule_id="F.X", rulebook_version="v", found_at=T0),
              OversellingFound(finding_id="fd2", listing_id="l1", shop_id="s1", rule_id="F.Y", rulebook_version="v",
                               found_at=T0),
              LateShipmentRecorded(order_id="o2", shop_id="s1", finding_id="fd3", points_hundredths=10,
                                   capped_by=None, points_rule_id="F.P", coupon_fen=0, late_at=T0),
              LateShipmentRecorded(order_id="o3", shop_id="s1", finding_id="fd4", points_hundredths=0,
                                   capped_by="day", points_rule_id="F.P", coupon_fen=0, late_at=T0),
              ShopBlocked(shop_id="s1", cause="risk.verdict", cause_id="rv1", reason_codes=("risk.x",),
                          blocked_by="system", blocked_at=T0),
              ShopBlocked(shop_id="s1", cause="risk.ban", cause_id="b1", reason_codes=(), blocked_by="ops",
                          blocked_at=T0)]
    for _ in range(2):
        with anxin.uow_factory() as uow:
            uow.record(*events)
            uow.commit()
        anxin.process_events()
    found = rows(engine, "SELECT kind, subject, source_type, source_id, points FROM governance_violations "
                         "ORDER BY kind")
    assert found == [("fake_shipment", "shop:s1", "fulfilment.finding", "fd1", 400),
                     ("late_shipment", "shop:s1", "fulfilment.late_shipment", "fd3", 10),
                     ("overselling", "listing:l1", "fulfilment.finding", "fd2", 200),
                     ("risky_merchant", "shop:s1", "risk.shop_blocked", "risk.verdict:rv1", 600)]
    # a handler run again by hand is a replay too
    with anxin.uow_factory() as uow:
        anxin.governance.findings.fake_shipment(events[0], uow)
        uow.commit()
    assert rows(engine, "SELECT count(*) FROM governance_violations")[0][0] == 4
    evidence = rows(engine, "SELECT evidence FROM governance_violations WHERE kind = 'risky_merchant'")[0][0]
    assert "risk.x" not in str(evidence)




def test_two_violations_for_one_shop_at_once_cross_a_node_once(anxin: Any, engine: sa.Engine) -> None:
    record(anxin, cmd("base"), points=1100)
    results = _race(4, lambda i: record(anxin, cmd(f"race{i}"), points=100))  # each would cross 12 alone
    assert all(isinstance(r, tuple) for r in results), results
    crossed = rows(engine, "SELECT outcome FROM governance_decisions WHERE step = 'record' "
                           "AND outcome = 'measures_applied'")
    assert len(crossed) == 1
    assert rows(engine, "SELECT palette_id, count(*) FROM governance_measures GROUP BY palette_id "
                        "ORDER BY palette_id") == [("traffic_limit", 1), ("warning", 1)]
    assert len([a for a in actions(engine) if a[0] == "shop.restrict"]) == 1
