"""Governance end to end on the real anxin (SQLite, and PostgreSQL with ANXIN_TEST_DATABASE_URL): from events or
the use cases the API calls, through the ledger and the ladder, to platform actions in ``platform_actions`` and
the outbox, the platform's acks, and back through appeals: points reversed, lifts issued and delivered, closures
reopened, deposits refunded, extensions undone. Creators and live rooms too."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from tests.concurrency import all_at_once as _race
from tests.db.builders import T0, D, category, ingest_ok, listing, shop

from anxin.core.principal import Principal, Role
from anxin.fulfilment.events import FakeShipmentFound
from anxin.outbox.model import ACTION_KINDS

pytestmark = pytest.mark.db

OPS = Principal("k-ops", Role.OPERATOR, "ops")
PLATFORM = Principal("k-pf", Role.PLATFORM, "platform")
M1 = Principal("k-m1", Role.MERCHANT, "m1")
RH1 = Principal("k-rh1", Role.RIGHTS_HOLDER, "rh1")
CR1 = Principal("k-cr1", Role.CREATOR, "cr1")
CR2 = Principal("k-cr2", Role.CREATOR, "cr2")
STATEMENT = "the scans show the parcel moved: the finding was wrong"


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def platform_actions(engine: sa.Engine, *, cause: str | None = None) -> list[tuple[str, str, str]]:
    where = "WHERE cause_type = :cause" if cause else ""
    return sorted((k, t, s) for k, t, s in rows(
        engine, f"SELECT kind, target, state FROM platform_actions {where}", cause=cause))


def deliver_and_ack(anxin: Any, transport: Any, seen: set[str]) -> list[tuple[str, str]]:
    """The outbox delivers; the platform acks every action it received (done) once; what it acted on."""
    anxin.deliver()
    done = []
    for call in transport.calls:
        body = json.loads(call.body)
        payload = body.get("payload") or {}
        action_id = payload.get("action_id")
        if body.get("kind") not in ACTION_KINDS or action_id in seen:
            continue
        seen.add(action_id)
        anxin.actions.ack(PLATFORM, action_id, {"status": "done"})
        done.append((body["kind"], f"{payload['target']['type']}:{payload['target']['id']}"))
    anxin.process_events()
    return sorted(done)


def violation_of(engine: sa.Engine, source_id: str) -> tuple[str, str, int]:
    [(vid, state, points)] = rows(engine, "SELECT violation_id, state, points FROM governance_violations "
                                          "WHERE source_id = :s", s=source_id)
    return vid, state, points


def appeal_and_uphold(anxin: Any, who: Principal, violation_id: str) -> dict[str, Any]:
    appeal = anxin.governance.appeals.file(who, violation_id, statement=STATEMENT,
                                           evidence=[{"kind": "document", "ref": "scan-log-1"}])
    anxin.clock.advance(hours=5)
    return anxin.governance.appeals.decide(OPS, appeal["appeal_id"], outcome="upheld", reason_codes=["evidence"])


def fake_shipment(n: int, at: dt.datetime) -> FakeShipmentFound:
    return FakeShipmentFound(finding_id=f"fd{n}", kind="fake_shipment.no_scans", order_id=f"o{n}", shop_id="s1",
                             rule_id="F.FAKE", rulebook_version="v", found_at=at)


def publish(anxin: Any, *events: Any) -> None:
    with anxin.uow_factory() as uow:
        uow.record(*events)
        uow.commit()
    anxin.process_events()


def deposit(anxin: Any, shop_id: str = "s1") -> dict[str, Any]:
    view: dict[str, Any] = anxin.merchants.money.deposit(OPS, shop_id, postings=False)
    return view


# --- (a) a finding → the ladder → the platform → an appeal → everything undone -----------------------------------

def test_a_fake_shipment_finding_crosses_a_node_and_an_upheld_appeal_undoes_it(anxin: Any, engine: sa.Engine,
                                                                              transport: Any) -> None:
    ingest_ok(anxin, [shop("s1", "m1")])
    seen: set[str] = set()
    publish(anxin, fake_shipment(1, T0), fake_shipment(2, T0))  # 4 + 4 points: below the first node (12)
    assert platform_actions(engine) == []
    anxin.clock.set(T0 + D)
    publish(anxin, fake_shipment(3, T0 + D))  # 12: crosses GOV.GENERAL.12 (warning + traffic limit)
    publish(anxin, fake_shipment(3, T0 + D))  # delivered again: nothing new
    assert rows(engine, "SELECT count(*) FROM governance_violations")[0][0] == 3
    assert platform_actions(engine) == [("shop.restrict", "shop:s1", "issued")]
    assert rows(engine, "SELECT count(*) FROM outbox WHERE kind = 'shop.restrict'")[0][0] == 1
    assert deliver_and_ack(anxin, transport, seen) == [("shop.restrict", "shop:s1")]
    assert platform_actions(engine) == [("shop.restrict", "shop:s1", "done")]
    record = anxin.governance.queries.shop_record(M1, "s1")
    assert record["ladder"][0]["reached_node"] == "GOV.GENERAL.12"

    vid, _, _ = violation_of(engine, "fd3")
    anxin.clock.set(T0 + 3 * D)
    decided = appeal_and_uphold(anxin, M1, vid)
    assert decided["state"] == "upheld"
    assert violation_of(engine, "fd3")[1] == "reversed"
    record = anxin.governance.queries.shop_record(M1, "s1")
    assert record["points"][0]["points_hundredths"] == 800 and record["ladder"][0]["reached_node"] is None
    assert [a["state"] for a in record["appeals"]] == ["upheld"]
    assert ("shop.lift", "shop:s1", "issued") in platform_actions(engine, cause="governance.lift")
    assert deliver_and_ack(anxin, transport, seen) == [("shop.lift", "shop:s1")]
    assert ("shop.lift", "shop:s1", "done") in platform_actions(engine)
    # Replaying the finding after the reversal records nothing and restricts nothing.
    publish(anxin, fake_shipment(3, T0 + D))
    assert len([a for a in platform_actions(engine) if a[0] == "shop.restrict"]) == 1


def test_a_reversed_closure_reopens_the_shop_refunds_the_deposit_and_restores_the_listing(
        anxin: Any, engine: sa.Engine, transport: Any) -> None:
    ingest_ok(anxin, [category(), shop("s1", "m1"), listing("l1", "s1")])
    anxin.merchants.money.top_up(M1, "s1", amount_fen=150_000, key="t1")  # the deposit cannot cover 200,000
    seen: set[str] = set()
    out = anxin.governance.queries.record_by_hand(OPS, {
        "id": "ops-1", "kind": "counterfeit", "subject": "listing:l1", "shop_id": "s1", "severity": "critical",
        "evidence": {"description": "fake hologram"}})
    assert out["created"]
    assert deliver_and_ack(anxin, transport, seen) == [("listing.takedown", "listing:l1"), ("shop.close", "shop:s1")]
    assert (deposit(anxin)["held_fen"], deposit(anxin)["debt_fen"]) == (0, 50_000)

    anxin.clock.set(T0 + 2 * D)
    appeal_and_uphold(anxin, M1, out["violation_id"])
    lifts = deliver_and_ack(anxin, transport, seen)
    assert lifts == [("listing.restore", "listing:l1"), ("shop.reopen", "shop:s1")]
    assert (deposit(anxin)["held_fen"], deposit(anxin)["debt_fen"]) == (150_000, 0)  # paid back in full, debt cancelled
    refunds = rows(engine, "SELECT kind FROM ledger_postings WHERE key LIKE 'gov-refund:%'")
    assert refunds == [("refund_penalty",)]
    states = dict(rows(engine, "SELECT type, state FROM governance_measures"))
    assert states == {"closure": "reversed", "deposit_deduction": "reversed", "listing_takedown": "reversed"}
    # Reversing again (a redelivered decision) pays nothing twice and reopens nothing twice.
    with anxin.uow_factory() as uow:
        anxin.governance.violations.reverse(uow, out["violation_id"], cause_type="test", cause_id="again",
                                            at=anxin.clock.now(), by="operator:ops")
        uow.commit()
    assert rows(engine, "SELECT count(*) FROM ledger_postings WHERE key LIKE 'gov-refund:%'")[0][0] == 1
    assert len([a for a in platform_actions(engine) if a[0] == "shop.reopen"]) == 1


def test_reversing_the_extending_violation_restores_the_earlier_end(anxin: Any, engine: sa.Engine) -> None:
    ingest_ok(anxin, [shop("s1", "m1")])
    anxin.governance.queries.record_by_hand(OPS, {"id": "x1", "kind": "fake_shipment", "subject": "shop:s1",
                                                  "shop_id": "s1", "evidence": {"order_id": "o1", "finding_id": "f1"}})
    [(warning_id, first_end)] = rows(engine, "SELECT measure_id, ends_at FROM governance_measures")
    anxin.clock.set(T0 + 10 * D)
    later = anxin.governance.queries.record_by_hand(OPS, {
        "id": "x2", "kind": "fake_shipment", "subject": "shop:s1", "shop_id": "s1",
        "evidence": {"order_id": "o2", "finding_id": "f2"}})  # the same warning, now to day 40
    assert rows(engine, "SELECT count(*) FROM governance_measures")[0][0] == 1
    [(m, v, before, to)] = rows(engine, "SELECT measure_id, violation_id, previous_ends_at, extended_to "
                                        "FROM governance_measure_extensions")
    assert (m, v) == (warning_id, later["violation_id"])
    assert _same(before, first_end) and _same(to, T0 + 40 * D)
    anxin.clock.set(T0 + 12 * D)
    appeal_and_uphold(anxin, M1, later["violation_id"])
    [(state, end)] = rows(engine, "SELECT state, ends_at FROM governance_measures")
    assert state == "active" and _same(end, first_end)  # back to day 30: the first violation still holds it
    anxin.clock.set(T0 + 30 * D)
    assert anxin.governance.violations.expire_due()["measures_expired"] == 1


def test_reversing_after_the_earlier_end_ends_the_measure_now(anxin: Any, engine: sa.Engine) -> None:
    ingest_ok(anxin, [shop("s1", "m1")])
    anxin.governance.queries.record_by_hand(OPS, {"id": "x1", "kind": "fake_shipment", "subject": "shop:s1",
                                                  "shop_id": "s1", "evidence": {"order_id": "o1", "finding_id": "f1"}})
    anxin.clock.set(T0 + 25 * D)
    later = anxin.governance.queries.record_by_hand(OPS, {
        "id": "x2", "kind": "fake_shipment", "subject": "shop:s1", "shop_id": "s1",
        "evidence": {"order_id": "o2", "finding_id": "f2"}})
    anxin.clock.set(T0 + 31 * D)  # past the first end (day 30), before the extended one (day 55)
    appeal_and_uphold(anxin, M1, later["violation_id"])
    assert rows(engine, "SELECT state FROM governance_measures") == [("expired",)]


def _same(a: Any, b: Any) -> bool:
    def norm(x: Any) -> dt.datetime:
        x = dt.datetime.fromisoformat(x) if isinstance(x, str) else x
        return x if x.tzinfo else x.replace(tzinfo=dt.UTC)
    return norm(a) == norm(b)


# --- (b) a published listing's blocked check → a violation → the takedown ------------------------------------------

def test_a_blocked_listing_from_ingestion_is_taken_down(anxin: Any, engine: sa.Engine, transport: Any) -> None:
    ingest_ok(anxin, [category("cat_beauty", tags=["cosmetics"]), shop("s1", "m1"),
                      listing("l1", "s1", "cat_beauty", title="国家级 最佳 面霜 治疗痘痘")])
    anxin.process_events()
    [(kind, subject, source)] = rows(engine, "SELECT kind, subject, source_type FROM governance_violations")
    assert (kind, subject, source) == ("false_advertising", "listing:l1", "governance.listing_check")
    assert deliver_and_ack(anxin, transport, set()) == [("listing.takedown", "listing:l1")]


# --- (c) upheld IP complaints → violations per listing → takedowns; a repeat infringer escalates ---------------------

def test_upheld_ip_complaints_take_listings_down_and_escalate(anxin: Any, engine: sa.Engine, transport: Any) -> None:
    ingest_ok(anxin, [category(), shop("s1", "m1"), listing("l1", "s1"), listing("l2", "s1"), listing("l3", "s1")])
    proof = {"rights_kind": "trademark", "owner": "rh1", "registration_number": "12345678"}
    severities = []
    for n, lids in enumerate((["l1", "l2"], ["l3"])):
        c = anxin.governance.ip.file(RH1, {"client_key": f"k{n}", "listing_ids": lids, "statement": "our mark",
                                           "proof": proof, "evidence": ["shot"]})
        anxin.clock.advance(days=3)
        decided = anxin.governance.ip.decide(OPS, c["complaint_id"], {"outcome": "upheld",
                                                                      "reason_codes": ["infringement_confirmed"]})
        severities.append(decided["decision"]["facts"]["severity"])
    assert severities == ["minor", "critical"]  # two listings taken down before: two prior violations
    found = rows(engine, "SELECT subject, severity FROM governance_violations ORDER BY recorded_at, subject")
    assert found == [("listing:l1", "minor"), ("listing:l2", "minor"), ("listing:l3", "critical")]
    done = deliver_and_ack(anxin, transport, set())
    assert [a for a in done if a[0] == "listing.takedown"] == [
        ("listing.takedown", "listing:l1"), ("listing.takedown", "listing:l2"), ("listing.takedown", "listing:l3")]
    assert anxin.governance.queries.shop_record(M1, "s1")["points"][0]["points_hundredths"] == 1600


# --- (d) a failed inspection sample → a violation → the takedown -----------------------------------------------------

def test_a_failed_inspection_sample_takes_the_listing_down(anxin: Any, engine: sa.Engine, transport: Any) -> None:
    ingest_ok(anxin, [category("cat_food", tags=["food"]), shop("s1", "m1", opened_at=T0 - 400 * D)]
              + [listing(f"l{i}", "s1", "cat_food") for i in range(12)])
    plan = anxin.governance.inspections.create_plan(OPS, {"period": "2026-11", "seed": 7, "budget": 10})
    sample = anxin.governance.inspections.plan(OPS, plan["plan_id"], limit=1)[1][0]
    result = anxin.governance.inspections.record_result(OPS, sample["sample_id"], {
        "outcome": "failed", "defects": [{"kind": "quality", "detail": "mould"}]})
    assert result["violation_id"]
    [(kind, subject)] = rows(engine, "SELECT kind, subject FROM governance_violations")
    assert subject == f"listing:{sample['listing_id']}"
    assert deliver_and_ack(anxin, transport, set()) == [("listing.takedown", subject)]
    _ = kind


# --- (e) creators and live rooms ------------------------------------------------------------------------------------

def test_a_creator_is_restricted_until_expiry_and_then_lifted(anxin: Any, engine: sa.Engine, transport: Any) -> None:
    seen: set[str] = set()
    out = anxin.governance.queries.record_by_hand(OPS, {
        "id": "live-1", "kind": "fraudulent_marketing", "subject": "live_room:r1", "creator_id": "cr1",
        "severity": "major", "evidence": {"description": "fake countdown and staged buyers in the stream"}})
    assert out["created"] and out["subject"] == "live_room:r1"
    assert deliver_and_ack(anxin, transport, seen) == [("creator.restrict", "creator:cr1"),
                                                       ("live_room.penalise", "live_room:r1")]
    [(params,)] = rows(engine, "SELECT parameters FROM platform_actions WHERE kind = 'creator.restrict'")
    assert json.loads(params) if isinstance(params, str) else params == {
        "restrict": ["live", "short_video", "product_links"]}
    record = anxin.governance.queries.creator_record(CR1, "cr1")
    assert record["points"][1]["points_hundredths"] == 600 and record["ladder"][1]["reached_node"] == "GOV.SEVERE.6"
    assert sorted(m["type"] for m in record["measures"]) == ["creator_restrict", "live_room_penalise"]
    assert [v["violation_id"] for v in record["violations"]] == [out["violation_id"]]

    anxin.clock.set(T0 + 3 * D)  # the 3-day suspension ends
    anxin.governance.violations.expire_due()
    assert deliver_and_ack(anxin, transport, seen) == [("live_room.lift", "live_room:r1")]
    anxin.clock.set(T0 + 30 * D)  # the 30-day restriction ends
    anxin.tick()
    assert deliver_and_ack(anxin, transport, seen) == [("creator.lift", "creator:cr1")]
    [(params,)] = rows(engine, "SELECT parameters FROM platform_actions WHERE kind = 'creator.lift'")
    assert "short_video" in str(params)
    assert anxin.governance.queries.creator_record(OPS, "cr1")["measures"] == []


def test_a_creator_appeals_a_false_advertising_stream_and_the_lift_follows(anxin: Any, engine: sa.Engine,
                                                                             transport: Any) -> None:
    from anxin.core.errors import AnxinError
    seen: set[str] = set()
    out = anxin.governance.queries.record_by_hand(OPS, {
        "id": "live-2", "kind": "false_advertising", "subject": "live_room:r2", "creator_id": "cr2",
        "severity": "minor", "evidence": {"claims": ["cures acne in 3 days"]}})
    assert deliver_and_ack(anxin, transport, seen) == [("live_room.penalise", "live_room:r2")]
    with pytest.raises(AnxinError) as other:  # another creator neither reads nor appeals it
        anxin.governance.queries.creator_record(CR1, "cr2")
    assert other.value.code.value == "governance.creator_not_found"
    with pytest.raises(AnxinError):
        anxin.governance.appeals.file(CR1, out["violation_id"], statement=STATEMENT)
    assert anxin.governance.queries.violation(CR2, out["violation_id"])["kind"] == "false_advertising"
    anxin.clock.set(T0 + D)
    appeal_and_uphold(anxin, CR2, out["violation_id"])
    assert deliver_and_ack(anxin, transport, seen) == [("live_room.lift", "live_room:r2")]
    record = anxin.governance.queries.creator_record(CR2, "cr2")
    assert record["points"][0]["points_hundredths"] == 0 and record["measures"] == []
    assert [a["state"] for a in record["appeals"]] == ["upheld"]
    assert record["violations"][0]["state"] == "reversed"


# --- concurrency: an appeal upheld while the expiry job runs for the same shop --------------------------------------



@pytest.mark.parametrize("round_", range(3))
def test_an_appeal_upheld_while_the_expiry_job_runs_lifts_once(anxin: Any, engine: sa.Engine, round_: int) -> None:
    ingest_ok(anxin, [shop("s1", "m1")])
    out = anxin.governance.queries.record_by_hand(OPS, {
        "id": "r", "kind": "risky_merchant", "subject": "shop:s1", "shop_id": "s1",
        "evidence": {"cause": "risk.review", "cause_id": "r1"}})  # listing freeze 14 d, fund hold 30 d
    anxin.clock.set(T0 + 14 * D)  # the freeze is due to expire exactly now
    appeal = anxin.governance.appeals.file(M1, out["violation_id"], statement=STATEMENT)
    results = _race([lambda: anxin.governance.violations.expire_due(anxin.clock.now()),
                     lambda: anxin.governance.appeals.decide(OPS, appeal["appeal_id"], outcome="upheld")])
    assert not [r for r in results if isinstance(r, Exception)], results
    lifts = rows(engine, "SELECT kind, target, parameters FROM platform_actions WHERE cause_type = 'governance.lift'")
    assert sorted(k for k, _, _ in lifts) == ["funds.release", "shop.lift"]  # each lifted once, whoever won
    states = dict(rows(engine, "SELECT type, state FROM governance_measures"))
    assert states["fund_hold"] == "reversed" and states["listing_freeze"] in ("expired", "reversed")
    assert violation_of(engine, "r")[1] == "reversed"
    assert rows(engine, "SELECT count(*) FROM outbox WHERE kind IN ('shop.lift', 'funds.release')")[0][0] == 2
