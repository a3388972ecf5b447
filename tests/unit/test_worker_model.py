"""The worker's lease policy and schedule entries, with plain objects (no database, no clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.worker.model import Job, Lease, busy, claimable, claimed, next_due, still_holds

T = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)
US = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(("lease", "now", "can_claim"), [
    (Lease("j"), T, True),  # never claimed, never run
    (Lease("j", holder="a", fence=1, lease_until=T + 30 * S), T, False),  # held
    (Lease("j", holder="a", fence=1, lease_until=T + US), T, False),  # one microsecond left
    (Lease("j", holder="a", fence=1, lease_until=T), T, True),  # just expired: at lease_until it has run out
    (Lease("j", holder="a", fence=1, lease_until=T - S), T, True),  # expired: its holder was killed
    (Lease("j", holder="a", fence=1, lease_until=None), T, True),  # a holder without an end: treated as free
    (Lease("j", fence=3, next_due_at=T + S), T, False),  # free but not due yet
    (Lease("j", fence=3, next_due_at=T), T, True),  # due just now
    (Lease("j", holder="a", fence=3, lease_until=T - S, next_due_at=T + S), T, False),  # expired, not due
], ids=["fresh", "held", "held-1us", "just-expired", "expired", "no-end", "not-due", "due-now", "expired-not-due"])
def test_who_may_claim(lease, now, can_claim):
    assert claimable(lease, now) is can_claim


def test_a_claim_bumps_the_fence_and_holds_for_the_lifetime():
    lease = claimed(Lease("j", holder="a", fence=4, lease_until=T - S), "b", T, 30 * S)
    assert (lease.holder, lease.fence, lease.lease_until) == ("b", 5, T + 30 * S)
    assert lease.held(T + 29 * S) and not lease.held(T + 30 * S)


@pytest.mark.parametrize(("lease", "holder", "fence", "holds"), [
    (Lease("j", holder="a", fence=2, lease_until=T + S), "a", 2, True),  # renewed in time
    (Lease("j", holder="a", fence=2, lease_until=T - S), "a", 2, True),  # expired, nobody took it: may renew
    (Lease("j", holder="b", fence=3, lease_until=T + S), "a", 2, False),  # taken over: fenced
    (Lease("j", holder="a", fence=3, lease_until=T + S), "a", 2, False),  # same worker, a later claim: fenced
    (Lease("j", holder=None, fence=2), "a", 2, False),  # released already
], ids=["renewed", "expired-untaken", "fenced-other", "fenced-later-claim", "released"])
def test_who_may_renew_or_release(lease, holder, fence, holds):
    assert still_holds(lease, holder, fence) is holds


def test_after_a_takeover_the_old_holder_is_fenced_and_the_new_one_holds():
    first = claimed(Lease("j"), "a", T, 10 * S)
    assert not claimable(first, T + 9 * S)
    second = claimed(first, "b", T + 10 * S, 10 * S)  # a was killed; b claims once the lease ran out
    assert not still_holds(second, "a", first.fence)
    assert still_holds(second, "b", second.fence)


@pytest.mark.parametrize(("took", "period", "due"), [
    (2 * S, 60 * S, T + 60 * S),  # a short run: one period after it started
    (90 * S, 60 * S, T + 90 * S),  # longer than the period: due as soon as it finished
    (60 * S, 60 * S, T + 60 * S),
])
def test_next_due(took, period, due):
    assert next_due(T, T + took, period) == due


@pytest.mark.parametrize(("summary", "did"), [
    (None, False), (0, False), ({"delivered": 0, "failed": 0}, False), ({"at": "2026-11-02", "actions": {}}, False),
    ({"failed": []}, False), ({"delivered": 0, "deferred": 4}, False), ({"still_due": 2}, False),
    (3, True), ({"delivered": 1}, True), ({"actions": {"approve": 2}}, True),
    ({"failed": ["sale:o1"]}, True), (True, True),
])
def test_busy_runs_are_the_ones_that_did_something(summary, did):
    assert busy(summary) is did


def test_a_job_needs_a_name_and_a_positive_period():
    with pytest.raises(ValueError):
        Job("", lambda: None)
    with pytest.raises(ValueError):
        Job("x" * 65, lambda: None)
    with pytest.raises(ValueError):
        Job("j", lambda: None, every=0)
    assert Job("j", lambda: None).period(5) == 5 * S
    assert Job("j", lambda: None, every=60).period(5) == 60 * S
