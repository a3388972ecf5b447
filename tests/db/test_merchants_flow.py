"""The merchants context end to end on a real database: applications screened with reasons, states with history,
transfers and upgrades, the deposit ledger persisted and idempotent, fees frozen at sale and reversed on refund and
cancellation, the zero-deposit trial, fee campaigns, offers recorded, novice tasks; bad input refused whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa
from tests.conftest import T0
from tests.db.builders import (
    cancelled,
    category,
    chat_session,
    delivered,
    ingest_ok,
    item,
    listing,
    order_paid,
    review,
    row_counts,
    shipped,
    shop,
)

from anxin.aftersales.service import FileCase
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.merchants.service import merchants_for

pytestmark = pytest.mark.db

H, D = dt.timedelta(hours=1), dt.timedelta(days=1)
M1, M2 = Principal("k1", Role.MERCHANT, "m1"), Principal("k2", Role.MERCHANT, "m2")
OPS = Principal("k3", Role.OPERATOR, "ops")


def _catalogue(anxin):
    ingest_ok(anxin, [category("apparel"), category("fruit", tags=["fresh"]), category("liquor", tags=["alcohol"])])


def _apply(anxin, who=M1, **kw):
    data = {"shop_id": "n1", "name": "New shop", "store_type": "enterprise", "categories": ["apparel"],
            "licence_no": "L-1", "legal_rep": "Zhang"} | kw
    return anxin.merchants.lifecycle.apply(who, data)


def _code(exc: pytest.ExceptionInfo[AnxinError]) -> str:
    return exc.value.code.value


# --- onboarding and lifecycle ---------------------------------------------------------------------------------

def test_an_application_that_passes_screening_opens_a_novice_shop_with_history(anxin):
    _catalogue(anxin)
    view = _apply(anxin)
    assert (view["state"], view["screening"]["outcome"]) == ("novice", "approve")
    assert [(h["from_state"], h["to_state"], h["reason"]) for h in view["history"]] == [
        (None, "applied", "lifecycle.applied"), ("applied", "novice", "lifecycle.approved")]
    assert view["opened_at"] == T0
    # the rest of anxin knows the shop now: listings can be ingested for it
    ingest_ok(anxin, [listing("l1", "n1", "apparel")])


def test_a_personal_shop_selling_alcohol_is_rejected_with_every_reason(anxin):
    _catalogue(anxin)
    view = _apply(anxin, store_type="personal", categories=["liquor"], licence_no=None)
    assert (view["state"], view["screening"]["outcome"]) == ("closed", "reject")
    codes = {r["code"] for r in view["screening"]["reasons"]}
    assert "screening.category_not_allowed" in codes


def test_a_licence_opens_several_shops_up_to_the_limit(anxin):
    _catalogue(anxin)
    limit = anxin.merchants.rulebook.onboarding.max_shops_per_licence
    for n in range(limit):
        assert _apply(anxin, shop_id=f"n{n}")["state"] == "novice"
    over = _apply(anxin, shop_id="over")
    assert over["state"] == "closed"
    assert "screening.licence_at_limit" in {r["code"] for r in over["screening"]["reasons"]}


def test_an_applicant_sharing_a_banned_shops_licence_is_refused(anxin):
    _catalogue(anxin)
    ingest_ok(anxin, [shop("bad", "m9", credentials={"licence": "L-BAD"})])
    anxin.risk.ban_shop(OPS, "bad", reason="fake transactions")
    view = _apply(anxin, licence_no="L-BAD")
    assert view["state"] == "closed"
    banned = [r for r in view["screening"]["reasons"] if r["code"] == "screening.banned_link"]
    assert banned and banned[0]["params"]["banned_shop_id"] == "bad" if "banned_shop_id" in banned[0]["params"] \
        else banned


def test_bad_applications_are_refused_whole(anxin):
    _catalogue(anxin)
    before = row_counts(anxin.engine)
    with pytest.raises(AnxinError) as exc:
        _apply(anxin, categories=["nope"])
    assert _code(exc) == "merchants.invalid_field"
    with pytest.raises(AnxinError) as exc:
        _apply(anxin, store_type="corporate")
    assert _code(exc) == "merchants.invalid_field"
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.lifecycle.apply(Principal("c", Role.CONSUMER, "c1"), {"shop_id": "x"})
    assert _code(exc) == "merchants.forbidden_role"
    assert row_counts(anxin.engine) == before
    _apply(anxin)
    with pytest.raises(AnxinError) as exc:
        _apply(anxin)
    assert _code(exc) == "merchants.shop_exists"


def test_states_move_by_the_table_and_every_move_is_history(anxin, clock):
    _catalogue(anxin)
    _apply(anxin)
    anxin.merchants.lifecycle.change_state(OPS, "n1", action="restrict", reason="late shipments")
    anxin.merchants.lifecycle.change_state(OPS, "n1", action="reinstate")
    anxin.merchants.lifecycle.change_state(OPS, "n1", action="suspend")
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.lifecycle.change_state(OPS, "n1", action="restrict")  # suspended -> restricted is not a move
    assert _code(exc) == "merchants.illegal_transition"
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.lifecycle.change_state(M1, "n1", action="reinstate")  # only the platform reinstates
    assert _code(exc) == "merchants.forbidden_role"
    view = anxin.merchants.lifecycle.change_state(M1, "n1", action="close")
    assert view["state"] == "closed"
    assert [h["to_state"] for h in view["history"]] == ["applied", "novice", "restricted", "active", "suspended",
                                                        "closed"]


def test_novices_graduate_when_their_period_is_over(anxin, clock):
    _catalogue(anxin)
    _apply(anxin)
    days = anxin.merchants.rulebook.onboarding.lifecycle.novice_days
    clock.set(T0 + (days - 2) * D)
    assert anxin.merchants.lifecycle.graduate_due() == 0
    clock.set(T0 + (days + 1) * D)
    assert anxin.merchants.lifecycle.graduate_due() == 1
    assert anxin.merchants.centre.status(M1, "n1")["state"] == "active"


def test_a_merchant_sees_only_their_own_shops(anxin):
    _catalogue(anxin)
    _apply(anxin)
    m = anxin.merchants
    for call in (lambda: m.centre.status(M2, "n1"), lambda: m.money.deposit(M2, "n1"),
                 lambda: m.programmes.novice(M2, "n1"), lambda: m.financing.offers(M2, "n1")):
        with pytest.raises(AnxinError) as exc:
            call()
        assert _code(exc) == "merchants.shop_not_found"
    assert [s["shop_id"] for s in anxin.merchants.centre.overview(M1)["shops"]] == ["n1"]
    assert anxin.merchants.centre.overview(M2)["shops"] == []


# --- transfers ------------------------------------------------------------------------------------------------

def test_a_transfer_keeps_history_and_refunds_the_deposit_as_the_rulebook_says(anxin):
    _catalogue(anxin)
    _apply(anxin)
    anxin.merchants.money.top_up(M1, "n1", amount_fen=200_000, key="t1")
    view = anxin.merchants.lifecycle.transfer(OPS, "n1", {"kind": "transfer", "to_merchant_id": "m2",
                                                          "licence_no": "L-2"})
    assert view["merchant_id"] == "m2"
    assert view["history"][-1]["kind"] == "transfer"
    carry = anxin.merchants.rulebook.onboarding.lifecycle.carryover["transfer"]
    deposit = anxin.merchants.money.deposit(M2, "n1")
    assert deposit["held_fen"] == (0 if carry.deposit == "refund" else 200_000)
    with pytest.raises(AnxinError):
        anxin.merchants.centre.status(M1, "n1")  # no longer theirs


def test_a_transfer_to_an_entity_linked_to_a_banned_shop_is_refused_and_nothing_changes(anxin):
    _catalogue(anxin)
    _apply(anxin)
    anxin.merchants.money.top_up(M1, "n1", amount_fen=200_000, key="t1")
    ingest_ok(anxin, [shop("bad", "m9", credentials={"licence": "L-BAD"})])
    anxin.risk.ban_shop(OPS, "bad", reason="counterfeits")
    before = row_counts(anxin.engine)
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.lifecycle.transfer(OPS, "n1", {"kind": "transfer", "to_merchant_id": "m2",
                                                       "licence_no": "L-BAD"})
    assert _code(exc) == "merchants.transfer_to_banned"
    assert row_counts(anxin.engine) == before
    assert anxin.merchants.money.deposit(M1, "n1")["held_fen"] == 200_000


def test_a_personal_shop_upgrades_to_individual_keeping_everything(anxin):
    _catalogue(anxin)
    _apply(anxin, store_type="personal", licence_no=None)
    anxin.merchants.money.top_up(M1, "n1", amount_fen=50_000, key="t1")
    view = anxin.merchants.lifecycle.transfer(OPS, "n1", {"kind": "upgrade", "store_type": "individual",
                                                          "licence_no": "L-9"})
    assert (view["store_type"], view["licence_no"], view["merchant_id"]) == ("individual", "L-9", "m1")
    assert anxin.merchants.money.deposit(M1, "n1")["held_fen"] == 50_000
    with pytest.raises(AnxinError) as exc:  # individual -> personal is no upgrade
        anxin.merchants.lifecycle.transfer(OPS, "n1", {"kind": "upgrade", "store_type": "personal"})
    assert _code(exc) == "merchants.upgrade_invalid"


# --- deposits --------------------------------------------------------------------------------------------------

def test_deposit_postings_are_idempotent_and_withdrawals_keep_the_requirement(anxin):
    _catalogue(anxin)
    _apply(anxin)
    first = anxin.merchants.money.top_up(M1, "n1", amount_fen=100_000, key="a")
    again = anxin.merchants.money.top_up(M1, "n1", amount_fen=100_000, key="a")
    assert (first["applied"], again["applied"], again["held_fen"]) == (True, False, 100_000)
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.money.top_up(M1, "n1", amount_fen=5, key="a")  # the key was used for another amount
    assert _code(exc) == "merchants.idempotency_conflict"
    required = first["required"]["fen"]
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.money.withdraw_deposit(M1, "n1", amount_fen=100_000 - required + 1, key="w1")
    assert _code(exc) == "merchants.withdrawal_over_limit"
    assert exc.value.details["limit_fen"] == 100_000 - required
    view = anxin.merchants.money.withdraw_deposit(M1, "n1", amount_fen=100_000 - required, key="w1")
    assert view["held_fen"] == required


def test_a_deduction_beyond_the_deposit_is_refused_or_booked_to_debt_explicitly(anxin):
    _catalogue(anxin)
    _apply(anxin)
    anxin.merchants.money.top_up(M1, "n1", amount_fen=30_000, key="a")
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.money.deduct(OPS, "n1", amount_fen=50_000, reason="penalty", key="p1")
    assert _code(exc) == "merchants.insufficient_deposit"
    view = anxin.merchants.money.deduct(OPS, "n1", amount_fen=50_000, reason="penalty", key="p1", allow_debt=True)
    assert (view["held_fen"], view["debt_fen"], view["status"]["state"]) == (0, 20_000, "in_debt")
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.money.deduct(M1, "n1", amount_fen=1, reason="penalty", key="p2")
    assert _code(exc) == "merchants.forbidden_role"


# --- settlement --------------------------------------------------------------------------------------------------

def _sell(anxin, *, shop_id="s1", opened_at=T0 - 100 * D, **order):
    ingest_ok(anxin, [shop(shop_id, "m1", services=["anxin_gou"], opened_at=opened_at),
                      listing("la", shop_id, "apparel", price_fen=10_000),
                      listing("lf", shop_id, "fruit", price_fen=5_000)])
    ingest_ok(anxin, [order_paid(**order)])


def test_the_fee_is_frozen_at_sale_with_waivers_and_version(anxin):
    _catalogue(anxin)
    _sell(anxin, order_id="o1", items=[item("la", 2, 10_000), item("lf", 1, 5_000)], paid_fen=23_000,
          platform_coupon_fen=1_000, channel="live")
    report = anxin.merchants.settlement.settle_pending()
    assert report.sales == 1
    st = anxin.merchants.statements.order_statement(M1, "o1")
    assert (st["gross_fen"], st["shop_coupon_fen"], st["platform_coupon_fen"], st["base_fen"]) == (
        25_000, 1_000, 1_000, 24_000)
    fresh = next(line for line in st["quote"]["lines"] if line["category_id"] == "fruit")
    assert fresh["waiver_ids"] and fresh["charged_bp"] == anxin.merchants.rulebook.fees.channel_fee_bp
    assert st["receivable_fen"] == st["base_fen"] - st["fee_fen"]
    assert st["entries"][0]["version"] == anxin.merchants.rulebook.version
    assert anxin.merchants.settlement.settle_pending().sales == 0  # nothing twice
    deposit = anxin.merchants.money.deposit(M1, "s1")
    assert deposit["goods_fen"] == st["receivable_fen"]


def test_a_refund_reverses_the_fee_and_a_cancellation_reverses_the_rest(anxin, clock):
    _catalogue(anxin)
    _sell(anxin, order_id="o1", items=[item("la", 1, 10_000)], channel="live")
    consumer = anxin.access.create_key("consumer", "c1")[0]
    anxin.merchants.settlement.settle_pending()
    fee = anxin.merchants.statements.order_statement(M1, "o1")["fee_fen"]
    clock.set(T0 + H)
    view = anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 4_000, ()))
    merchant = anxin.access.create_key("merchant", "m1")[0]
    if view.case.state.value != "refunded":
        anxin.aftersales.act(merchant, view.case.case_id, "approve")
    anxin.merchants.settlement.settle_pending()
    st = anxin.merchants.statements.order_statement(M1, "o1")
    refund = [e for e in st["entries"] if e["kind"] == "refund"]
    assert len(refund) == 1 and -refund[0]["fee_fen"] == round(fee * 4_000 / 10_000)
    ingest_ok(anxin, [cancelled("o1", at=T0 + 2 * H)])
    clock.set(T0 + 3 * H)
    anxin.merchants.settlement.settle_pending()
    st = anxin.merchants.statements.order_statement(M1, "o1")
    assert st["net_fee_fen"] == 0 and st["net_receivable_fen"] == 0
    assert anxin.merchants.money.deposit(M1, "s1")["goods_fen"] == 0


def test_new_shops_pay_only_the_channel_floor_in_their_first_days(anxin):
    _catalogue(anxin)
    _sell(anxin, order_id="o1", opened_at=T0 - 2 * D, items=[item("la", 1, 10_000)], channel="live")
    anxin.merchants.settlement.settle_pending()
    st = anxin.merchants.statements.order_statement(M1, "o1")
    assert st["fee_fen"] == 10_000 * anxin.merchants.rulebook.fees.channel_fee_bp // 10_000
    assert st["waived"]


def test_a_trial_shop_fills_its_deposit_from_sales_and_payouts_keep_the_trial_limits(anxin, clock):
    _catalogue(anxin)
    view = _apply(anxin, store_type="individual", trial=True)
    assert view["trial"] is True
    ingest_ok(anxin, [listing("l1", "n1", "apparel", price_fen=100_000)])
    ingest_ok(anxin, [order_paid(f"o{i}", shop_id="n1", items=[item("l1", 1, 100_000)]) for i in range(3)])
    report = anxin.merchants.settlement.settle_pending()
    assert report.trial_top_ups == 3
    deposit = anxin.merchants.money.deposit(M1, "n1")
    assert 0 < deposit["held_fen"] <= deposit["required"]["fen"]
    assert (deposit["listing_cap"], deposit["listings"], deposit["over_listing_cap"]) == (100, 1, False)
    with pytest.raises(AnxinError) as exc:  # more than half the goods payment
        anxin.merchants.money.payout_goods(M1, "n1", amount_fen=deposit["goods_fen"], key="p1")
    assert _code(exc) == "merchants.withdrawal_over_limit"
    half = deposit["goods_fen"] // 2
    anxin.merchants.money.payout_goods(M1, "n1", amount_fen=half, key="p1")
    with pytest.raises(AnxinError) as exc:  # once a month
        anxin.merchants.money.payout_goods(M1, "n1", amount_fen=10_000, key="p2")
    assert _code(exc) == "merchants.withdrawal_over_limit"


def test_campaign_waivers_are_checked_for_windows_and_overlaps(anxin):
    spec = {"id": "camp.double11", "name": {"zh-CN": "双11免佣", "en": "Double 11 waiver"},
            "from": "2026-11-10T00:00:00+08:00", "until": "2026-11-12T00:00:00+08:00", "kind": "waive",
            "scope": {}}
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.campaigns.add_campaign(OPS, spec | {"until": "2026-11-09T00:00:00+08:00"})
    assert _code(exc) in ("fees.invalid_window", "fees.invalid_waiver")
    anxin.merchants.campaigns.add_campaign(OPS, spec)
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.campaigns.add_campaign(OPS, spec | {"id": "camp.other"})
    assert _code(exc) == "fees.waiver_overlap"
    with pytest.raises(AnxinError) as exc:
        anxin.merchants.campaigns.add_campaign(M1, spec | {"id": "camp.m"})
    assert _code(exc) == "merchants.forbidden_role"


# --- programmes and offers ------------------------------------------------------------------------------------

def test_novice_tasks_progress_from_what_the_shop_did(anxin, clock):
    _catalogue(anxin)
    _apply(anxin)
    ingest_ok(anxin, [listing(f"l{i}", "n1", "apparel") for i in range(10)])
    ingest_ok(anxin, [order_paid("o1", shop_id="n1", items=[item("l1")]), shipped("o1", shipped_at=T0 + H),
                      delivered("o1", signed_at=T0 + D), review("o1", rating=5, posted_at=T0 + 2 * D),
                      chat_session("cs1", "n1")])
    clock.set(T0 + 3 * D)
    view = anxin.merchants.programmes.novice(M1, "n1")
    done = {t["id"] for t in view["tasks"] if t["done"]}
    assert len(done) >= 3 and view["xp"] > 0
    # completed tasks stay completed
    again = anxin.merchants.programmes.novice(M1, "n1")
    assert {t["id"] for t in again["tasks"] if t["done"]} >= done


def test_offers_are_decided_with_reasons_and_recorded_once_a_day(anxin, engine):
    _catalogue(anxin)
    _apply(anxin)
    first = anxin.merchants.financing.offers(M1, "n1")
    kinds = {o["kind"]: o for o in first["offers"]}
    assert set(kinds) == {"loan", "early_payout", "instalment"}
    assert not kinds["loan"]["eligible"] and kinds["loan"]["reasons"]  # a new shop: too young, no sales
    anxin.merchants.financing.offers(M1, "n1")
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM merchant_offers")) == 3


def test_an_order_that_arrives_late_is_still_settled(anxin, clock):
    _catalogue(anxin)
    _sell(anxin, order_id="o2", items=[item("la", 1, 10_000)], paid_at=T0)
    assert anxin.merchants.settlement.settle_pending().sales == 1
    # paid an hour before the one already settled, reported only now
    ingest_ok(anxin, [order_paid("o1", items=[item("la", 1, 10_000)], paid_at=T0 - H)])
    assert anxin.merchants.settlement.settle_pending().sales == 1
    assert anxin.merchants.statements.order_statement(M1, "o1")["fee_fen"] > 0


def test_a_platform_shop_selling_what_its_store_type_may_not_is_told_not_refused(anxin):
    _catalogue(anxin)
    ingest_ok(anxin, [shop("p1", "m1", store_type="personal"), listing("l1", "p1", "apparel"),
                      listing("l2", "p1", "liquor")])
    view = anxin.merchants.money.deposit(M1, "p1")
    assert view["categories_not_allowed"] == ["liquor"]
    assert view["required"]["fen"] > 0  # worked out on what it may sell


def test_score_deductions_count_as_open_violations_and_a_reset_transfer_clears_them(anxin):
    _catalogue(anxin)
    _apply(anxin)
    anxin.scoring.add_deduction(OPS, shop_id="n1", kind="fake_orders", points=200, reason="brushing")
    view = anxin.merchants.programmes.novice(M1, "n1")
    violations = [r for r in view["creator_matching"]["reasons"] if r["code"] == "creator.serious_violations"]
    assert violations and violations[0]["params"]["count"] == 1
    # a rulebook whose transfers reset violation points: the transfer revokes the deductions in force
    rules = anxin.merchants.rulebook
    carry = rules.onboarding.lifecycle.carryover
    resetting = replace(rules, onboarding=replace(rules.onboarding, lifecycle=replace(
        rules.onboarding.lifecycle, carryover={**carry, "transfer": replace(carry["transfer"],
                                                                            violation_points="reset")})))
    anxin.merchants = merchants_for(uow_factory=anxin.uow_factory, clock=anxin.clock, rulebook=resetting)
    view = anxin.merchants.lifecycle.transfer(OPS, "n1", {"kind": "transfer", "to_merchant_id": "m2",
                                                          "licence_no": "L-2"})
    assert view["history"][-1]["detail"]["violation_points_cleared"] == 1
    with anxin.uow_factory() as uow:
        assert anxin.scoring.active_deductions(uow, "n1") == 0
