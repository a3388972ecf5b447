"""The backoff policy and the failure record of periodic jobs' items (anxin.jobs.model), at their edges."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.jobs.model import (
    ITEM_BACKOFF,
    JOB_BACKOFF,
    MAX_ERROR,
    Backoff,
    JobFailure,
    describe,
    failed_again,
)

T = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)
LAST = dt.datetime.max.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(("policy", "failures", "seconds"), [
    (ITEM_BACKOFF, 1, 60), (ITEM_BACKOFF, 2, 120), (ITEM_BACKOFF, 3, 240), (ITEM_BACKOFF, 6, 1920),
    (ITEM_BACKOFF, 7, 3600),  # 3840 capped
    (ITEM_BACKOFF, 8, 3600), (ITEM_BACKOFF, 10**9, 3600),  # a huge count: the cap, at once
    (JOB_BACKOFF, 1, 10), (JOB_BACKOFF, 5, 160), (JOB_BACKOFF, 6, 300), (JOB_BACKOFF, 50, 300),
    (Backoff(base_seconds=5, factor=1, max_delay_seconds=5), 1, 5),  # constant
    (Backoff(base_seconds=5, factor=1, max_delay_seconds=60), 10**9, 5),
    (Backoff(base_seconds=7, factor=3, max_delay_seconds=7), 2, 7),  # cap == base
    (Backoff(base_seconds=1, factor=10, max_delay_seconds=1000), 4, 1000),  # reaches the cap exactly
    (Backoff(base_seconds=1, factor=10, max_delay_seconds=999), 4, 999),
])
def test_delay_after_n_failures(policy: Backoff, failures: int, seconds: int) -> None:
    assert policy.delay(failures) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("failures", [0, -1])
def test_failures_count_from_one(failures: int) -> None:
    with pytest.raises(ValueError):
        ITEM_BACKOFF.delay(failures)


@pytest.mark.parametrize("kwargs", [dict(base_seconds=0), dict(base_seconds=-5), dict(factor=0),
                                    dict(base_seconds=60, max_delay_seconds=59)])
def test_invalid_policies_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)


def test_retry_time_near_the_last_instant_does_not_overflow() -> None:
    assert ITEM_BACKOFF.retry_at(LAST - 30 * S, 1) == LAST
    assert ITEM_BACKOFF.retry_at(T, 1) == T + 60 * S


def test_failures_in_a_row_count_up_and_keep_the_first_time() -> None:
    first = failed_again(None, job="j", item="o1", error="E: one", at=T, backoff=ITEM_BACKOFF)
    assert first == JobFailure("j", "o1", "E: one", 1, T, T, T + 60 * S)
    later = T + 61 * S
    second = failed_again(first, job="j", item="o1", error="E: two", at=later, backoff=ITEM_BACKOFF)
    assert second == JobFailure("j", "o1", "E: two", 2, T, later, later + 120 * S)


@pytest.mark.parametrize(("now", "waiting"), [
    (T, True), (T + 60 * S - dt.timedelta(microseconds=1), True), (T + 60 * S, False), (T + 3600 * S, False)])
def test_waiting_ends_exactly_at_the_retry_time(now: dt.datetime, waiting: bool) -> None:
    failure = failed_again(None, job="j", item="o1", error="E", at=T, backoff=ITEM_BACKOFF)
    assert failure.waiting(now) is waiting


def test_long_texts_are_cut_to_their_columns_and_nul_is_escaped() -> None:
    failure = failed_again(None, job="j" * 100, item="i" * 300, error="e\x00" * 5000, at=T, backoff=ITEM_BACKOFF)
    assert (len(failure.job), len(failure.item), len(failure.error)) == (64, 200, MAX_ERROR)
    assert "\x00" not in failure.error and failure.error.startswith("e\\x00e")


@pytest.mark.parametrize(("exc", "text"), [
    (OverflowError("date value out of range"), "OverflowError: date value out of range"),
    (KeyError(), "KeyError"), (RuntimeError(), "RuntimeError")])
def test_errors_read_type_and_message(exc: BaseException, text: str) -> None:
    assert describe(exc) == text


def test_as_dict_is_json_ready() -> None:
    failure = failed_again(None, job="j", item="o1", error="E", at=T, backoff=ITEM_BACKOFF)
    assert failure.as_dict() == {"job": "j", "item": "o1", "error": "E", "attempts": 1,
                                 "first_failed_at": T.isoformat(), "last_failed_at": T.isoformat(),
                                 "next_retry_at": (T + 60 * S).isoformat()}
