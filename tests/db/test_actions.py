"""Actions on the real database: an action and its outbox message commit together, one per cause however many
issue it at once, acks race safely, a blocked shop ends restricted exactly once, and fulfilment's findings are
published with the pass that found them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from tests.concurrency import at_once as _race
from tests.db.builders import T0, D, H, category, ingest_ok, item, listing, order_paid, scanned, shipped, shop

from anxin.actions import model as m
from anxin.actions.service import IssueAction, issue
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork
from anxin.fulfilment.events import FakeShipmentFound, LateShipmentRecorded, OversellingFound
from anxin.risk.events import ShopBlocked

pytestmark = pytest.mark.db
OPERATOR = Principal("k_op", Role.OPERATOR, "ops")
PLATFORM = Principal("k_pf", Role.PLATFORM, "platform")
RESTRICT = IssueAction(kind="shop.restrict", target="shop:s1", parameters={"restrict": ["withdrawals", "traffic"]},
                       cause_type="operator", cause_id="T-1", reason_codes=("R1",), note="checking")


def rows(engine: sa.Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


def counts(engine: sa.Engine) -> tuple[int, int]:
    return (rows(engine, "SELECT count(*) FROM platform_actions")[0][0],
            rows(engine, "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'action:%'")[0][0])


def test_an_action_and_its_message_commit_together_or_not_at_all(anxin: Any, engine: sa.Engine) -> None:
    with anxin.uow_factory() as uow:
        issue(uow, RESTRICT, clock=anxin.clock)  # not committed: the caller failed after it
    assert counts(engine) == (0, 0)
    with anxin.uow_factory() as uow:
        action, fresh = issue(uow, RESTRICT, clock=anxin.clock)
        uow.commit()
    assert fresh and counts(engine) == (1, 1)
    [(key, kind, subject, payload, message_id)] = rows(
        engine, "SELECT idempotency_key, kind, subject_ref, payload, message_id FROM outbox")
    assert key == "action:shop.restrict:shop:s1:T-1" == action.idempotency_key
    assert (kind, subject, message_id) == ("shop.restrict", "shop:s1", action.message_id)
    body = payload if isinstance(payload, dict) else json.loads(payload)
    assert body["action_id"] == action.action_id and body["parameters"] == {"restrict": ["traffic", "withdrawals"]}
    assert body["ack"] == f"/v1/actions/{action.action_id}/ack"


def test_the_same_cause_issues_one_action_and_other_parameters_are_refused(anxin: Any, engine: sa.Engine) -> None:
    ids = []
    for _ in range(2):
        with anxin.uow_factory() as uow:
            action, _fresh = issue(uow, RESTRICT, clock=anxin.clock)
            uow.commit()
            ids.append((action.action_id, _fresh))
    assert ids[0][0] == ids[1][0] and [f for _, f in ids] == [True, False]
    with pytest.raises(AnxinError) as exc, anxin.uow_factory() as uow:
        issue(uow, IssueAction(**{**RESTRICT.__dict__, "parameters": {"restrict": ["campaigns"]}}),
              clock=anxin.clock)
    assert exc.value.code.value == "actions.cause_conflict"
    assert counts(engine) == (1, 1)




def test_concurrent_issuers_of_one_action_make_one_action_and_one_message(anxin: Any, engine: sa.Engine) -> None:
    def work(_: int) -> tuple[str, bool]:
        with anxin.uow_factory() as uow:
            action, fresh = issue(uow, RESTRICT, clock=anxin.clock)
            uow.commit()
            return action.action_id, fresh

    results = _race(6, work)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({a for a, _ in results}) == 1 and sum(f for _, f in results) == 1
    assert counts(engine) == (1, 1)


def _issued(anxin: Any) -> str:
    with anxin.uow_factory() as uow:
        action, _ = issue(uow, RESTRICT, clock=anxin.clock)
        uow.commit()
    return str(action.action_id)


def test_racing_acks_one_wins_the_other_conflicts_and_the_same_ack_is_idempotent(anxin: Any) -> None:
    action_id = _issued(anxin)
    bodies = [{"status": "done"}, {"status": "failed", "reason": "shop not found"}] * 3
    results = _race(6, lambda i: anxin.actions.ack(PLATFORM, action_id, bodies[i]))
    winners = {r["state"] for r in results if isinstance(r, dict)}
    assert len(winners) == 1, results
    won = winners.pop()
    for body, r in zip(bodies, results, strict=True):
        if body["status"] == won:
            assert isinstance(r, dict) and r["state"] == won
        else:
            assert isinstance(r, AnxinError) and r.code.value == "actions.ack_conflict", r
    final = anxin.actions.get(OPERATOR, action_id)
    assert final["state"] == won and final["acked_at"] == anxin.clock.now().isoformat()


def test_delivery_then_silence_shows_unconfirmed_first(anxin: Any, clock: Any, transport: Any) -> None:
    first = _issued(anxin)
    with anxin.uow_factory() as uow:
        second, _ = issue(uow, IssueAction(kind="listing.takedown", target="listing:L1", parameters={},
                                           cause_type="operator", cause_id="T-2"), clock=clock)
        uow.commit()
    # The platform acted on the second and acked before anxin recorded its delivery: the ack keeps its answer.
    anxin.actions.ack(PLATFORM, second.action_id, {"status": "done"})
    assert anxin.actions.get(OPERATOR, first)["state"] == "issued"  # nothing delivered yet
    assert anxin.deliver()["delivered"] == 2
    assert sorted(json.loads(c.body)["kind"] for c in transport.calls) == ["listing.takedown", "shop.restrict"]
    sent = anxin.actions.get(OPERATOR, first)
    assert sent["state"] == "sent" and sent["sent_at"] == clock.now().isoformat()
    assert (anxin.actions.get(OPERATOR, second.action_id)["state"], anxin.actions.get(
        OPERATOR, second.action_id)["sent_at"]) == ("done", None)
    clock.advance(minutes=anxin.settings.action_ack_minutes, seconds=1)
    listing_ = anxin.actions.list(OPERATOR)
    assert [(i["action_id"], i["state"]) for i in listing_] == [(first, "unconfirmed"), (second.action_id, "done")]
    assert anxin.actions.counts(OPERATOR) == {"issued": 0, "sent": 0, "done": 1, "failed": 0, "unconfirmed": 1}
    assert [i["action_id"] for i in anxin.actions.list(OPERATOR, state="unconfirmed")] == [first]
    assert anxin.actions.list(OPERATOR, state="sent") == []
    assert [i["action_id"] for i in anxin.actions.list(OPERATOR, target="listing:L1")] == [second.action_id]
    [top] = anxin.actions.list(OPERATOR, limit=1)
    after = (0, dt.datetime.fromisoformat(top["issued_at"]), top["action_id"])  # unconfirmed: urgency 0
    assert [i["action_id"] for i in anxin.actions.list(OPERATOR, after=after)] == [second.action_id]



def test_pages_by_keyset_cover_the_list_once_in_order(anxin: Any, clock: Any) -> None:
    """Urgency, then newest, then id: ties on the time (one clock tick for several actions) and the urgency
    boundaries are where a keyset condition goes wrong, on either database."""
    made = []
    for i in range(7):
        with anxin.uow_factory() as uow:
            action, _ = issue(uow, IssueAction(kind="shop.close", target=f"shop:k{i}", parameters={},
                                               cause_type="operator", cause_id=f"K-{i}"), clock=clock)
            uow.commit()
        made.append(action.action_id)
        if i % 3 == 2:
            clock.advance(seconds=1)
    for done in made[:2]:
        anxin.actions.ack(PLATFORM, done, {"status": "done"})
    anxin.actions.ack(PLATFORM, made[4], {"status": "failed", "reason": "shop already closed"})
    whole = [a["action_id"] for a in anxin.actions.list(OPERATOR)]
    assert sorted(whole) == sorted(made) and whole[0] == made[4] and set(whole[-2:]) == set(made[:2])
    paged: list[str] = []
    after = None
    while True:
        page = anxin.actions.list(OPERATOR, limit=2, after=after)
        paged += [a["action_id"] for a in page]
        if len(page) < 2:
            break
        last = page[-1]
        after = (m.URGENCY[last["state"]], dt.datetime.fromisoformat(last["issued_at"]), last["action_id"])
    assert paged == whole


def _restrictions(engine: sa.Engine) -> list[Any]:
    return rows(engine, "SELECT kind, target, rule_id, cause_type, state FROM platform_actions ORDER BY issued_at")


def test_a_banned_shop_is_restricted_once_even_when_the_event_is_handled_twice(anxin: Any, engine: sa.Engine) -> None:
    ingest_ok(anxin, [shop("bad", "m-bad", credentials={"licence": "91330000MA0001"})])
    anxin.risk.ban_shop(OPERATOR, "bad", reason="售假被清退")
    assert _restrictions(engine) == [("shop.restrict", "shop:bad", "A.SHOP_BLOCKED.RESTRICT", "risk.ban", "issued")]
    assert counts(engine) == (1, 1)
    [(name, payload)] = rows(engine, "SELECT name, payload FROM domain_events")
    event = ShopBlocked(**{**(payload if isinstance(payload, dict) else json.loads(payload)),
                           "blocked_at": T0, "reason_codes": ("risk.shop_banned",)})
    assert name == "risk.shop_blocked"
    # Delivered again: the handler run directly, and the log's mark removed so the worker runs it once more.
    with anxin.uow_factory() as uow:
        anxin.actions.restrict_blocked_shop(event, uow)
        uow.commit()
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM domain_event_handlers")
        conn.exec_driver_sql("UPDATE domain_events SET status = 'pending'")
    assert anxin.process_events().handled == 1
    assert counts(engine) == (1, 1)
    [action] = anxin.actions.list(OPERATOR)
    assert action["parameters"] == {"restrict": ["new_listings", "withdrawals"]}
    assert action["reason_codes"] == ["risk.shop_banned"] and action["cause"]["id"].startswith("ban:bad:")


def test_screening_block_restricts_and_clearing_its_review_lifts(anxin: Any, engine: sa.Engine) -> None:
    ingest_ok(anxin, [shop("bad", "m-bad", credentials={"licence": "91330000MA0001"})])
    anxin.risk.ban_shop(OPERATOR, "bad", reason="售假被清退")
    ingest_ok(anxin, [shop("reopened", "m-new", credentials={"licence": "91330000MA0001"})])
    restricted = [r for r in _restrictions(engine) if r[1] == "shop:reopened" and r[3].startswith("risk.")]
    assert restricted == [("shop.restrict", "shop:reopened", "A.SHOP_BLOCKED.RESTRICT", "risk.verdict", "issued")]
    # Governance records the block as a risky-merchant violation and enforces its ladder's measures too.
    governed = {r[0] for r in _restrictions(engine) if r[1] == "shop:reopened" and r[3] == "governance.measure"}
    assert governed == {"shop.restrict", "funds.hold"}
    [review] = [i for i in anxin.risk.queue(OPERATOR) if i["shop_id"] == "reopened"]
    anxin.risk.decide(OPERATOR, review["review_id"], decision="clear", reason="false_match")
    lifted = [r for r in _restrictions(engine) if r[1] == "shop:reopened" and r[3].startswith("risk.")][1:]
    assert lifted == [("shop.lift", "shop:reopened", "A.SHOP_UNBLOCKED.LIFT", "risk.review", "issued")]
    # Clearing the block reverses the violation: governance lifts what it imposed.
    released = {r[0] for r in _restrictions(engine) if r[1] == "shop:reopened" and r[3] == "governance.lift"}
    assert released == {"shop.lift", "funds.release"}
    actions, messages = counts(engine)
    assert actions == messages  # every action travels in its own outbox message


def test_a_reviewed_shop_confirmed_by_an_operator_is_restricted(anxin: Any, engine: sa.Engine) -> None:
    ingest_ok(anxin, [shop("bad", "m-bad", credentials={"phone": "138-1"})])
    anxin.risk.ban_shop(OPERATOR, "bad", reason="刷单")
    ingest_ok(anxin, [shop("same-phone", "m-p", credentials={"phone": "138-1"})])
    assert [r for r in _restrictions(engine) if r[1] == "shop:same-phone"] == []  # a review, not a block
    [review] = [i for i in anxin.risk.queue(OPERATOR) if i["shop_id"] == "same-phone"]
    anxin.risk.decide(OPERATOR, review["review_id"], decision="confirm", reason="risky_merchant", note="同一团伙")
    [(kind, _, _, cause, _)] = [r for r in _restrictions(engine) if r[1] == "shop:same-phone"
                                and r[3].startswith("risk.")]
    assert (kind, cause) == ("shop.restrict", "risk.review")
    [action] = [a for a in anxin.actions.list(OPERATOR, target="shop:same-phone") if a["rule_id"].startswith("A.")]
    assert action["reason_codes"] == ["risk.shop_linked_to_banned", "review.risky_merchant"]


class SpyingFactory:
    """The real unit-of-work factory, keeping every unit of work it opens (their ``published`` events)."""

    def __init__(self, inner: Callable[[], UnitOfWork]) -> None:
        self.inner = inner
        self.opened: list[UnitOfWork] = []

    def __call__(self) -> UnitOfWork:
        uow = self.inner()
        self.opened.append(uow)
        return uow


def test_fulfilment_publishes_fake_shipments_overselling_and_late_shipments(anxin: Any, clock: Any) -> None:
    events = [category(), shop("s1", "m1"), shop("s2", "m2"), listing("l_s1", "s1"), listing("l_s2", "s2")]
    for i in range(3):  # three orders never shipped, then the listing keeps selling
        events.append(order_paid(f"o{i}", f"c{i}", "s1", items=[item("l_s1")], paid_at=T0 + i * H))
    events.append(order_paid("o8", "c8", "s1", items=[item("l_s1")], paid_at=T0 + 51 * H))
    events += [order_paid("a1", "ca", "s1", items=[item("l_s1")], paid_at=T0),
               order_paid("b1", "cb", "s2", items=[item("l_s2")], paid_at=T0 + H),
               shipped("a1", tracking_no="YT1", carrier="yto", shipped_at=T0 + 2 * H),
               shipped("b1", tracking_no="YT1", carrier="yto", shipped_at=T0 + 3 * H),  # another shop reuses it
               scanned("YT1", carrier="yto", status="collected", scanned_at=T0 + 4 * H)]
    ingest_ok(anxin, events)
    spy = SpyingFactory(anxin.fulfilment.uow_factory)
    anxin.fulfilment.uow_factory = spy
    clock.set(T0 + 4 * D)
    anxin.fulfilment.check_due()
    published = [e for uow in spy.opened for e in uow.published]
    fake = [e for e in published if isinstance(e, FakeShipmentFound)]
    oversold = [e for e in published if isinstance(e, OversellingFound)]
    late = [e for e in published if isinstance(e, LateShipmentRecorded)]
    assert [(e.kind, e.order_id, e.shop_id, e.rule_id) for e in fake] == [
        ("fake_shipment.tracking_reused", "b1", "s2", "F.FAKE.TRACKING_REUSED")]
    assert [(e.listing_id, e.shop_id, e.rule_id) for e in oversold] == [("l_s1", "s1", "F.LISTING.OVERSOLD")]
    assert sorted(e.order_id for e in late) == ["o0", "o1", "o2"]  # o8 is not due to ship yet
    assert all(e.shop_id == "s1" and e.coupon_fen > 0 and e.points_rule_id for e in late)
    findings = {f.finding_id for f in anxin.fulfilment.all_findings()}
    assert {e.finding_id for e in [*fake, *oversold, *late]} <= findings
    # Judged again: the findings are already stored, so nothing is published twice.
    spy.opened.clear()
    anxin.fulfilment.check_all()
    assert [e for uow in spy.opened for e in uow.published] == []


def test_operators_issue_by_hand_and_bad_input_is_a_stable_code(anxin: Any) -> None:
    body = {"kind": "funds.hold", "target": "shop:s1", "parameters": {"amount_fen": 5000},
            "cause": {"type": "ticket", "id": "T-9"}, "note": "pending investigation"}
    made = anxin.actions.issue_by_hand(OPERATOR, body)
    again = anxin.actions.issue_by_hand(OPERATOR, body)
    assert made["created"] and not again["created"] and made["action_id"] == again["action_id"]
    assert made["issued_by"] == "operator:ops"
    for bad, code in [({**body, "kind": "shop.nuke"}, "actions.unknown_kind"),
                      ({**body, "parameters": {"amount_fen": 0}}, "actions.invalid_parameters"),
                      ({**body, "target": "listing:L1"}, "actions.invalid_target"),
                      ({**body, "cause": "T-9"}, "actions.invalid_cause"),
                      ({**body, "cause": {"id": "has space"}}, "actions.invalid_cause"),
                      ({**body, "note": 5}, "actions.invalid_parameters")]:
        with pytest.raises(AnxinError) as exc:
            anxin.actions.issue_by_hand(OPERATOR, bad)
        assert exc.value.code.value == code, bad
    with pytest.raises(AnxinError) as exc:
        anxin.actions.issue_by_hand(PLATFORM, body)
    assert exc.value.code.value == "access.forbidden_role"
    assert m.FUNDS_HOLD in {i["kind"] for i in anxin.actions.list(OPERATOR)}
