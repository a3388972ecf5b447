"""Matchmaking end to end on the database (SQLite, and PostgreSQL when ANXIN_TEST_DATABASE_URL is set): a new
shop's creator matches from real orders, catalog and score snapshots; the gate's day-59/60 edge and the sales
window's first instant; invitations taking and giving back the creator's weekly slots, capacity at zero; accept,
decline and expiry (the job); an accepted session's outcome from orders, after-sale cases and late-shipment findings;
who sees what; and the races: a concurrent accept and decline, two shops after a creator's last slot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from tests.concurrency import all_at_once
from tests.db.builders import T0, D, H, category, ingest_ok, item, listing, order_paid, shop

from anxin.aftersales.service import FileCase
from anxin.core.clock import beijing_day, beijing_midnight
from anxin.core.errors import AnxinError
from anxin.fulfilment.store import FindingRow
from anxin.merchants import matchmaking as mm
from anxin.merchants.match_store import CreatorSlotsRow, InvitationRow, LiveSessionRow, MatchRunRow
from anxin.scoring.store import ScoreSnapshotRow

pytestmark = pytest.mark.db

OPENED = T0 - 10 * D  # the new shop's day 10
WINDOW = mm.sales_since(T0, mm.MatchRules())  # local midnight 90 days back


@dataclass
class MatchWorld:
    merchant_key: str
    other_merchant_key: str
    creator_keys: dict[str, str]
    operator_key: str


def score(anxin, creator_id: str, x100: int | None) -> None:
    with anxin.uow_factory() as uow:
        uow.session.add(ScoreSnapshotRow(as_of=(T0 - D).date(), subject_kind="creator", subject_id=creator_id,
                                         rulebook_version="t", eligible=x100 is not None, score_x100=x100, band=None,
                                         detail={}))
        uow.commit()


def build_match_world(anxin, *, creators: int = 4) -> MatchWorld:
    """s1 (m1) opened 10 days ago with five beauty listings (lipstick, serum); s9 (m9), an old shop, sells
    lipstick, mascara and shoes through creators: cr0…cr{n-1} with 12 lipstick orders each (cr0 also shoes),
    "shoes" only shoes, "few" 9 orders; scores 4.50 down by 0.10, "low" 3.90."""
    events = [category("beauty"), category("lipstick", parent_id="beauty"), category("serum", parent_id="beauty"),
              category("mascara", parent_id="beauty"), category("fashion"), category("shoes", parent_id="fashion"),
              shop("s1", "m1", name="Bloom", opened_at=OPENED, at=OPENED),
              shop("s2", "m2", name="Other new", opened_at=OPENED, at=OPENED),
              shop("s9", "m9", name="Old", opened_at=T0 - 400 * D, at=T0 - 400 * D),
              *[listing(f"l1{n}", "s1", "lipstick" if n < 3 else "serum", at=OPENED) for n in range(5)],
              *[listing(f"l2{n}", "s2", "lipstick", at=OPENED) for n in range(5)],
              listing("l9a", "s9", "lipstick", at=T0 - 400 * D), listing("l9b", "s9", "mascara", at=T0 - 400 * D),
              listing("l9c", "s9", "shoes", at=T0 - 400 * D)]
    n = 0

    def sold(creator: str, listing_id: str, count: int, at: dt.datetime = T0 - 5 * D) -> None:
        nonlocal n
        for _ in range(count):
            n += 1
            events.append(order_paid(f"h{n}", "buyer", "s9", items=[item(listing_id, 1, 1000)], creator_id=creator,
                                     paid_at=at))

    for c in range(creators):
        sold(f"cr{c}", "l9a", 12)
    sold("cr0", "l9c", 3)
    sold("shoes", "l9c", 20)
    sold("few", "l9a", 9)
    sold("low", "l9a", 12)
    ingest_ok(anxin, events)
    for c in range(creators):
        score(anxin, f"cr{c}", 450 - c * 10)
    score(anxin, "shoes", 480)
    score(anxin, "few", 480)
    score(anxin, "low", 390)
    keys = {c: anxin.access.create_key("creator", c)[1] for c in [f"cr{c}" for c in range(creators)]}
    return MatchWorld(merchant_key=anxin.access.create_key("merchant", "m1")[1],
                      other_merchant_key=anxin.access.create_key("merchant", "m2")[1], creator_keys=keys,
                      operator_key=anxin.access.create_key("operator", "ops")[1])


@pytest.fixture
def world(anxin) -> MatchWorld:
    return build_match_world(anxin)


def who(anxin, key: str):
    return anxin.access.authenticate(key)


def invite(anxin, key: str, creator: str, *, shop_id: str = "s1", start: dt.datetime = T0 + D, hours: int = 2):
    return anxin.merchants.matchmaking.invite(who(anxin, key), shop_id, creator_id=creator, session_start=start,
                                              session_end=start + hours * H)


def used(anxin, creator: str, week: dt.date) -> int:
    with anxin.uow_factory() as uow:
        row = uow.session.get(CreatorSlotsRow, (creator, week))
        return row.used if row is not None else 0


# --- matches ------------------------------------------------------------------------------------------------------

def test_matches_rank_creators_by_fit_reputation_and_capacity_with_reasons(anxin, world) -> None:
    out = anxin.merchants.matchmaking.matches(who(anxin, world.merchant_key), "s1")
    assert out["eligible"] and out["considered"] == 7
    got = [p["creator_id"] for p in out["proposals"]]
    assert got == ["cr1", "cr2", "cr3", "cr0"]  # cr0: the best score but 3 of 15 orders in shoes
    best = out["proposals"][0]
    assert best["parts"] == {"category_fit_bp": 10_000, "reputation_bp": 7000, "capacity_bp": 10_000}
    assert [r["code"] for r in best["reasons"]] == ["match.category_fit", "match.reputation", "match.capacity"]
    assert best["band"] == "good" and best["facts"]["orders"] == 12
    with anxin.uow_factory() as uow:
        run = uow.session.get(MatchRunRow, out["run_id"])
        assert run is not None and run.rulebook_version == anxin.merchants.rulebook.version
        assert run.proposals == out["proposals"] and run.gate["eligible"] is True


@pytest.mark.parametrize(("age", "eligible"), [(59, True), (60, False)])
def test_the_gate_day_59_is_the_last_of_the_first_60_days(anxin, clock, world, age: int, eligible: bool) -> None:
    # Day 0 is the opening day (programmes' convention): day 59 is the 60th day, day 60 the 61st.
    day0 = beijing_midnight(beijing_day(OPENED))
    last = day0 + 59 * D + 23 * H + 59 * dt.timedelta(minutes=1) if eligible else day0 + 60 * D
    clock.set(last)
    out = anxin.merchants.matchmaking.matches(who(anxin, world.merchant_key), "s1")
    assert out["eligible"] is eligible
    assert (out["proposals"] != []) is eligible
    if not eligible:
        assert out["gate"]["reasons"][0]["code"] == "creator.too_old"
        with pytest.raises(AnxinError) as err:
            invite(anxin, world.merchant_key, "cr1", start=last + D)
        assert err.value.code.value == "merchants.match_not_eligible"


@pytest.mark.parametrize(("paid_at", "counted"), [(WINDOW, True), (WINDOW - dt.timedelta(microseconds=1), False)])
def test_the_sales_window_starts_at_its_first_instant(anxin, world, paid_at: dt.datetime, counted: bool) -> None:
    # "few" has 9 orders: a tenth at the window's first instant makes the minimum, a microsecond earlier does not.
    ingest_ok(anxin, [order_paid("edge", "buyer", "s9", items=[item("l9a", 1, 1000)], creator_id="few",
                                 paid_at=paid_at)])
    out = anxin.merchants.matchmaking.matches(who(anxin, world.operator_key), "s1")
    assert ("few" in [p["creator_id"] for p in out["proposals"]]) is counted


# --- invitations and capacity ---------------------------------------------------------------------------------------

def test_capacity_at_zero_refuses_and_a_decline_gives_the_slot_back(anxin, world) -> None:
    week = mm.week_start(T0 + D)
    creator = who(anxin, world.creator_keys["cr1"])
    first = invite(anxin, world.merchant_key, "cr1")["invitation_id"]
    invite(anxin, world.other_merchant_key, "cr1", shop_id="s2")
    assert used(anxin, "cr1", week) == 2
    with pytest.raises(AnxinError) as err:  # s1 already has one waiting for cr1
        invite(anxin, world.merchant_key, "cr1", start=T0 + D + 6 * H)
    assert err.value.code.value == "merchants.already_invited"
    anxin.merchants.matchmaking.accept(creator, first)
    invite(anxin, world.merchant_key, "cr1", start=T0 + D + 6 * H)  # the third slot
    assert used(anxin, "cr1", week) == 3
    out = anxin.merchants.matchmaking.matches(who(anxin, world.merchant_key), "s1", week_of=(T0 + D).date())
    assert "cr1" not in [p["creator_id"] for p in out["proposals"]]
    with pytest.raises(AnxinError) as err:
        invite(anxin, world.other_merchant_key, "cr1", shop_id="s2", start=T0 + D + 9 * H)
    assert err.value.code.value in ("merchants.creator_full", "merchants.already_invited")
    pending_s2 = anxin.merchants.matchmaking.shop_invitations(who(anxin, world.other_merchant_key), "s2",
                                                              state="pending")
    anxin.merchants.matchmaking.decline(creator, pending_s2[0]["invitation_id"])
    assert used(anxin, "cr1", week) == 2
    invite(anxin, world.other_merchant_key, "cr1", shop_id="s2", start=T0 + D + 9 * H)
    assert used(anxin, "cr1", week) == 3
    # Another week is another three slots.
    invite(anxin, world.other_merchant_key, "cr2", shop_id="s2", start=T0 + 8 * D)
    assert used(anxin, "cr2", mm.week_start(T0 + 8 * D)) == 1


def test_a_creator_full_that_week_is_refused_with_the_reason(anxin, world) -> None:
    creator = who(anxin, world.creator_keys["cr2"])
    mm_ = anxin.merchants.matchmaking
    mm_.accept(creator, invite(anxin, world.merchant_key, "cr2")["invitation_id"])
    mm_.accept(creator, invite(anxin, world.other_merchant_key, "cr2", shop_id="s2")["invitation_id"])
    invite(anxin, world.merchant_key, "cr2", start=T0 + D + 3 * H)  # the third slot, waiting
    with pytest.raises(AnxinError) as err:
        mm_.accept(creator, "nope")
    assert err.value.code.value == "merchants.invitation_not_found"
    with pytest.raises(AnxinError) as err:
        invite(anxin, world.other_merchant_key, "cr2", shop_id="s2", start=T0 + D + 6 * H)
    assert err.value.code.value == "merchants.creator_full"
    assert [r["code"] for r in err.value.details["reasons"]] == ["match.no_capacity"]


@pytest.mark.parametrize(("creator", "code", "reason"), [
    ("shoes", "merchants.creator_not_matched", "match.fit_below"),
    ("few", "merchants.creator_not_matched", "match.too_few_sales"),
    ("low", "merchants.creator_not_matched", "match.score_below"),
    ("nobody", "merchants.creator_not_matched", "match.too_few_sales"),
])
def test_an_unmatched_creator_cannot_be_invited(anxin, world, creator: str, code: str, reason: str) -> None:
    with pytest.raises(AnxinError) as err:
        invite(anxin, world.merchant_key, creator)
    assert err.value.code.value == code
    assert reason in [r["code"] for r in err.value.details["reasons"]]


@pytest.mark.parametrize(("start", "hours", "reason"), [
    (T0, 2, "session.starts_in_past"), (T0 + 15 * D, 2, "session.starts_too_late"), (T0 + D, 13, "session.bad_length"),
])
def test_a_session_window_outside_the_rules_is_refused(anxin, world, start, hours, reason) -> None:
    with pytest.raises(AnxinError) as err:
        invite(anxin, world.merchant_key, "cr1", start=start, hours=hours)
    assert err.value.code.value == "merchants.invalid_session"
    assert [r["code"] for r in err.value.details["reasons"]] == [reason]


def test_expiry_by_the_job_frees_the_slot_and_an_answer_after_it_is_refused(anxin, clock, world) -> None:
    out = invite(anxin, world.merchant_key, "cr1", start=T0 + 5 * D)
    assert out["expires_at"] == T0 + 72 * H
    week = mm.week_start(T0 + 5 * D)
    clock.set(T0 + 72 * H - dt.timedelta(microseconds=1))
    assert anxin.merchants.matchmaking.expire_due() == 0
    clock.set(T0 + 72 * H)
    report = anxin.run_jobs()
    assert report["merchants"]["invitations_expired"] == 1
    assert "merchants.expire_invitations" not in report["failed_jobs"]
    assert used(anxin, "cr1", week) == 0
    with pytest.raises(AnxinError) as err:
        anxin.merchants.matchmaking.accept(who(anxin, world.creator_keys["cr1"]), out["invitation_id"])
    assert err.value.code.value == "merchants.invitation_closed" and err.value.details["state"] == "expired"


def test_an_answer_after_expiry_before_the_job_expires_it(anxin, clock, world) -> None:
    out = invite(anxin, world.merchant_key, "cr1", start=T0 + 10 * H)  # expires at the session start
    clock.set(T0 + 10 * H)
    with pytest.raises(AnxinError) as err:
        anxin.merchants.matchmaking.accept(who(anxin, world.creator_keys["cr1"]), out["invitation_id"])
    assert err.value.details["state"] == "expired"
    assert used(anxin, "cr1", mm.week_start(T0 + 10 * H)) == 0
    assert anxin.merchants.matchmaking.expire_due() == 0


# --- sessions and outcomes -----------------------------------------------------------------------------------------

def test_an_accepted_session_tracks_its_orders_cases_and_late_shipments(anxin, clock, world) -> None:
    start = T0 + D
    out = invite(anxin, world.merchant_key, "cr1", start=start, hours=3)
    accepted = anxin.merchants.matchmaking.accept(who(anxin, world.creator_keys["cr1"]), out["invitation_id"])
    assert accepted["state"] == "accepted" and accepted["session"]["phase"] == "upcoming"
    with anxin.uow_factory() as uow:
        s = uow.session.get(LiveSessionRow, out["invitation_id"])
        assert s is not None and (s.starts_at, s.ends_at) == (start, start + 3 * H)
    clock.set(start + 4 * H)
    ingest_ok(anxin, [
        order_paid("in1", "buyer1", "s1", items=[item("l10", 1, 5000)], creator_id="cr1", paid_at=start),
        order_paid("in2", "buyer2", "s1", items=[item("l11", 2, 3000)], creator_id="cr1", paid_at=start + H),
        order_paid("edge", "buyer2", "s1", items=[item("l11", 1, 100)], creator_id="cr1", paid_at=start + 3 * H),
        order_paid("early", "buyer2", "s1", items=[item("l11", 1, 100)], creator_id="cr1",
                   paid_at=start - dt.timedelta(microseconds=1)),
        order_paid("other", "buyer2", "s1", items=[item("l11", 1, 100)], creator_id="cr2", paid_at=start + H),
        order_paid("own", "buyer2", "s1", items=[item("l11", 1, 100)], paid_at=start + H),
    ])
    consumer = anxin.access.create_key("consumer", "buyer1")[0]
    anxin.aftersales.file_case(consumer, FileCase("in1", "refund_only", "no_reason", 5000))
    with anxin.uow_factory() as uow:
        uow.session.add(FindingRow(finding_id="f-late", kind="late_shipment", subject_type="order", subject_id="in2",
                                   shop_id="s1", at=start + 2 * H, evidence={}, rule_id="F.LATE_SHIPMENT",
                                   rulebook_version="t", detected_at=start + 2 * H))
        uow.commit()
    got = anxin.merchants.matchmaking.invitation(who(anxin, world.merchant_key), out["invitation_id"])
    assert got["session"]["phase"] == "ended"
    assert {k: got["outcome"][k] for k in ("orders", "gmv_fen", "cases", "late_shipments")} == {
        "orders": 2, "gmv_fen": 11_000, "cases": 1, "late_shipments": 1}
    mine = anxin.merchants.matchmaking.my_invitations(who(anxin, world.creator_keys["cr1"]), outcome=True)
    assert mine[0]["outcome"]["orders"] == 2


def test_who_sees_and_answers_what(anxin, world) -> None:
    out = invite(anxin, world.merchant_key, "cr1")
    iid = out["invitation_id"]
    mm_ = anxin.merchants.matchmaking
    for key in (world.other_merchant_key, world.creator_keys["cr2"]):
        with pytest.raises(AnxinError) as err:
            mm_.invitation(who(anxin, key), iid)
        assert err.value.code.value == "merchants.invitation_not_found"
    with pytest.raises(AnxinError) as err:
        mm_.decline(who(anxin, world.creator_keys["cr2"]), iid)
    assert err.value.code.value == "merchants.invitation_not_found"
    with pytest.raises(AnxinError) as err:
        mm_.accept(who(anxin, world.merchant_key), iid)
    assert err.value.code.value == "merchants.match_forbidden_role"
    with pytest.raises(AnxinError) as err:
        mm_.matches(who(anxin, world.other_merchant_key), "s1")
    assert err.value.code.value == "merchants.shop_not_found"
    assert mm_.invitation(who(anxin, world.operator_key), iid)["state"] == "pending"
    assert mm_.my_invitations(who(anxin, world.creator_keys["cr2"])) == []


# --- races ----------------------------------------------------------------------------------------------------------

def test_a_concurrent_accept_and_decline_have_one_winner(anxin, world) -> None:
    for round_ in range(3):
        out = invite(anxin, world.merchant_key, "cr1", start=T0 + D + round_ * 3 * H)
        creator = who(anxin, world.creator_keys["cr1"])
        mm_ = anxin.merchants.matchmaking
        iid = out["invitation_id"]
        results = all_at_once([lambda m=mm_, c=creator, i=iid: m.accept(c, i),
                               lambda m=mm_, c=creator, i=iid: m.decline(c, i)])
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, AnxinError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].code.value == "merchants.invitation_closed"
        with anxin.uow_factory() as uow:
            row = uow.session.get(InvitationRow, out["invitation_id"])
            assert row is not None and row.state == won[0]["state"]
            assert (uow.session.get(LiveSessionRow, out["invitation_id"]) is not None) is (row.state == "accepted")
    week = mm.week_start(T0 + D)
    with anxin.uow_factory() as uow:
        held = sum(1 for r in uow.session.query(InvitationRow).filter_by(creator_id="cr1", week_start=week)
                   if r.state in mm.OPEN_STATES)
    assert used(anxin, "cr1", week) == held


def test_two_shops_racing_for_the_last_slot_get_it_once(anxin, world) -> None:
    week = mm.week_start(T0 + D)
    third = build_third_shop(anxin)
    invite(anxin, third, "cr3", shop_id="s3")
    invite(anxin, third, "cr3", shop_id="s4")  # two of three slots taken
    results = all_at_once([lambda: invite(anxin, world.merchant_key, "cr3"),
                           lambda: invite(anxin, world.other_merchant_key, "cr3", shop_id="s2")])
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, AnxinError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].code.value == "merchants.creator_full"
    assert used(anxin, "cr3", week) == 3


def build_third_shop(anxin) -> str:
    ingest_ok(anxin, [shop("s3", "m3", opened_at=OPENED, at=OPENED), shop("s4", "m3", opened_at=OPENED, at=OPENED),
                      *[listing(f"l3{n}", "s3", "lipstick", at=OPENED) for n in range(5)],
                      *[listing(f"l4{n}", "s4", "serum", at=OPENED) for n in range(5)]])
    return anxin.access.create_key("merchant", "m3")[1]


def test_the_latest_score_snapshot_counts(anxin, world) -> None:
    with anxin.uow_factory() as uow:  # an older, lower score of cr1 and a newer unscored day of cr2
        uow.session.add(ScoreSnapshotRow(as_of=(T0 - 9 * D).date(), subject_kind="creator", subject_id="cr1",
                                         rulebook_version="t", eligible=True, score_x100=300, band=None, detail={}))
        uow.session.add(ScoreSnapshotRow(as_of=T0.date(), subject_kind="creator", subject_id="cr2",
                                         rulebook_version="t", eligible=False, score_x100=None, band=None, detail={}))
        uow.commit()
    out = anxin.merchants.matchmaking.matches(who(anxin, world.operator_key), "s1")
    assert [p["creator_id"] for p in out["proposals"]] == ["cr1", "cr3", "cr0"]


def test_the_shop_withdraws_a_pending_invitation_and_the_slot_comes_back(anxin, world) -> None:
    week = mm.week_start(T0 + D)
    mm_ = anxin.merchants.matchmaking
    iid = invite(anxin, world.merchant_key, "cr1")["invitation_id"]
    assert used(anxin, "cr1", week) == 1
    creator = who(anxin, world.creator_keys["cr1"])
    with pytest.raises(AnxinError) as err:  # the creator answers; it does not withdraw
        mm_.withdraw(creator, iid)
    assert err.value.code.value == "merchants.match_forbidden_role"
    with pytest.raises(AnxinError) as err:  # another shop's merchant does not see it
        mm_.withdraw(who(anxin, world.other_merchant_key), iid)
    assert err.value.code.value == "merchants.invitation_not_found"
    out = mm_.withdraw(who(anxin, world.merchant_key), iid)
    assert out["state"] == "withdrawn" and used(anxin, "cr1", week) == 0
    with pytest.raises(AnxinError) as err:  # closed: neither answer nor a second withdrawal moves it
        mm_.accept(creator, iid)
    assert err.value.code.value == "merchants.invitation_closed"
    withdrawn = mm_.shop_invitations(who(anxin, world.merchant_key), "s1", state="withdrawn")
    assert [i["invitation_id"] for i in withdrawn] == [iid]


def test_a_withdrawal_racing_an_accept_has_one_winner(anxin, world) -> None:
    week = mm.week_start(T0 + D)
    mm_ = anxin.merchants.matchmaking
    for round_ in range(3):
        iid = invite(anxin, world.merchant_key, "cr1", start=T0 + D + round_ * 3 * H)["invitation_id"]
        creator, merchant = who(anxin, world.creator_keys["cr1"]), who(anxin, world.merchant_key)
        results = all_at_once([lambda i=iid, c=creator: mm_.accept(c, i),
                               lambda i=iid, m=merchant: mm_.withdraw(m, i)])
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, AnxinError)]
        assert len(won) == 1 and len(lost) == 1, results
        assert lost[0].code.value == "merchants.invitation_closed"
        with anxin.uow_factory() as uow:
            assert (uow.session.get(LiveSessionRow, iid) is not None) is (won[0]["state"] == "accepted")
    with anxin.uow_factory() as uow:
        held = sum(1 for r in uow.session.query(InvitationRow).filter_by(creator_id="cr1", week_start=week)
                   if r.state in mm.OPEN_STATES)
    assert used(anxin, "cr1", week) == held
