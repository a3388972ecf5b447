"""Action kinds, targets and parameters at their edges; the state machine, ack idempotency and conflicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anxin.actions import model as m
from anxin.actions.error_codes import ActionErrorCode as E
from anxin.core.errors import AnxinError
from anxin.outbox.model import ACTION_KINDS

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


def _code(fn: Any, *args: Any) -> str:
    with pytest.raises(AnxinError) as info:
        fn(*args)
    return info.value.code.value


def test_the_outbox_knows_every_action_kind() -> None:
    assert set(m.KINDS) == ACTION_KINDS


VALID = [
    ("listing.takedown", "listing:L1", {}, {}),
    ("listing.restore", "listing:L1", None, {}),
    ("shop.restrict", "shop:s1", {"restrict": ["withdrawals", "new_listings"]},
     {"restrict": ["new_listings", "withdrawals"]}),  # canonical order
    ("shop.restrict", "shop:s1", {"restrict": list(m.SHOP_RESTRICTIONS)}, {"restrict": list(m.SHOP_RESTRICTIONS)}),
    ("shop.lift", "shop:s1", {"restrict": ["traffic"]}, {"restrict": ["traffic"]}),
    ("shop.close", "shop:s-1.x", {}, {}),
    ("shop.reopen", "shop:s1", {}, {}),
    ("shop.reopen", "shop:s1", None, {}),
    ("funds.hold", "shop:s1", {"amount_fen": 1}, {"amount_fen": 1}),
    ("funds.hold", "shop:s1", {"amount_fen": m.MAX_FEN}, {"amount_fen": m.MAX_FEN}),
    ("funds.hold", "shop:s1", {"all": True}, {"all": True}),
    ("funds.release", "shop:s1", {"all": True}, {"all": True}),
    ("creator.restrict", "creator:c1", {"restrict": ["live"]}, {"restrict": ["live"]}),
    ("creator.lift", "creator:c1", {"restrict": ["product_links", "live"]}, {"restrict": ["live", "product_links"]}),
    ("creator.lift", "creator:c1", {"restrict": list(m.CREATOR_RESTRICTIONS)},
     {"restrict": list(m.CREATOR_RESTRICTIONS)}),
    ("live_room.lift", "live_room:r1", {}, {}),
    ("live_room.lift", "live_room:r1", None, {}),
    ("live_room.penalise", "live_room:r1", {"penalty": "warning"}, {"penalty": "warning"}),
    ("live_room.penalise", "live_room:r1", {"penalty": "suspend", "minutes": 1}, {"penalty": "suspend", "minutes": 1}),
    ("live_room.penalise", "live_room:r1", {"penalty": "traffic_limit", "minutes": m.MAX_MINUTES},
     {"penalty": "traffic_limit", "minutes": m.MAX_MINUTES}),
]


@pytest.mark.parametrize(("kind", "target", "given", "expected"), VALID)
def test_valid_parameters_are_normalised(kind: str, target: str, given: Any, expected: dict[str, Any]) -> None:
    assert m.check_target(m.check_kind(kind), target) == target
    assert m.check_parameters(kind, given) == expected


INVALID_PARAMETERS = [
    ("listing.takedown", {"reason": "x"}),
    ("listing.takedown", ["not", "a", "map"]),
    ("shop.restrict", {}),
    ("shop.restrict", {"restrict": []}),
    ("shop.restrict", {"restrict": "new_listings"}),
    ("shop.restrict", {"restrict": ["fly"]}),
    ("shop.restrict", {"restrict": ["traffic", "traffic"]}),
    ("shop.restrict", {"restrict": ["traffic"], "until": "2027-01-01"}),
    ("creator.restrict", {"restrict": ["withdrawals"]}),  # a shop restriction, not a creator's
    ("creator.lift", {}),  # what to lift must be named, as for creator.restrict
    ("creator.lift", {"restrict": []}),
    ("creator.lift", {"restrict": ["traffic"]}),
    ("creator.lift", {"restrict": ["live", "live"]}),
    ("live_room.lift", {"penalty": "suspend"}),  # ends whatever penalty runs: it names none
    ("live_room.lift", {"minutes": 5}),
    ("shop.reopen", {"restrict": ["traffic"]}),  # reopening names nothing: a closure is all or nothing
    ("funds.hold", {}),
    ("funds.hold", {"amount_fen": 0}),
    ("funds.hold", {"amount_fen": -5}),
    ("funds.hold", {"amount_fen": 1.5}),
    ("funds.hold", {"amount_fen": "100"}),
    ("funds.hold", {"amount_fen": True}),
    ("funds.hold", {"amount_fen": m.MAX_FEN + 1}),
    ("funds.hold", {"all": False}),
    ("funds.hold", {"all": True, "amount_fen": 100}),
    ("funds.release", {"all": "yes"}),
    ("live_room.penalise", {}),
    ("live_room.penalise", {"penalty": "ban"}),
    ("live_room.penalise", {"penalty": "warning", "minutes": 5}),
    ("live_room.penalise", {"penalty": "suspend"}),
    ("live_room.penalise", {"penalty": "suspend", "minutes": 0}),
    ("live_room.penalise", {"penalty": "suspend", "minutes": m.MAX_MINUTES + 1}),
    ("live_room.penalise", {"penalty": "suspend", "minutes": True}),
]


@pytest.mark.parametrize(("kind", "given"), INVALID_PARAMETERS)
def test_bad_parameters_are_a_stable_code(kind: str, given: Any) -> None:
    assert _code(m.check_parameters, kind, given) == E.INVALID_PARAMETERS


@pytest.mark.parametrize("kind", ["", "shop.ban", "SHOP.RESTRICT", None, 3, "refund.issue"])
def test_unknown_kinds_are_refused(kind: Any) -> None:
    assert _code(m.check_kind, kind) == E.UNKNOWN_KIND


@pytest.mark.parametrize(("kind", "target"), [
    ("shop.restrict", "listing:L1"), ("shop.restrict", "s1"), ("shop.restrict", "shop:"),
    ("shop.restrict", "shop: s1"), ("shop.restrict", "shop:" + "x" * 65), ("listing.takedown", "shop:s1"),
    ("creator.restrict", None), ("live_room.penalise", "live_room:r/1"), ("funds.hold", "shop:-s1"),
    ("creator.lift", "shop:s1"), ("creator.lift", "live_room:r1"), ("live_room.lift", "creator:c1"),
    ("shop.reopen", "listing:L1"),
])
def test_the_target_must_be_of_the_kinds_type(kind: str, target: Any) -> None:
    assert _code(m.check_target, kind, target) == E.INVALID_TARGET


def test_the_longest_key_fits_the_outbox() -> None:
    kind = max(m.KINDS, key=len)
    key = m.idempotency_key(kind, f"{m.KINDS[kind].target_type}:" + "x" * 64, "c" * 90)
    assert len(key) <= 200
    assert _code(m.check_cause, "risk.ban", "c" * 91) == E.INVALID_CAUSE
    assert _code(m.check_cause, "", "x") == E.INVALID_CAUSE
    assert m.check_cause("risk.verdict", "rv_1") == ("risk.verdict", "rv_1")


def _action(state: str = m.ISSUED, **kw: Any) -> m.Action:
    return m.Action(action_id="act_1", kind="shop.restrict", target="shop:s1", parameters={"restrict": ["traffic"]},
                    reason_codes=("R1",), rule_id=None, cause_type="operator", cause_id="T-1", note="", issued_by="x",
                    issued_at=T0, idempotency_key="k", message_id="msg_1", state=state, **kw)


@pytest.mark.parametrize(("body", "expected"), [
    ({"status": "done"}, m.Ack("done")),
    ({"status": "failed", "reason": "  shop not found  "}, m.Ack("failed", "shop not found")),
])
def test_acks_parse(body: Any, expected: m.Ack) -> None:
    assert m.parse_ack(body) == expected


@pytest.mark.parametrize("body", [
    None, [], {}, {"status": "ok"}, {"status": "failed"}, {"status": "failed", "reason": " "},
    {"status": "failed", "reason": "x" * (m.MAX_REASON + 1)}, {"status": "done", "reason": "fine"},
    {"status": "done", "extra": 1}, {"status": "failed", "reason": 5},
])
def test_bad_acks_are_refused(body: Any) -> None:
    assert _code(m.parse_ack, body) == E.INVALID_ACK


def test_the_state_machine() -> None:
    issued = _action()
    sent, changed = m.mark_sent(issued, T0 + dt.timedelta(minutes=1))
    assert changed and sent.state == m.SENT and sent.sent_at == T0 + dt.timedelta(minutes=1)
    assert m.mark_sent(sent, T0 + dt.timedelta(minutes=2)) == (sent, False)  # delivered again: nothing moves
    timeout = dt.timedelta(minutes=60)
    assert sent.view_state(T0 + dt.timedelta(minutes=60), timeout) == m.SENT
    assert sent.view_state(T0 + dt.timedelta(minutes=61), timeout) == m.UNCONFIRMED
    assert issued.view_state(T0 + dt.timedelta(days=9), timeout) == m.ISSUED  # not delivered is not unconfirmed

    done, changed = m.acknowledge(sent, m.Ack("done"), T0 + dt.timedelta(hours=2))
    assert changed and done.state == m.DONE and done.acked_at == T0 + dt.timedelta(hours=2)
    assert done.view_state(T0 + dt.timedelta(days=9), timeout) == m.DONE
    assert m.mark_sent(done, T0)[1] is False  # the delivery recorded after the ack changes nothing


def test_an_ack_may_come_before_the_delivery_is_recorded() -> None:
    failed, changed = m.acknowledge(_action(), m.Ack("failed", "no such shop"), T0)
    assert changed and failed.state == m.FAILED and failed.failure_reason == "no such shop"


def test_the_same_ack_again_is_idempotent_and_a_different_one_conflicts() -> None:
    done, _ = m.acknowledge(_action(m.SENT, sent_at=T0), m.Ack("done"), T0)
    again, changed = m.acknowledge(done, m.Ack("done"), T0 + dt.timedelta(hours=1))
    assert not changed and again == done  # the first ack's time stands
    assert _code(m.acknowledge, done, m.Ack("failed", "x"), T0) == E.ACK_CONFLICT
    failed, _ = m.acknowledge(_action(), m.Ack("failed", "no such shop"), T0)
    assert m.acknowledge(failed, m.Ack("failed", "no such shop"), T0)[1] is False
    assert _code(m.acknowledge, failed, m.Ack("failed", "another reason"), T0) == E.ACK_CONFLICT
    assert _code(m.acknowledge, failed, m.Ack("done"), T0) == E.ACK_CONFLICT


def test_the_payload_names_the_action_its_cause_and_where_to_ack() -> None:
    p = _action().payload()
    assert p == {"action_id": "act_1", "kind": "shop.restrict", "target": {"type": "shop", "id": "s1"},
                 "parameters": {"restrict": ["traffic"]}, "reason_codes": ["R1"], "rule_id": None,
                 "cause": {"type": "operator", "id": "T-1"}, "note": "", "issued_at": T0.isoformat(),
                 "ack": "/v1/actions/act_1/ack"}


def test_every_reaction_is_a_valid_action_with_a_unique_rule() -> None:
    assert [r.rule_id for r in m.reactions_to("risk.shop_blocked")] == ["A.SHOP_BLOCKED.RESTRICT"]
    for r in m.REACTIONS:
        assert m.check_parameters(m.check_kind(r.kind), r.parameters) == dict(r.parameters)
        assert r.note
    assert m.reactions_to("nobody.cares") == ()
