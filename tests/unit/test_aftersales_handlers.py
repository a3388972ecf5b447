"""After-sales use cases without a database: the risk settlement's routing table and the deadline tick's per-case
isolation, over a fake unit of work, fake cases and a fake outbox (plain objects, no mocks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from tests.fakes import CASE_EVENTS, CASES, FakeCases, FakeOutbox, FakeStore, FakeUnitOfWork

from anxin.aftersales import model as m
from anxin.aftersales.deadlines import DEADLINE_JOB, DeadlineTick
from anxin.aftersales.risk_settlement import RiskReviewSettlement
from anxin.aftersales.rulebook import load_rulebooks
from anxin.aftersales.transitions import CaseTransitions
from anxin.core.clock import FixedClock
from anxin.risk.events import ReviewDecided

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
RULEBOOKS = load_rulebooks()
VERSION = RULEBOOKS.in_force(T0).version
TERMS = m.CaseTerms(RULEBOOKS.in_force(T0).deadlines, RULEBOOKS.in_force(T0).freight_cap_fen)


def a_case(case_id: str = "as1", state: m.CaseState = m.CaseState.UNDER_REVIEW, *, order_id: str | None = None,
           case_type: str = "refund_only", amount_fen: int = 9900, opened_at: dt.datetime = T0,
           **fields: object) -> m.Case:
    case = m.Case(case_id=case_id, order_id=order_id or f"o_{case_id}", consumer_id="c1", shop_id="s1",
                  merchant_id="m1", case_type=case_type, reason="quality", amount_fen=amount_fen, state=state,
                  opened_at=opened_at, rulebook_version=VERSION, guarantee_id="G.TEST", merchant_response_hours=48)
    return m.enter(replace(case, **fields), state, opened_at, TERMS)  # type: ignore[arg-type]


class World:
    """A committed fake store with cases in it, and the use cases wired to it the way bootstrap wires the real ones."""

    def __init__(self, *cases: m.Case | tuple[m.Case, dict[str, object]]) -> None:
        self.store = FakeStore()
        self.clock = FixedClock(T0)
        self.outbox = FakeOutbox()
        self.transitions = CaseTransitions(clock=self.clock, rulebooks=RULEBOOKS, send_money=self.outbox)
        self.repos: list[FakeCases] = []
        with self.uow() as uow:
            repo = FakeCases(uow)
            for c in cases:
                case, decision = c if isinstance(c, tuple) else (c, {})
                repo.add(case, decision=decision)
            uow.commit()

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)

    def cases(self, uow: FakeUnitOfWork) -> FakeCases:
        repo = FakeCases(uow)
        self.repos.append(repo)
        return repo

    def case(self, case_id: str) -> m.Case:
        return self.store.data[CASES][case_id].case

    def timeline(self, case_id: str) -> list[str]:
        return [e.action for cid, e in self.store.data.get(CASE_EVENTS, []) if cid == case_id]

    def money(self) -> dict[str, tuple[str, int | None, str]]:
        return FakeOutbox.messages(self.store)

    def locked(self) -> list[str]:
        return [cid for repo in self.repos for cid in repo.locked]


# --- the risk settlement: the handler of risk.review_decided --------------------------------------------------

def decided(case_id: str = "as1", *, cleared: bool, stage: str = "claim", note: str = "checked the photos") -> (
        ReviewDecided):
    return ReviewDecided(review_id="rr1", case_id=case_id, stage=stage, cleared=cleared, reason="evidence.reused",
                         note=note, operator="ops1", decided_at=T0 + H)


def settle(world: World, event: ReviewDecided) -> None:
    """As the bus runs a handler: in a unit of work it commits after the handler returns."""
    world.clock.set(event.decided_at)  # handled as it is decided (inline); the bus's clock dates what it does
    handler = RiskReviewSettlement(clock=world.clock, transitions=world.transitions, cases=world.cases)
    with world.uow() as uow:
        handler(event, uow)
        uow.commit()


def under_review(route: str) -> tuple[m.Case, dict[str, object]]:
    return a_case(), {"outcome": "review", "risk": {"verdict": "review", "route_without_risk": route}}


@pytest.mark.parametrize(("cleared", "route", "state", "action", "money"), [
    # confirmed abuse: the request is rejected, whatever the rulebook alone would have done
    (False, "approved", "closed", "review_reject", {}),
    (False, "pending_merchant", "closed", "review_reject", {}),
    (False, "review", "closed", "review_reject", {}),
    # cleared: it goes where the rulebook alone sent it
    (True, "approved", "refunded", "review_approve", {"o_as1:refund@0": ("refund.issue", 9900, "as1")}),
    (True, "pending_merchant", "pending_merchant", "risk_release", {}),
    (True, "review", "under_review", "risk_cleared", {}),  # the guarantee rules wanted a review: it stays there
])
def test_a_decided_claim_review_routes_the_case(cleared: bool, route: str, state: str, action: str,
                                                money: dict[str, tuple[str, int, str]]) -> None:
    world = World(under_review(route))
    settle(world, decided(cleared=cleared))
    case = world.case("as1")
    assert case.state.value == state
    assert world.timeline("as1") == [action]
    assert world.money() == money
    assert world.locked() == ["as1"]  # read for changing: the row lock serialises it with a person's action
    if state == "pending_merchant":  # back with the merchant, with a fresh answer deadline from the decision
        assert (case.deadline_at, case.deadline_kind) == (T0 + H + 48 * H, "merchant_response")


@pytest.mark.parametrize("cleared", [True, False])
def test_a_claim_decided_in_the_console_meanwhile_is_left_alone(cleared: bool) -> None:
    case, decision = under_review("approved")
    world = World((replace(case, state=m.CaseState.CANCELLED), decision))
    settle(world, decided(cleared=cleared))
    assert world.case("as1").state is m.CaseState.CANCELLED
    assert world.timeline("as1") == [] and world.money() == {}


def test_a_decision_delivered_twice_pays_once() -> None:
    """The bus runs a handler at least once: the second delivery finds the case settled and does nothing."""
    world = World(under_review("approved"))
    settle(world, decided(cleared=True))
    settle(world, decided(cleared=True))
    assert world.timeline("as1") == ["review_approve"]
    assert world.money() == {"o_as1:refund@0": ("refund.issue", 9900, "as1")}


def test_a_review_of_an_unknown_case_is_ignored() -> None:
    world = World()
    settle(world, decided("as_gone", cleared=False))
    assert world.store.data[CASES] == {} and world.money() == {}


def held_return(state: m.CaseState, *, held: bool = True) -> m.Case:
    return a_case(state=state, case_type="return_refund", freight_covered=True, return_method="self",
                  return_carrier="sf", return_tracking_no="SF1", return_freight_fen=1200, freight_held=held,
                  refunded_fen=9900 if state is m.CaseState.REFUNDED else 0)


@pytest.mark.parametrize(("state", "cleared", "held", "action", "money"), [
    # the goods already came back and the refund went out: released freight is paid now
    (m.CaseState.REFUNDED, True, True, "release_freight", {"as1:freight": ("freight.compensate", 1200, "as1")}),
    # still on its way: released, and paid with the refund as usual
    (m.CaseState.RETURN_SHIPPED, True, True, "release_freight", {}),
    # cleared, but nothing was held (released already): nothing to do
    (m.CaseState.REFUNDED, True, False, None, {}),
    # confirmed: the refusal is on the timeline and the freight stays unpaid
    (m.CaseState.REFUNDED, False, True, "risk_refuse_freight", {}),
])
def test_a_decided_return_review_releases_or_refuses_the_freight(
        state: m.CaseState, cleared: bool, held: bool, action: str | None,
        money: dict[str, tuple[str, int, str]]) -> None:
    world = World(held_return(state, held=held))
    settle(world, decided(cleared=cleared, stage="return"))
    case = world.case("as1")
    assert world.timeline("as1") == ([action] if action else [])
    assert world.money() == money
    assert case.state is state  # the freight decision never moves the case itself
    assert case.freight_held is (held and not cleared)
    assert case.freight_paid_fen == (1200 if money else 0)


# --- the deadline tick ----------------------------------------------------------------------------------------

class FakeJobRuns:
    """``jobs.service.JobFailures`` in memory: a failing item is recorded and waits until ``backoff_over``."""

    def __init__(self) -> None:
        self.failures: dict[tuple[str, str], str] = {}
        self.backoff_over = False

    def start(self, job: str, now: dt.datetime | None = None) -> FakeRun:
        return FakeRun(self, job)


class FakeRun:
    def __init__(self, jobs: FakeJobRuns, job: str) -> None:
        self.jobs, self.job = jobs, job

    @contextmanager
    def item(self, item: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            self.jobs.failures[(self.job, item)] = str(exc)
        else:
            self.jobs.failures.pop((self.job, item), None)

    def waiting(self, item: str) -> bool:
        return (self.job, item) in self.jobs.failures and not self.jobs.backoff_over

    def waiting_items(self) -> set[str]:
        return {item for job, item in self.jobs.failures if job == self.job and not self.jobs.backoff_over}


def silent_merchants(n: int) -> list[m.Case]:
    """Cases waiting for a merchant's answer, their deadlines an hour apart from T0 + 48 h."""
    return [a_case(f"as{i}", m.CaseState.PENDING_MERCHANT, opened_at=T0 + i * H) for i in range(n)]


def tick(world: World, at: dt.datetime, jobs: FakeJobRuns | None = None, *, batch: int = 500) -> object:
    return DeadlineTick(uow_factory=world.uow, clock=world.clock, transitions=world.transitions, jobs=jobs,
                        cases=world.cases)(at, batch=batch)


def test_merchant_silence_approves_the_cases_whose_deadline_passed() -> None:
    world = World(*silent_merchants(3))
    report = tick(world, T0 + 49 * H)  # as0 (due T0+48h) and as1 (T0+49h); as2 is due an hour later
    assert report.actions == {"merchant_timeout": 2} and report.errors == 0  # type: ignore[attr-defined]
    assert [world.case(f"as{i}").state.value for i in range(3)] == ["refunded", "refunded", "pending_merchant"]
    assert world.timeline("as0") == ["merchant_timeout"] and world.timeline("as2") == []
    assert world.money() == {"o_as0:refund@0": ("refund.issue", 9900, "as0"),
                             "o_as1:refund@0": ("refund.issue", 9900, "as1")}
    assert tick(world, T0 + 49 * H).actions == {}  # type: ignore[attr-defined]  # rerun: nothing left


def test_a_case_that_fails_is_set_aside_and_the_others_go_on() -> None:
    world, jobs = World(*silent_merchants(4)), FakeJobRuns()
    world.outbox.unavailable.add("as1")
    report = tick(world, T0 + 60 * H, jobs, batch=2)  # small batches: the failing case must not stall the loop
    assert report.actions == {"merchant_timeout": 3} and report.errors == 1  # type: ignore[attr-defined]
    assert world.case("as1").state is m.CaseState.PENDING_MERCHANT  # its transaction rolled back whole
    assert world.timeline("as1") == [] and "o_as1:refund@0" not in world.money()
    assert [world.case(c).state.value for c in ("as0", "as2", "as3")] == ["refunded"] * 3
    assert jobs.failures == {(DEADLINE_JOB, "as1"): "outbox unavailable for as1"}

    locked = len(world.locked())
    assert tick(world, T0 + 61 * H, jobs).actions == {}  # type: ignore[attr-defined]
    assert len(world.locked()) == locked  # waiting for its retry: not even read

    world.outbox.unavailable.clear()
    jobs.backoff_over = True
    assert tick(world, T0 + 62 * H, jobs).actions == {"merchant_timeout": 1}  # type: ignore[attr-defined]
    assert world.case("as1").state is m.CaseState.REFUNDED and jobs.failures == {}
    assert world.money()["o_as1:refund@0"] == ("refund.issue", 9900, "as1")


def test_without_a_job_record_a_failure_stops_the_tick_after_committing_the_cases_before_it() -> None:
    world = World(*silent_merchants(3))
    world.outbox.unavailable.add("as1")
    with pytest.raises(RuntimeError, match="outbox unavailable"):
        tick(world, T0 + 60 * H)
    assert [world.case(f"as{i}").state.value for i in range(3)] == ["refunded", "pending_merchant",
                                                                    "pending_merchant"]


def test_a_case_answered_since_it_was_listed_is_read_again_under_the_lock() -> None:
    """The merchant answered between the tick's list and its lock: the deadline no longer applies."""
    world = World(*silent_merchants(1))

    class AnsweredMeanwhile(FakeCases):
        def get(self, case_id: str, *, lock: bool = False):  # type: ignore[no-untyped-def]
            row = super().get(case_id, lock=lock)
            if lock and row is not None:
                row.update_from(m.enter(row.case, m.CaseState.AWAITING_RETURN, T0 + 47 * H, TERMS))
            return row

    report = DeadlineTick(uow_factory=world.uow, clock=world.clock, transitions=world.transitions,
                          cases=AnsweredMeanwhile)(T0 + 49 * H)
    assert report.actions == {} and world.timeline("as0") == [] and world.money() == {}

