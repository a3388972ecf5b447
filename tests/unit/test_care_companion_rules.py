"""The companion rulebook as a strict model: the packaged one loads; every problem of a bad one is reported with
its path; the kind is registered for `anxin rules check` and has its JSON schema."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from anxin.care.companion_rules import (
    DEFAULT_COMPANION_RULEBOOK,
    CompanionRulebookError,
    load_companion_rules,
    parse_companion_rules,
)
from anxin.cli.rulebooks import check, kinds

RAW: dict[str, Any] = yaml.safe_load(DEFAULT_COMPANION_RULEBOOK.read_text(encoding="utf-8"))


def test_the_packaged_rulebook_loads():
    rb = load_companion_rules()
    assert (rb.kind, rb.version, rb.window.days, rb.holdout.share_bp) == (
        "care_companion", "care-companion-2026.12", 30, 1000)
    assert rb.troubles.repeated_contacts.min_contacts == 3 and rb.troubles.bad_review.max_rating == 2
    assert rb.coupon_fen("case_rejected") == rb.coupon.default_fen  # not a coupon remedy: the default
    assert rb.coupon_fen("bad_review") == 500


def problems(edit) -> list[str]:
    raw = copy.deepcopy(RAW)
    edit(raw)
    with pytest.raises(CompanionRulebookError) as exc:
        parse_companion_rules(raw)
    return exc.value.problems


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda r: r["window"].update(days=0), "window.days: must be an integer 1–365, got 0"),
    (lambda r: r["holdout"].update(share_bp=6000), "holdout.share_bp: must be an integer 0–5000, got 6000"),
    (lambda r: r["coupon"].update(cap_fen=10.5), "coupon.cap_fen: must be an integer, got 10.5"),
    (lambda r: r["troubles"]["late_shipment"]["remedy"].update(kind="cash"), "troubles.late_shipment.remedy.kind"),
    (lambda r: r["troubles"]["parcel_lost"]["remedy"].update(amount_fen=100),
     "troubles.parcel_lost.remedy.amount_fen: only a coupon has an amount, not expedited_reshipment"),
    (lambda r: r["troubles"]["bad_review"].update(max_rating=3), "troubles.bad_review.max_rating"),
    (lambda r: r["troubles"]["bad_review"]["remedy"].update(amount_fen=5000),
     "troubles.bad_review.remedy.amount_fen: 5000 fen is more than the coupon cap (2000 fen)"),
    (lambda r: r["troubles"]["repeated_contacts"].pop("min_contacts"), "troubles.repeated_contacts.min_contacts: "
                                                                        "required"),
    (lambda r: r["troubles"].pop("case_rejected"), "troubles.case_rejected: required"),
    (lambda r: r["troubles"]["late_shipment"].update(id="companion.window"),
     "<root>: rule ids must be distinct, repeated: companion.window"),
    (lambda r: r.update(extra=1), "extra: unknown key"),
])
def test_a_bad_rulebook_is_refused_with_the_path(edit, expected):
    assert any(p.startswith(expected) for p in problems(edit)), problems(edit)


def test_every_problem_is_reported_at_once():
    def edit(r):
        r["window"]["days"] = 0
        r["troubles"]["bad_review"]["priority"] = 9
    assert len(problems(edit)) == 2


def test_the_kind_is_registered_and_checked():
    assert "care_companion" in kinds()
    report = check(DEFAULT_COMPANION_RULEBOOK)
    assert report.kind == "care_companion" and not report.problems
    assert "30-day window, 7 troubles, hold-out 10 %" in str(report.summary)
