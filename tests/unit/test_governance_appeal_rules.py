"""Appeal rules at every edge: the windows (day 30 vs 31, day 15 vs 16 after a rejection), the third appeal, one open
at a time, the channel closed until its end, the state machine, the SLA, abuse and the resolution figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from anxin.core.clock import BEIJING
from anxin.governance import appeal_rules as r

BOOK = r.load_appeal_book()
RULES = BOOK.rules


def bj(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=BEIJING).astimezone(dt.UTC)


PENALTY = bj(2026, 12, 1, 10)  # day 0 of the first window
REJECTED_AT = bj(2026, 12, 5, 15)  # day 0 of the second window


def facts(at: dt.datetime, *prior: r.PriorAppeal, state: str = "active", appealable: bool = True,
          owner: bool = True, closed_until: dt.datetime | None = None) -> r.FilingFacts:
    return r.FilingFacts(at=at, violation_id="v1", violation_state=state, appealable=appealable,
                         penalised_at=PENALTY, is_owner=owner, prior=prior, channel_closed_until=closed_until)


def rejected(n: int, decided_at: dt.datetime = REJECTED_AT) -> r.PriorAppeal:
    return r.PriorAppeal(f"a{n}", r.REJECTED, decided_at - dt.timedelta(days=1), decided_at)


def test_the_shipped_rulebook_holds_the_rules_md_figures() -> None:
    assert BOOK.version == "governance-2026.12"
    assert (RULES.max_appeals.per_violation, RULES.first_window.days, RULES.second_window.days,
            RULES.decision_sla.hours) == (2, 30, 15, 72)


@pytest.mark.parametrize(("at", "prior", "allowed", "reasons", "number"), [
    # the first window: the penalty's day is day 0; day 30 is open to its last second, day 31 is closed
    (PENALTY, (), True, (), 1),
    (bj(2026, 12, 31, 0, 0, 0), (), True, (), 1),
    (bj(2026, 12, 31, 23, 59, 59), (), True, (), 1),
    (bj(2027, 1, 1, 0, 0, 0), (), False, (r.FIRST_WINDOW_CLOSED,), 1),
    # the second window: 15 days from the rejection, whatever is left of the first
    (bj(2026, 12, 20, 23, 59, 59), (rejected(1),), True, (), 2),
    (bj(2026, 12, 21, 0, 0, 0), (rejected(1),), False, (r.SECOND_WINDOW_CLOSED,), 2),
    # the third appeal is refused even inside a window
    (bj(2026, 12, 6), (rejected(1, bj(2026, 12, 3)), rejected(2)), False, (r.LIMIT_REACHED,), 3),
    # a withdrawn appeal does not use up a turn: the next is still the first, in the first window
    (bj(2026, 12, 10), (r.PriorAppeal("a1", r.WITHDRAWN, bj(2026, 12, 2)),), True, (), 1),
    # one open appeal at a time
    (bj(2026, 12, 3), (r.PriorAppeal("a1", r.SUBMITTED, bj(2026, 12, 2)),), False, (r.APPEAL_OPEN,), 2),
])
def test_may_appeal_at_the_window_and_count_edges(at: dt.datetime, prior: tuple[r.PriorAppeal, ...], allowed: bool,
                                                   reasons: tuple[str, ...], number: int) -> None:
    verdict = r.may_appeal(RULES, facts(at, *prior))
    assert (verdict.allowed, verdict.reason_codes, verdict.number) == (allowed, reasons, number)
    assert verdict.facts["number"] == number
    if not allowed:
        assert len(verdict.rule_ids) == len(reasons)


def test_refusals_name_their_rules() -> None:
    verdict = r.may_appeal(RULES, facts(bj(2027, 1, 1), rejected(1, bj(2026, 12, 3)), rejected(2)))
    assert verdict.rule_ids == ("appeal.max_appeals",)
    verdict = r.may_appeal(RULES, facts(bj(2027, 1, 1)))
    assert verdict.rule_ids == ("appeal.first_window",)
    assert verdict.window_ends_at == bj(2027, 1, 1)


@pytest.mark.parametrize(("at", "closed"), [
    (bj(2026, 12, 9, 23, 59, 59), True),  # the last second of the closure
    (bj(2026, 12, 10), False),  # its end: open again
])
def test_a_closed_channel_refuses_until_its_end(at: dt.datetime, closed: bool) -> None:
    verdict = r.may_appeal(RULES, facts(at, closed_until=bj(2026, 12, 10)))
    assert verdict.allowed is not closed
    assert verdict.reason_codes == ((r.CHANNEL_CLOSED,) if closed else ())


def test_every_reason_is_given_and_a_stranger_learns_nothing() -> None:
    verdict = r.may_appeal(RULES, facts(bj(2027, 1, 1), state="reversed", appealable=False))
    assert verdict.reason_codes == (r.NOT_APPEALABLE, r.NOT_ACTIVE, r.FIRST_WINDOW_CLOSED)
    stranger = r.may_appeal(RULES, facts(PENALTY, owner=False))
    assert (stranger.allowed, stranger.reason_codes, stranger.facts) == (False, (r.NOT_OWNER,), {"violation_id": "v1"})


@pytest.mark.parametrize(("state", "to", "ok"), [
    (r.SUBMITTED, r.UPHELD, True), (r.SUBMITTED, r.REJECTED, True), (r.SUBMITTED, r.WITHDRAWN, True),
    (r.UPHELD, r.REJECTED, False), (r.REJECTED, r.UPHELD, False), (r.REJECTED, r.REJECTED, False),
    (r.WITHDRAWN, r.UPHELD, False), (r.SUBMITTED, r.SUBMITTED, False),
])
def test_the_state_machine(state: str, to: str, ok: bool) -> None:
    assert r.may_move(state, to) is ok


FILED = bj(2026, 12, 2, 9)
INDEX = 'kind: governance\nversion: v\neffective_from: "2026-12-07T00:00:00+08:00"\n'


@pytest.mark.parametrize(("at", "overdue"), [
    (FILED + dt.timedelta(hours=72), False),  # at the deadline: in time
    (FILED + dt.timedelta(hours=72, seconds=1), True),
])
def test_overdue_past_the_sla(at: dt.datetime, overdue: bool) -> None:
    deadline = r.deadline_of(RULES, FILED)
    assert deadline == FILED + dt.timedelta(hours=72)
    assert r.is_overdue(r.SUBMITTED, deadline, at) is overdue
    assert r.is_overdue(r.REJECTED, deadline, at) is False
    decision = r.decide(RULES, outcome=r.REJECTED, reason_codes=["evidence_insufficient"], abusive=False,
                        filed_at=FILED, deadline_at=deadline, at=at)
    assert decision.overdue is overdue
    assert (r.DECIDED_LATE in decision.reason_codes) is overdue


def test_upheld_reverses_and_rejected_does_not() -> None:
    deadline = r.deadline_of(RULES, FILED)
    upheld = r.decide(RULES, outcome=r.UPHELD, reason_codes=["evidence_accepted"], abusive=False, filed_at=FILED,
                      deadline_at=deadline, at=FILED + dt.timedelta(hours=5))
    assert (upheld.reverse_violation, upheld.close_channel_until) == (True, None)
    assert upheld.facts["resolution_seconds"] == 5 * 3600
    assert upheld.rule_ids == ("appeal.decision_sla",)
    no = r.decide(RULES, outcome=r.REJECTED, reason_codes=[], abusive=False, filed_at=FILED, deadline_at=deadline,
                  at=FILED + dt.timedelta(hours=5))
    assert no.reverse_violation is False
    with pytest.raises(ValueError, match="abusive"):
        r.decide(RULES, outcome=r.UPHELD, reason_codes=[], abusive=True, filed_at=FILED, deadline_at=deadline,
                 at=FILED)


AT = FILED + dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(("before", "closed_until", "closes"), [
    ((AT - 10 * DAY,), None, False),  # 2 flagged in the window: not yet
    ((AT - 10 * DAY, AT - 89 * DAY), None, True),  # the 3rd inside 90 days closes the channel
    ((AT - 10 * DAY, AT - 90 * DAY), None, False),  # one of them just outside the window
    ((AT - 10 * DAY, AT - 20 * DAY), AT + DAY, False),  # already closed: no second closure
])
def test_abusive_rejections_close_the_channel(before: tuple[dt.datetime, ...], closed_until: dt.datetime | None,
                                              closes: bool) -> None:
    d = r.decide(RULES, outcome=r.REJECTED, reason_codes=[], abusive=True, filed_at=FILED,
                 deadline_at=r.deadline_of(RULES, FILED), at=AT, flagged_before=before,
                 channel_closed_until=closed_until)
    assert (d.close_channel_until == AT + 30 * DAY) is closes
    assert (d.close_channel_until is None) is not closes
    assert r.FLAGGED_ABUSIVE in d.reason_codes and "appeal.abuse" in d.rule_ids


@pytest.mark.parametrize(("values", "median", "p90"), [
    ([], None, None),
    ([7], 7, 7),
    ([1, 2], 1, 2),  # even count: the middle two's mean, rounded down
    ([5, 1, 3], 3, 5),
    (list(range(1, 11)), 5, 9),  # nearest rank: ceil(0.9 × 10) = 9th
    (list(range(1, 12)), 6, 10),  # ceil(9.9) = 10th
])
def test_resolution_stats(values: list[int], median: int | None, p90: int | None) -> None:
    stats = r.resolution_stats(values)
    assert (stats.decided, stats.median_seconds, stats.p90_seconds) == (len(values), median, p90)


@pytest.mark.parametrize(("cur", "prev", "pct"), [(50, 100, -50.0), (150, 100, 50.0), (1, None, None),
                                                 (None, 5, None), (3, 0, None)])
def test_change_pct(cur: int | None, prev: int | None, pct: float | None) -> None:
    assert r.change_pct(cur, prev) == pct


@pytest.mark.parametrize(("statement", "evidence", "reasons"), [
    ("the parcel was collected on time, see scan", [r.EvidenceRef("image", "up_1")], []),
    ("  too short ", [], [r.STATEMENT_LENGTH]),  # 9 characters once trimmed
    ("x" * 2001, [], [r.STATEMENT_LENGTH]),
    ("a fine statement here", [r.EvidenceRef("video", "up_1")], [r.EVIDENCE_KIND]),
    ("a fine statement here", [r.EvidenceRef("document", " ")], [r.EVIDENCE_REF]),
    ("a fine statement here", [r.EvidenceRef("image", f"up_{i}") for i in range(10)], [r.EVIDENCE_COUNT]),
])
def test_submission_problems(statement: str, evidence: list[r.EvidenceRef], reasons: list[str]) -> None:
    assert [reason for reason, _, _ in r.submission_problems(RULES, statement, evidence)] == reasons


def test_statement_length_edges() -> None:
    assert r.submission_problems(RULES, "x" * 10, []) == []
    assert [p[0] for p in r.submission_problems(RULES, "x" * 9, [])] == [r.STATEMENT_LENGTH]
    assert r.submission_problems(RULES, "x" * 2000, []) == []


def test_a_broken_section_is_refused_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "rulebook.yaml").write_text(INDEX)
    text = (r.DEFAULT_DIR / "appeals.yaml").read_text(encoding="utf-8")
    text = text.replace("per_violation: 2", 'per_violation: "2"').replace("min_chars: 10", "min_chars: 3000")
    (tmp_path / "appeals.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(r.AppealRulebookError) as caught:
        r.load_appeal_book(tmp_path)
    problems = "\n".join(caught.value.problems)
    assert "appeals.max_appeals.per_violation: must be an integer" in problems
    assert "appeals.statement.min_chars: must not be above max_chars" in problems


def test_rule_ids_are_distinct(tmp_path: Path) -> None:
    (tmp_path / "rulebook.yaml").write_text(INDEX)
    text = (r.DEFAULT_DIR / "appeals.yaml").read_text(encoding="utf-8")
    (tmp_path / "appeals.yaml").write_text(text.replace("{id: appeal.decision_sla", "{id: appeal.first_window"))
    with pytest.raises(r.AppealRulebookError, match=r"repeated: appeal\.first_window"):
        r.load_appeal_book(tmp_path)
