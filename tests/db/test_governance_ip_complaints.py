"""IP complaints on a real database (SQLite, and PostgreSQL with ANXIN_TEST_DATABASE_URL): filing once per client
key, the counter-notice window, the periodic lapse, decisions recorded once under concurrency, repeat infringers'
escalation, withdrawals and the unfounded-complaint report. The violation ledger is the in-memory fake until the
core slice's is merged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from tests.concurrency import at_once as race
from tests.db.builders import T0, D, H, category, ingest_ok, listing, shop
from tests.ip_fakes import FakeLedger

from anxin.core.errors import AnxinError
from anxin.core.events import event_name, to_payload
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork
from anxin.governance import ip_rules as r
from anxin.governance.ip_complaints import IpComplaints
from anxin.governance.model import IP_INFRINGEMENT, SOURCE_IP_COMPLAINT

pytestmark = pytest.mark.db

RH1 = Principal("k-rh1", Role.RIGHTS_HOLDER, "rh1")
RH2 = Principal("k-rh2", Role.RIGHTS_HOLDER, "rh2")
M1 = Principal("k-m1", Role.MERCHANT, "m1")
M2 = Principal("k-m2", Role.MERCHANT, "m2")
OPS = Principal("k-ops", Role.OPERATOR, "ops")
UPHOLD = {"outcome": "upheld", "reason_codes": ["infringement_confirmed"], "note": "same mark"}
REJECT = {"outcome": "rejected", "reason_codes": ["no_infringement"]}
NOTICE = {"statement": "we are the brand's licensed reseller", "evidence": ["licence-2026.pdf"]}


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def uows() -> list[UnitOfWork]:
    return []


@pytest.fixture
def ip(anxin: Any, ledger: FakeLedger, uows: list[UnitOfWork]) -> IpComplaints:
    ingest_ok(anxin, [category(), shop("s1", "m1"), shop("s2", "m2"), listing("l1", "s1"), listing("l2", "s1"),
                      listing("l3", "s2"), listing("l4", "s1"), listing("l5", "s1")])

    def opened() -> UnitOfWork:  # each unit of work the use cases open, to read what they published
        uow = anxin.uow_factory()
        uows.append(uow)
        return uow

    return IpComplaints(uow_factory=opened, clock=anxin.clock, rules=r.load_ip_rules(), ledger=ledger)


def body(key: str = "k1", listings: tuple[str, ...] = ("l1", "l2"), **changes: Any) -> dict[str, Any]:
    return {"client_key": key, "listing_ids": list(listings), "statement": "sells goods under our mark",
            "proof": {"rights_kind": "trademark", "owner": "rh1", "registration_number": "12345678"},
            "evidence": ["page-shot-1"], **changes}


def code(call: Callable[[], Any]) -> str:
    with pytest.raises(AnxinError) as caught:
        call()
    return caught.value.code.value


def events(uows: list[UnitOfWork], name: str) -> list[dict[str, Any]]:
    """What the use cases published (committed) under ``name``, as the event log would store it."""
    return [to_payload(e) for uow in uows for e in uow.published if event_name(e) == name]


def test_a_complaint_awaits_the_merchants_counter_notice_for_three_days(ip: IpComplaints,
                                                                       uows: list[UnitOfWork]) -> None:
    c = ip.file(RH1, body())
    assert (c["state"], c["shop_id"], c["listing_ids"], c["created"]) == (r.AWAITING, "s1", ["l1", "l2"], True)
    assert c["counter_notice_deadline"] == (T0 + 3 * D).isoformat() == c["due_at"]
    assert c["rulebook_version"] == "governance-2026.12" and c["client_key"] == "k1"
    assert c["filing_rule_ids"] == ["ip.rights.trademark", "ip.limits.complaint"]
    [filed] = events(uows, "governance.ip_complaint_filed")
    assert (filed["complaint_id"], filed["shop_id"], filed["listing_ids"]) == (c["complaint_id"], "s1", ["l1", "l2"])


def test_filing_is_idempotent_by_client_key(ip: IpComplaints, uows: list[UnitOfWork]) -> None:
    first = ip.file(RH1, body())
    again = ip.file(RH1, body())
    assert (again["complaint_id"], again["created"]) == (first["complaint_id"], False)
    assert code(lambda: ip.file(RH1, body(statement="something else"))) == "governance.ip_complaint_key_reused"
    other = ip.file(RH2, body(proof={"rights_kind": "trademark", "owner": "rh2", "registration_number": "87654321"}))
    assert other["complaint_id"] != first["complaint_id"]  # keys are per rights holder
    assert len(events(uows, "governance.ip_complaint_filed")) == 2


def test_concurrent_filings_with_one_key_make_one_complaint(ip: IpComplaints, uows: list[UnitOfWork]) -> None:
    results = race(4, lambda _: ip.file(RH1, body()))
    assert not [x for x in results if isinstance(x, Exception) and not _locked(x)], results
    made = {x["complaint_id"] for x in results if isinstance(x, dict)}
    assert len(made) == 1
    assert sum(1 for x in results if isinstance(x, dict) and x["created"]) == 1
    assert len(events(uows, "governance.ip_complaint_filed")) == 1


def _locked(exc: Exception) -> bool:
    """SQLite without begin_write may answer a second concurrent writer 'database is locked'; never a second row."""
    return "locked" in str(exc)


@pytest.mark.parametrize(("listings", "expected"), [
    (("l1", "nope"), "governance.ip_listing_unknown"),
    (("l1", "l3"), "governance.ip_listings_span_shops"),
])
def test_listings_must_exist_and_belong_to_one_shop(ip: IpComplaints, listings: tuple[str, ...],
                                                    expected: str) -> None:
    assert code(lambda: ip.file(RH1, body(listings=listings))) == expected


def test_only_rights_holders_file(ip: IpComplaints) -> None:
    assert code(lambda: ip.file(M1, body())) == "access.forbidden_role"


@pytest.mark.parametrize(("after", "accepted"), [(3 * D - H, True), (3 * D - dt.timedelta(seconds=1), True),
                                                 (3 * D, False), (3 * D + H, False)])
def test_the_counter_notice_window_edge(ip: IpComplaints, anxin: Any, after: dt.timedelta, accepted: bool) -> None:
    cid = ip.file(RH1, body())["complaint_id"]
    anxin.clock.set(T0 + after)
    if accepted:
        c = ip.counter_notice(M1, cid, NOTICE)
        assert c["state"] == r.COUNTER_NOTICED
        assert c["counter_notice"]["statement"] == NOTICE["statement"]
        assert c["decision_due_at"] == (T0 + after + 72 * H).isoformat() == c["due_at"]
        assert code(lambda: ip.counter_notice(M1, cid, NOTICE)) == "governance.ip_counter_notice_closed"
    else:
        assert code(lambda: ip.counter_notice(M1, cid, NOTICE)) == "governance.ip_counter_notice_closed"
        assert ip.get(OPS, cid)["state"] == r.WINDOW_LAPSED  # lapsed, though not yet marked


def test_only_the_shops_merchant_answers(ip: IpComplaints) -> None:
    cid = ip.file(RH1, body())["complaint_id"]
    assert code(lambda: ip.counter_notice(M2, cid, NOTICE)) == "governance.ip_complaint_not_found"
    assert code(lambda: ip.get(M2, cid)) == "governance.ip_complaint_not_found"
    assert code(lambda: ip.get(RH2, cid)) == "governance.ip_complaint_not_found"
    assert ip.get(M1, cid)["complaint_id"] == cid
    assert "client_key" not in ip.get(M1, cid)


def test_lapse_marks_due_complaints_ready_once(ip: IpComplaints, anxin: Any) -> None:
    early = ip.file(RH1, body("a"))["complaint_id"]
    anxin.clock.advance(hours=5)
    late = ip.file(RH1, body("b", ("l4",)))["complaint_id"]
    assert ip.lapse_due(T0 + 3 * D - dt.timedelta(seconds=1)) == 0
    assert ip.lapse_due(T0 + 3 * D) == 1  # the window's end itself
    assert ip.lapse_due(T0 + 3 * D) == 0
    anxin.clock.set(T0 + 3 * D)
    c = ip.get(OPS, early)
    assert (c["state"], c["decision_due_at"]) == (r.WINDOW_LAPSED, (T0 + 3 * D + 72 * H).isoformat())
    assert ip.get(OPS, late)["state"] == r.AWAITING
    assert [x["complaint_id"] for x in ip.complaints(OPS, state="ready")] == [early]
    anxin.clock.set(T0 + 10 * D)
    queue = ip.complaints(OPS, state="ready")  # the later one lapsed unmarked: still in the queue, by deadline
    assert [x["complaint_id"] for x in queue] == [late, early] or [x["complaint_id"] for x in queue] == [early, late]
    assert [x["due_at"] for x in queue] == sorted(x["due_at"] for x in queue)
    assert all(x["overdue"] for x in queue if x["complaint_id"] == early)


def test_upheld_records_one_violation_per_listing_and_decides_once(ip: IpComplaints, anxin: Any,
                                                                   ledger: FakeLedger, uows: list[UnitOfWork]) -> None:
    cid = ip.file(RH1, body())["complaint_id"]
    assert code(lambda: ip.decide(OPS, cid, UPHOLD)) == "governance.ip_window_open"
    ip.counter_notice(M1, cid, NOTICE)
    anxin.clock.advance(hours=1)
    c = ip.decide(OPS, cid, UPHOLD)
    d = c["decision"]
    assert (c["state"], d["outcome"], d["reason_codes"]) == (r.UPHELD, "upheld", ["infringement_confirmed"])
    assert d["rule_ids"] == ["ip.decision.sla", "ip.repeat.escalation"]
    assert d["rulebook_version"] == "governance-2026.12" and d["decided_by"] == "operator:ops"
    assert (d["facts"]["prior_violations"], d["facts"]["severity"], d["facts"]["counter_noticed"]) == (0, "minor", True)
    assert [(cmd.kind, cmd.subject, cmd.shop_id, cmd.source_type, cmd.source_id, cmd.severity)
            for cmd, _ in ledger.recorded] == [
        (IP_INFRINGEMENT, "listing:l1", "s1", SOURCE_IP_COMPLAINT, f"{cid}:l1", "minor"),
        (IP_INFRINGEMENT, "listing:l2", "s1", SOURCE_IP_COMPLAINT, f"{cid}:l2", "minor")]
    assert ledger.recorded[0][0].evidence["proof"]["registration_number"] == "12345678"
    assert ledger.recorded[0][0].evidence["complaint_id"] == cid
    assert [v["violation_id"] for v in d["violations"]] == ["vio_1", "vio_2"]
    assert code(lambda: ip.decide(OPS, cid, REJECT)) == "governance.ip_complaint_closed"
    assert code(lambda: ip.withdraw(RH1, cid)) == "governance.ip_complaint_closed"  # never after a decision
    [decided] = events(uows, "governance.ip_complaint_decided")
    assert (decided["outcome"], decided["violation_ids"], decided["severity"]) == ("upheld", ["vio_1", "vio_2"],
                                                                                  "minor")
    assert ip.get(M1, cid)["decision"]["decided_by"] is None  # operators only


def test_repeat_infringers_escalate_within_the_window(ip: IpComplaints, anxin: Any, ledger: FakeLedger) -> None:
    """The 1st upheld complaint against a shop is minor, the 2nd major, the 3rd critical; another shop starts over,
    and infringements older than the window no longer count."""
    severities = []
    for n, lid in enumerate(("l1", "l2", "l4")):
        cid = ip.file(RH1, body(f"k{n}", (lid,)))["complaint_id"]
        anxin.clock.advance(days=3)
        severities.append(ip.decide(OPS, cid, UPHOLD)["decision"]["facts"]["severity"])
    assert severities == ["minor", "major", "critical"]
    other = ip.file(RH1, body("other", ("l3",)))["complaint_id"]
    anxin.clock.advance(days=3)
    assert ip.decide(OPS, other, UPHOLD)["decision"]["violations"][0]["severity"] == "minor"
    assert ledger.count_calls[-1]["since"] == anxin.clock.now() - dt.timedelta(days=180)
    anxin.clock.advance(days=181)
    cid = ip.file(RH1, body("later", ("l5",)))["complaint_id"]
    anxin.clock.advance(days=3)
    assert ip.decide(OPS, cid, UPHOLD)["decision"]["facts"]["prior_violations"] == 0


def test_concurrent_decisions_decide_once(ip: IpComplaints, anxin: Any, ledger: FakeLedger,
                                          uows: list[UnitOfWork]) -> None:
    cid = ip.file(RH1, body())["complaint_id"]
    anxin.clock.advance(days=3)
    results = race(4, lambda i: ip.decide(OPS, cid, UPHOLD if i % 2 == 0 else REJECT))
    won = [x for x in results if isinstance(x, dict)]
    lost = [x for x in results if isinstance(x, AnxinError)]
    assert len(won) == 1 and len(lost) == 3, results
    assert {x.code.value for x in lost} == {"governance.ip_complaint_closed"}
    outcome = won[0]["decision"]["outcome"]
    assert len(ledger.recorded) == (2 if outcome == r.UPHELD else 0)
    assert len(ledger.count_calls) == (1 if outcome == r.UPHELD else 0)  # the losers never reached the ledger
    assert len(events(uows, "governance.ip_complaint_decided")) == 1
    assert ip.get(OPS, cid)["state"] == outcome


def test_withdrawn_before_a_decision(ip: IpComplaints, anxin: Any) -> None:
    cid = ip.file(RH1, body())["complaint_id"]
    assert code(lambda: ip.withdraw(RH2, cid)) == "governance.ip_complaint_not_found"
    ip.counter_notice(M1, cid, NOTICE)
    c = ip.withdraw(RH1, cid)
    assert (c["state"], c["withdrawn_at"]) == (r.WITHDRAWN, T0.isoformat())
    assert code(lambda: ip.withdraw(RH1, cid)) == "governance.ip_complaint_closed"
    assert code(lambda: ip.decide(OPS, cid, UPHOLD)) == "governance.ip_complaint_closed"


def test_who_sees_which_complaints(ip: IpComplaints) -> None:
    a = ip.file(RH1, body("a"))["complaint_id"]
    b = ip.file(RH1, body("b", ("l3",)))["complaint_id"]
    c = ip.file(RH2, body("c", ("l4",), proof={"rights_kind": "copyright", "owner": "rh2",
                                                "certificate_reference": "2024-F-00012345"}))["complaint_id"]
    ids = lambda who, **kw: {x["complaint_id"] for x in ip.complaints(who, **kw)}  # noqa: E731
    assert ids(RH1) == {a, b} and ids(RH2) == {c}
    assert ids(M1) == {a, c} and ids(M2) == {b}
    assert ids(OPS) == {a, b, c} and ids(OPS, state="ready") == set()
    assert code(lambda: ip.complaints(OPS, state="bogus")) == "governance.ip_invalid_filter"


def test_unfounded_complaints_count_against_the_rights_holder(ip: IpComplaints, anxin: Any) -> None:
    cids = [ip.file(RH1, body(f"k{i}", (lid,)))["complaint_id"] for i, lid in enumerate(("l1", "l2", "l4", "l5"))]
    ip.file(RH2, body("z", ("l3",), proof={"rights_kind": "trademark", "owner": "rh2",
                                           "registration_number": "55555"}))
    anxin.clock.advance(days=3)
    for cid in cids[:3]:
        ip.decide(OPS, cid, REJECT)
    ip.decide(OPS, cids[3], UPHOLD)
    report = {x["rights_holder_id"]: x for x in ip.rights_holders(OPS)}
    assert {k: report["rh1"][k] for k in ("filed", "decided", "upheld", "rejected", "unfounded_rate_bp", "flagged")} \
        == {"filed": 4, "decided": 4, "upheld": 1, "rejected": 3, "unfounded_rate_bp": 7500, "flagged": False}
    assert (report["rh2"]["decided"], report["rh2"]["unfounded_rate_bp"]) == (0, None)
    assert [x["rights_holder_id"] for x in ip.rights_holders(RH2)] == ["rh2"]


