"""Appeals on SQLite and PostgreSQL: filing by the shop's merchant or the violation's creator, the count and windows,
decisions once (upheld reverses through the ledger), abuse closing the channel, the queue, the report, and the races
(two operators deciding at once; several submissions for one violation) with real threads."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from tests.appeal_fakes import FakeLedger
from tests.concurrency import at_once as _race
from tests.conftest import T0

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork
from anxin.governance.appeal_rules import load_appeal_book
from anxin.governance.appeal_store import AppealRepository
from anxin.governance.appeals import REVERSE_CAUSE, Appeals
from anxin.governance.error_codes import GovernanceErrorCode as E
from anxin.shops import service as shops
from anxin.shops.model import Shop

pytestmark = pytest.mark.db

M1 = Principal("k1", Role.MERCHANT, "m1")
M2 = Principal("k2", Role.MERCHANT, "m2")
C1 = Principal("k3", Role.CREATOR, "c1")
OPS = Principal("k4", Role.OPERATOR, "ops")
OPS2 = Principal("k5", Role.OPERATOR, "ops2")
SAY = "the parcel was collected in time: see the carrier scan"
DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)


class RecordingUow:
    """The real unit-of-work factory, keeping what each unit of work published."""

    def __init__(self, inner: Callable[[], UnitOfWork]) -> None:
        self.inner, self.uows = inner, []

    def __call__(self) -> UnitOfWork:
        uow = self.inner()
        self.uows.append(uow)
        return uow

    def names(self) -> list[str]:
        return [type(e).__event_name__ for u in self.uows for e in u.published]


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def uows(anxin: Any) -> RecordingUow:
    with anxin.uow_factory() as uow:
        shops.upsert_shop(uow, Shop("s1", "m1", "Shop s1", "enterprise", frozenset()), as_of=T0 - 100 * DAY)
        uow.commit()
    return RecordingUow(anxin.uow_factory)


@pytest.fixture
def appeals(anxin: Any, uows: RecordingUow, ledger: FakeLedger) -> Appeals:
    ledger.seed("v1", recorded_at=T0 - DAY, creator_id="c1")
    return Appeals(uow_factory=uows, clock=anxin.clock, book=load_appeal_book(), ledger=ledger)


def code_of(call: Callable[[], Any]) -> Any:
    with pytest.raises(AnxinError) as caught:
        call()
    return caught.value.code


def test_the_shops_merchant_appeals_and_the_penalty_stays(appeals: Appeals, ledger: FakeLedger,
                                                          uows: RecordingUow) -> None:
    a = appeals.file(M1, "v1", statement=f"  {SAY} ", evidence=[{"kind": "image", "ref": "up_1"}])
    assert (a["state"], a["number"], a["appellant"], a["statement"]) == ("submitted", 1, "merchant:m1", SAY)
    assert a["deadline_at"] == (T0 + 72 * HOUR).isoformat() and a["overdue"] is False
    assert a["filing"]["rulebook_version"] == "governance-2026.12"
    assert "appeal.first_window" in a["filing"]["rule_ids"] and a["filing"]["facts"]["violation_id"] == "v1"
    assert ledger.violations["v1"].state == "active" and ledger.reversals == []  # not suspended
    assert uows.names() == ["governance.appeal_filed"]
    assert appeals.get(M1, a["appeal_id"]) == a == appeals.get(OPS, a["appeal_id"])
    assert code_of(lambda: appeals.get(M2, a["appeal_id"])) is E.APPEAL_NOT_FOUND


def test_only_the_owner_or_the_creator_may_appeal(appeals: Appeals, ledger: FakeLedger) -> None:
    assert code_of(lambda: appeals.file(M2, "v1", statement=SAY)) is E.VIOLATION_NOT_FOUND
    assert code_of(lambda: appeals.file(M1, "nope", statement=SAY)) is E.VIOLATION_NOT_FOUND
    assert code_of(lambda: appeals.file(OPS, "v1", statement=SAY)).value == "access.forbidden_role"
    assert appeals.file(C1, "v1", statement=SAY)["appellant"] == "creator:c1"
    ledger.seed("v2", recorded_at=T0, appealable=False)
    assert code_of(lambda: appeals.file(M1, "v2", statement=SAY)) is E.NOT_APPEALABLE
    assert code_of(lambda: appeals.file(M1, "v1", statement="short")) is E.INVALID_APPEAL


def test_two_appeals_in_their_windows_then_no_third(anxin: Any, appeals: Appeals) -> None:
    first = appeals.file(M1, "v1", statement=SAY)
    assert code_of(lambda: appeals.file(C1, "v1", statement=SAY)) is E.APPEAL_OPEN
    anxin.clock.advance(hours=5)
    rejected = appeals.decide(OPS, first["appeal_id"], outcome="rejected", reason_codes=["scan_missing"])
    assert rejected["decision"]["reason_codes"] == ["scan_missing"]
    anxin.clock.advance(days=10)
    second = appeals.file(M1, "v1", statement=SAY)
    assert second["number"] == 2 and "appeal.second_window" in second["filing"]["rule_ids"]
    appeals.decide(OPS, second["appeal_id"], outcome="rejected")
    with pytest.raises(AnxinError) as caught:
        appeals.file(M1, "v1", statement=SAY)
    assert caught.value.code is E.APPEAL_LIMIT_REACHED
    assert caught.value.details["rule_ids"] == ["appeal.max_appeals"]


def test_the_second_window_closes_after_day_15(anxin: Any, appeals: Appeals) -> None:
    first = appeals.file(M1, "v1", statement=SAY)
    appeals.decide(OPS, first["appeal_id"], outcome="rejected")  # T0: 10:00 in Beijing, day 0
    anxin.clock.advance(days=16)  # day 16
    with pytest.raises(AnxinError) as caught:
        appeals.file(M1, "v1", statement=SAY)
    assert caught.value.code is E.APPEAL_WINDOW_CLOSED
    assert caught.value.details["reason_codes"] == ["second_window_closed"]


def test_upheld_reverses_the_violation_once_and_stores_the_decision(anxin: Any, appeals: Appeals,
                                                                    ledger: FakeLedger, uows: RecordingUow) -> None:
    a = appeals.file(M1, "v1", statement=SAY)
    anxin.clock.advance(hours=80)  # past the 72 h SLA
    assert appeals.get(OPS, a["appeal_id"])["overdue"] is True
    d = appeals.decide(OPS, a["appeal_id"], outcome="upheld", reason_codes=["scan_found"], note="carrier confirmed")
    assert (d["state"], d["outcome"], d["overdue"]) == ("upheld", "upheld", False)
    dec = d["decision"]
    assert dec["reason_codes"] == ["scan_found", "decided_after_sla"] and dec["rule_ids"] == ["appeal.decision_sla"]
    assert dec["rulebook_version"] == "governance-2026.12" and dec["facts"]["resolution_seconds"] == 80 * 3600
    assert ledger.reversals == [("v1", REVERSE_CAUSE, a["appeal_id"], "operator:ops")]
    assert code_of(lambda: appeals.decide(OPS2, a["appeal_id"], outcome="rejected")) is E.APPEAL_ALREADY_DECIDED
    assert code_of(lambda: appeals.file(M1, "v1", statement=SAY)) is E.VIOLATION_NOT_ACTIVE
    assert uows.names() == ["governance.appeal_filed", "governance.appeal_decided"]
    assert appeals.get(M1, a["appeal_id"]) == d


def test_withdrawn_appeals_do_not_count(appeals: Appeals) -> None:
    a = appeals.file(M1, "v1", statement=SAY)
    assert code_of(lambda: appeals.withdraw(C1, a["appeal_id"])) is E.APPEAL_NOT_FOUND
    assert appeals.withdraw(M1, a["appeal_id"])["state"] == "withdrawn"
    assert code_of(lambda: appeals.decide(OPS, a["appeal_id"], outcome="upheld")) is E.APPEAL_ALREADY_DECIDED
    assert appeals.file(M1, "v1", statement=SAY)["number"] == 1


def test_abusive_appeals_close_the_channel_until_its_end(anxin: Any, appeals: Appeals, ledger: FakeLedger) -> None:
    for i in range(3):
        ledger.seed(f"x{i}", recorded_at=anxin.clock.now())
        a = appeals.file(M1, f"x{i}", statement=SAY)
        anxin.clock.advance(hours=1)
        d = appeals.decide(OPS, a["appeal_id"], outcome="rejected", abusive=True)
    closed_at = anxin.clock.now()
    assert d["decision"]["facts"]["channel_closed_until"] == (closed_at + 30 * DAY).isoformat()
    assert "appeal.abuse" in d["decision"]["rule_ids"]
    ledger.seed("x9", recorded_at=closed_at + 29 * DAY)
    anxin.clock.set(closed_at + 30 * DAY - dt.timedelta(seconds=1))
    with pytest.raises(AnxinError) as caught:
        appeals.file(M1, "x9", statement=SAY)
    assert caught.value.code is E.APPEAL_CHANNEL_CLOSED
    assert caught.value.details["channel_closed_until"] == (closed_at + 30 * DAY).isoformat()
    ledger.seed("cv", recorded_at=closed_at + 29 * DAY, shop_id=None, creator_id="c1")
    assert appeals.file(C1, "cv", statement=SAY)["state"] == "submitted"  # the creator's channel is their own
    anxin.clock.set(closed_at + 30 * DAY)
    assert appeals.file(M1, "x9", statement=SAY)["state"] == "submitted"


def test_the_queue_by_deadline_with_overdue_flagged(anxin: Any, appeals: Appeals, ledger: FakeLedger) -> None:
    ids = []
    for i in range(3):
        ledger.seed(f"q{i}", recorded_at=anxin.clock.now())
        ids.append(appeals.file(M1, f"q{i}", statement=SAY)["appeal_id"])
        anxin.clock.advance(hours=10)
    ledger.seed("c", recorded_at=anxin.clock.now(), shop_id=None, creator_id="c1")
    ids.append(appeals.file(C1, "c", statement=SAY)["appeal_id"])
    anxin.clock.advance(hours=55)  # 85 h after the first: it and the second (filed at 10 h) are past 72 h
    queue = appeals.queue(OPS, state="submitted")
    assert [a["appeal_id"] for a in queue] == ids and [a["overdue"] for a in queue] == [True, True, False, False]
    assert [a["appeal_id"] for a in appeals.queue(OPS, overdue=True)] == ids[:2]
    page = appeals.queue(OPS, limit=2, after=(dt.datetime.fromisoformat(queue[1]["deadline_at"]), ids[1]))
    assert [a["appeal_id"] for a in page] == ids[2:]
    assert [a["appeal_id"] for a in appeals.queue(M1)] == ids[:3]
    assert [a["appeal_id"] for a in appeals.queue(C1)] == ids[3:]
    assert appeals.queue(M2) == []
    assert code_of(lambda: appeals.queue(OPS, state="open")) is E.INVALID_FILTER


def test_the_report_compares_with_the_previous_period(anxin: Any, appeals: Appeals, ledger: FakeLedger) -> None:
    start = anxin.clock.now()

    def resolve(name: str, hours: int) -> None:
        ledger.seed(name, recorded_at=anxin.clock.now())
        a = appeals.file(M1, name, statement=SAY)
        anxin.clock.advance(hours=hours)
        appeals.decide(OPS, a["appeal_id"], outcome="upheld")

    for i, hours in enumerate([10, 20, 30, 40]):  # previous week: median 25 h, p90 40 h
        resolve(f"p{i}", hours)
    anxin.clock.set(start + 7 * DAY)
    for i, hours in enumerate([5, 10, 15, 20, 100]):  # this week: median 15 h, p90 100 h
        resolve(f"c{i}", hours)
    ledger.seed("open", recorded_at=anxin.clock.now())
    appeals.file(M1, "open", statement=SAY)
    anxin.clock.advance(hours=73)
    report = appeals.report(OPS, start=start + 7 * DAY, end=start + 14 * DAY)
    assert report["current"] == {"from": (start + 7 * DAY).isoformat(), "to": (start + 14 * DAY).isoformat(),
                                 "decided": 5, "median_seconds": 15 * 3600, "p90_seconds": 100 * 3600}
    assert (report["previous"]["decided"], report["previous"]["median_seconds"]) == (4, 25 * 3600)
    assert report["median_change_pct"] == -40.0 and report["p90_change_pct"] == 150.0
    assert report["open_overdue"] == 1 and report["sla_hours"] == 72
    assert code_of(lambda: appeals.report(OPS, start=start, end=start)) is E.INVALID_PERIOD
    assert code_of(lambda: appeals.report(M1, start=start, end=start + DAY)).value == "access.forbidden_role"


# --- races -------------------------------------------------------------------------------------------------------



def test_two_operators_deciding_at_once_one_wins(appeals: Appeals, ledger: FakeLedger) -> None:
    for round_ in range(3):
        ledger.seed(f"r{round_}", recorded_at=appeals.clock.now())
        appeal_id = appeals.file(M1, f"r{round_}", statement=SAY)["appeal_id"]

        def decide(i: int, appeal_id: str = appeal_id) -> dict[str, Any]:
            return appeals.decide((OPS, OPS2)[i], appeal_id, outcome=("upheld", "rejected")[i])

        out = _race(2, decide)
        won = [o for o in out if isinstance(o, dict)]
        lost = [o for o in out if isinstance(o, AnxinError)]
        assert len(won) == 1 and len(lost) == 1, out
        assert lost[0].code is E.APPEAL_ALREADY_DECIDED
        stored = appeals.get(OPS, appeal_id)
        assert stored == won[0]
        reversals = [r for r in ledger.reversals if r[0] == f"r{round_}"]
        assert len(reversals) == (1 if stored["state"] == "upheld" else 0)


def test_racing_submissions_leave_one_open_appeal(appeals: Appeals, ledger: FakeLedger, engine: Any) -> None:
    who = [M1, C1, M1, C1, M1, C1]
    if engine.dialect.name == "postgresql":  # (SQLite's BEGIN IMMEDIATE serialises the filers before the gate)
        ledger.gate = threading.Barrier(len(who))
    out = _race(len(who), lambda i: appeals.file(who[i], "v1", statement=f"{SAY} #{i}"))
    filed = [o for o in out if isinstance(o, dict)]
    refused = [o for o in out if isinstance(o, AnxinError)]
    assert len(filed) == 1 and len(refused) == len(who) - 1, out
    assert {e.code for e in refused} == {E.APPEAL_OPEN}
    assert [a["appeal_id"] for a in appeals.queue(OPS)] == [filed[0]["appeal_id"]]


def test_abusive_rejections_decided_at_once_still_close_the_channel(appeals: Appeals, ledger: FakeLedger,
                                                                     engine: Any, monkeypatch: Any) -> None:
    """The third abusive rejection closes the channel even when the second and third are decided at the same moment:
    each decider counts the appellant's flagged rejections under the appellant's lock. The count waits (up to 2 s)
    for the other decider to have counted too, so without the lock both would count one earlier rejection."""
    ids = []
    for i in range(3):
        ledger.seed(f"y{i}", recorded_at=appeals.clock.now())
        ids.append(appeals.file(M1, f"y{i}", statement=SAY)["appeal_id"])
    appeals.decide(OPS, ids[0], outcome="rejected", abusive=True)
    gate, counted = threading.Barrier(2), AppealRepository.flagged_rejections

    def count_then_wait(repo: AppealRepository, *args: Any, **kwargs: Any) -> list[dt.datetime]:
        found = counted(repo, *args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=2)  # with the lock the other decider cannot get here first: the wait times out
        return found

    monkeypatch.setattr(AppealRepository, "flagged_rejections", count_then_wait)
    out = _race(2, lambda i: appeals.decide((OPS, OPS2)[i], ids[1 + i], outcome="rejected", abusive=True))
    assert all(isinstance(o, dict) for o in out), out
    closing = [o for o in out if o["decision"]["facts"].get("channel_closed_until")]
    assert len(closing) == 1, out
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM governance_appeal_channel_closures").scalar() == 1
