"""The 30-day companion's rulebook (``rulebooks/care_companion.yaml``, ``kind: care_companion``) as a strict model:
the window after payment in which an order is accompanied, the troubles that open an outreach task (with their
thresholds), the remedy suggested for each and its priority and due time, the coupon's amounts and caps, and the
hold-out share that gets no outreach so the effect can be measured. Validated completely on load: every problem at
once, with its path. Imports only ``core``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StrictBool, model_validator

from anxin.core.rulebook_models import (
    Between,
    Fen,
    Instant,
    NonEmpty,
    Pct,
    RulebookKind,
    RulebookModel,
    RulebookProblems,
    refuse,
)

DEFAULT_COMPANION_RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "care_companion.yaml"

RuleId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_.]*$")]

# The troubles, in the order the rulebook lists them (also the strings stored on every task).
LATE_SHIPMENT, PARCEL_STALLED, PARCEL_LOST, PARCEL_EXCEPTION = (
    "late_shipment", "parcel_stalled", "parcel_lost", "parcel_exception")
CASE_REJECTED, REPEATED_CONTACTS, BAD_REVIEW = "case_rejected", "repeated_contacts", "bad_review"
TROUBLES: tuple[str, ...] = (LATE_SHIPMENT, PARCEL_STALLED, PARCEL_LOST, PARCEL_EXCEPTION, CASE_REJECTED,
                             REPEATED_CONTACTS, BAD_REVIEW)
# The remedies an outreach may suggest or an operator choose (``none``: an apology or an explanation only).
COUPON, EXPEDITED_RESHIPMENT, CASE_ESCALATION, NO_REMEDY = "coupon", "expedited_reshipment", "case_escalation", "none"
REMEDIES: tuple[str, ...] = (COUPON, EXPEDITED_RESHIPMENT, CASE_ESCALATION, NO_REMEDY)
SUGGESTIBLE = Literal["coupon", "expedited_reshipment", "case_escalation"]


class WindowRule(RulebookModel):
    """An order is accompanied from its payment for ``days`` days: a trouble at or after payment and before the
    window's end opens a task; one at the end or later does not."""

    id: RuleId
    days: Annotated[int, Between(1, 365)]


class HoldoutRule(RulebookModel):
    """``share_bp`` of the orders (basis points: 1000 is 10 %) are held out: their troubles are recorded, no one
    reaches out. Which ones is deterministic: sha256(salt, order id) mod 10 000 below the share."""

    id: RuleId
    share_bp: Annotated[int, Between(0, 5000)]
    salt: NonEmpty


class CouponRule(RulebookModel):
    """The coupons the companion gives: ``default_fen`` when an operator chooses a coupon for a trouble whose
    suggestion is another remedy; all coupons of one order together at most ``cap_fen`` and at most
    ``max_paid_pct`` % of what the order paid."""

    id: RuleId
    default_fen: Annotated[int, Between(1, 1_000_000)]
    cap_fen: Annotated[int, Between(1, 1_000_000)]
    max_paid_pct: Pct


class Remedy(RulebookModel):
    kind: SUGGESTIBLE
    amount_fen: Fen | None = Field(None, description="the coupon, in fen (coupon only; the coupon's default if "
                                                     "omitted)")

    @model_validator(mode="after")
    def _amount_only_for_coupons(self) -> Remedy:
        if self.kind != COUPON and self.amount_fen is not None:
            refuse([(".amount_fen", f"only a coupon has an amount, not {self.kind}")], self)
        return self


class TroubleRule(RulebookModel):
    """What one trouble does: whether it opens tasks at all, the remedy suggested, the task's priority (1 first)
    and the hours from the trouble to the task's due time."""

    id: RuleId
    enabled: StrictBool = True
    priority: Annotated[int, Between(1, 5)]
    due_hours: Annotated[int, Between(1, 24 * 30)]
    remedy: Remedy


class RepeatedContactsRule(TroubleRule):
    """At least ``min_contacts`` consultations about one order within ``within_hours`` (the last one included)."""

    min_contacts: Annotated[int, Between(2, 100)]
    within_hours: Annotated[int, Between(1, 24 * 30)]


class BadReviewRule(TroubleRule):
    """A review rated at most ``max_rating`` (of 5). The orders context publishes reviews rated 2 or less."""

    max_rating: Annotated[int, Between(1, 2)]


class Troubles(RulebookModel):
    late_shipment: TroubleRule
    parcel_stalled: TroubleRule
    parcel_lost: TroubleRule
    parcel_exception: TroubleRule
    case_rejected: TroubleRule
    repeated_contacts: RepeatedContactsRule
    bad_review: BadReviewRule

    def of(self, trouble: str) -> TroubleRule:
        if trouble not in TROUBLES:
            raise ValueError(f"trouble must be one of {TROUBLES}, got {trouble!r}")
        rule: TroubleRule = getattr(self, trouble)
        return rule


class EffectRule(RulebookModel):
    """The effect report counts a consultation about the order within ``contact_window_hours`` after the task was
    opened as a contact after the trouble."""

    contact_window_hours: Annotated[int, Between(1, 24 * 60)]


class CompanionRulebookSpec(RulebookModel):
    kind: Literal["care_companion"]
    version: NonEmpty
    effective_from: Instant
    window: WindowRule
    holdout: HoldoutRule
    coupon: CouponRule
    expire_after_hours: Annotated[int, Between(1, 24 * 60)]
    troubles: Troubles
    effect: EffectRule

    @model_validator(mode="after")
    def _cross_checks(self) -> CompanionRulebookSpec:
        found: list[tuple[str, str]] = []
        ids = [self.window.id, self.holdout.id, self.coupon.id, *(self.troubles.of(t).id for t in TROUBLES)]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            found.append(("", f"rule ids must be distinct, repeated: {', '.join(repeated)}"))
        for t in TROUBLES:
            amount = self.troubles.of(t).remedy.amount_fen
            if amount is not None and amount > self.coupon.cap_fen:
                found.append((f".troubles.{t}.remedy.amount_fen",
                              f"{amount} fen is more than the coupon cap ({self.coupon.cap_fen} fen)"))
        if self.coupon.default_fen > self.coupon.cap_fen:
            found.append((".coupon.default_fen", f"{self.coupon.default_fen} fen is more than the cap "
                                                 f"({self.coupon.cap_fen} fen)"))
        refuse(found, self)
        return self

    def coupon_fen(self, trouble: str) -> int:
        """The coupon a task for ``trouble`` offers before the caps: its remedy's amount, else the default."""
        amount = self.troubles.of(trouble).remedy.amount_fen
        return amount if amount is not None else self.coupon.default_fen


class CompanionRulebookError(RulebookProblems):
    title = "invalid care companion rulebook"


COMPANION_KIND = RulebookKind(CompanionRulebookSpec, CompanionRulebookError, DEFAULT_COMPANION_RULEBOOK)
parse_companion_rules = COMPANION_KIND.parse
load_companion_rules = COMPANION_KIND.load  # the packaged file by default
