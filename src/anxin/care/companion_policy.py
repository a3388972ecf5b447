"""The 30-day companion's decisions, pure: whether a trouble opens an outreach task (once per order and trouble,
within the window after payment, unless the order is held out), what it suggests, and which moves a task may make.

Every decision is a value that explains itself: the outcome, reason codes, the rule ids and the rulebook version,
and the facts it saw; the store keeps it with the task (held-out ones too, so the effect can be measured).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anxin.care.companion_rules import (
    BAD_REVIEW,
    COUPON,
    REMEDIES,
    REPEATED_CONTACTS,
    TROUBLES,
    BadReviewRule,
    CompanionRulebookSpec,
    RepeatedContactsRule,
)

# Task states. A held-out task is stored in its own state: recorded for the comparison, never worked.
OPEN, CONTACTED, DONE, EXPIRED, HELD_OUT = "open", "contacted", "done", "expired", "held_out"
STATES: tuple[str, ...] = (OPEN, CONTACTED, DONE, EXPIRED, HELD_OUT)
ACTIVE: tuple[str, ...] = (OPEN, CONTACTED)  # what the expiry job may expire
# The moves an operator makes; the expiry job alone moves an active task to expired.
OPERATOR_MOVES: Mapping[str, frozenset[str]] = {OPEN: frozenset({CONTACTED, DONE}), CONTACTED: frozenset({DONE})}

# Decision outcomes.
OPENED, HELD, SKIPPED = "opened", "held_out", "skipped"


@dataclass(frozen=True)
class TroubleSeen:
    """A trouble as its event told it: ``at`` when it happened, ``source`` the event's name and ``source_id`` what
    it is about (a finding, a case, a consultation, a review); ``facts`` what the trouble's threshold needs
    (``rating`` of a review, ``contacts`` about the order within the rulebook's window)."""

    trouble: str
    order_id: str
    at: dt.datetime
    source: str
    source_id: str
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    shop_id: str
    consumer_id: str
    paid_at: dt.datetime
    paid_fen: int
    cancelled: bool = False


@dataclass(frozen=True)
class CompanionDecision:
    outcome: str  # opened | held_out | skipped
    trouble: str
    reason_codes: tuple[str, ...]
    rule_ids: tuple[str, ...]
    rulebook_version: str
    facts: Mapping[str, Any]
    remedy: str | None = None  # the suggested remedy (also for a held-out task: what it would have been)
    coupon_fen: int | None = None  # the suggested coupon before the order's caps
    priority: int | None = None
    due_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    @property
    def stored(self) -> bool:
        """Opened and held-out decisions become a task row; skipped ones leave nothing."""
        return self.outcome in (OPENED, HELD)

    def as_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "trouble": self.trouble, "reason_codes": list(self.reason_codes),
                "rule_ids": list(self.rule_ids), "rulebook_version": self.rulebook_version, "facts": dict(self.facts),
                "remedy": self.remedy, "coupon_fen": self.coupon_fen, "priority": self.priority,
                "due_at": _iso(self.due_at), "expires_at": _iso(self.expires_at)}


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def holdout_bucket(order_id: str, salt: str) -> int:
    """0–9999, the same for an order whoever computes it (sha256 of the salt and the order id)."""
    digest = hashlib.sha256(f"{salt}\x1f{order_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000


def held_out(order_id: str, rb: CompanionRulebookSpec) -> bool:
    return holdout_bucket(order_id, rb.holdout.salt) < rb.holdout.share_bp


def window_end(paid_at: dt.datetime, rb: CompanionRulebookSpec) -> dt.datetime:
    return paid_at + dt.timedelta(days=rb.window.days)


def in_window(paid_at: dt.datetime, at: dt.datetime, rb: CompanionRulebookSpec) -> bool:
    """From the payment (included) to the window's end (excluded)."""
    return paid_at <= at < window_end(paid_at, rb)


def decide(seen: TroubleSeen, order: OrderFacts | None, rb: CompanionRulebookSpec, *,
           existing: bool = False) -> CompanionDecision:
    """Whether ``seen`` opens a task. ``existing``: the order already has a task for this trouble (once per order
    and trouble). Checks, in order: a known trouble, enabled, the order known and not cancelled, the trouble's
    threshold, the window, not already there; then the hold-out."""
    def skip(code: str, *rule_ids: str, **facts: Any) -> CompanionDecision:
        return CompanionDecision(SKIPPED, seen.trouble, (code,), rule_ids, rb.version,
                                 {**base_facts, **facts})

    base_facts: dict[str, Any] = {"source": seen.source, "source_id": seen.source_id, "trouble_at": seen.at.isoformat(),
                                  **seen.facts}
    if seen.trouble not in TROUBLES:
        return skip("companion.unknown_trouble")
    rule = rb.troubles.of(seen.trouble)
    if not rule.enabled:
        return skip("companion.trouble_disabled", rule.id)
    if order is None:
        return skip("companion.order_unknown")
    if order.cancelled:
        return skip("companion.order_cancelled")
    if isinstance(rule, RepeatedContactsRule) and seen.trouble == REPEATED_CONTACTS:
        contacts = int(seen.facts.get("contacts", 0))
        if contacts < rule.min_contacts:
            return skip("companion.below_threshold", rule.id, min_contacts=rule.min_contacts,
                        within_hours=rule.within_hours)
        base_facts.update(min_contacts=rule.min_contacts, within_hours=rule.within_hours)
    if isinstance(rule, BadReviewRule) and seen.trouble == BAD_REVIEW:
        rating = seen.facts.get("rating")
        if not isinstance(rating, int) or rating > rule.max_rating:
            return skip("companion.below_threshold", rule.id, max_rating=rule.max_rating)
        base_facts.update(max_rating=rule.max_rating)
    end = window_end(order.paid_at, rb)
    base_facts.update(paid_at=order.paid_at.isoformat(), window_end=end.isoformat())
    if not in_window(order.paid_at, seen.at, rb):
        return skip("companion.outside_window", rb.window.id, rule.id)
    if existing:
        return skip("companion.already_open", rule.id)
    bucket = holdout_bucket(order.order_id, rb.holdout.salt)
    base_facts.update(holdout_bucket=bucket, holdout_share_bp=rb.holdout.share_bp)
    due_at = seen.at + dt.timedelta(hours=rule.due_hours)
    remedy = rule.remedy.kind
    out = CompanionDecision(
        OPENED, seen.trouble, (f"companion.{seen.trouble}",), (rb.window.id, rule.id), rb.version, base_facts,
        remedy=remedy, coupon_fen=rb.coupon_fen(seen.trouble) if remedy == COUPON else None, priority=rule.priority,
        due_at=due_at, expires_at=due_at + dt.timedelta(hours=rb.expire_after_hours))
    if bucket < rb.holdout.share_bp:
        return CompanionDecision(HELD, out.trouble, ("companion.held_out",), (*out.rule_ids, rb.holdout.id),
                                 rb.version, base_facts, remedy=out.remedy, coupon_fen=out.coupon_fen,
                                 priority=out.priority, due_at=out.due_at, expires_at=None)
    return out


def repeated_contacts(times: Sequence[dt.datetime], rule: RepeatedContactsRule) -> dt.datetime | None:
    """The first moment the order's consultations (``times``, any order) reach ``min_contacts`` within
    ``within_hours``: the time of the consultation that completes the first such run (None: never). Whichever
    consultation is handled last, the answer is the same."""
    ordered = sorted(times)
    span = dt.timedelta(hours=rule.within_hours)
    n = rule.min_contacts
    for i in range(n - 1, len(ordered)):
        if ordered[i] - ordered[i - n + 1] <= span:
            return ordered[i]
    return None


def coupon_amount(wanted_fen: int, *, paid_fen: int, issued_fen: int, rb: CompanionRulebookSpec) -> int:
    """The coupon a task may still give: ``wanted_fen``, within what the order's caps leave after the companion's
    coupons already issued for it (``cap_fen`` and ``max_paid_pct`` of what it paid). 0: nothing is left."""
    ceiling = min(rb.coupon.cap_fen, paid_fen * rb.coupon.max_paid_pct // 100)
    return max(0, min(wanted_fen, ceiling - issued_fen))


class MoveRefused(ValueError):
    """A move the task's state machine or its remedy rules refuse; ``code`` names why (companion error codes)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_move(state: str, to: str | None, *, remedy_chosen: str | None, remedy: str | None) -> str | None:
    """The remedy the task ends up with after an operator's move from ``state`` to ``to`` (None: no move, only the
    remedy chosen) with ``remedy`` chosen, or ``MoveRefused``. Done needs a remedy (``none`` is one); a chosen remedy
    is final (choosing the same again changes nothing)."""
    if to is None:
        if state not in ACTIVE:
            raise MoveRefused("invalid_transition", f"a task that is {state} takes no remedy")
        if remedy is None:
            raise MoveRefused("remedy_required", "choose a remedy")
    elif to not in STATES:
        raise MoveRefused("invalid_transition", f"unknown state {to!r}; one of {list(STATES)}")
    elif to not in OPERATOR_MOVES.get(state, frozenset()):
        raise MoveRefused("invalid_transition", f"a task that is {state} cannot become {to}")
    if remedy is not None and remedy not in REMEDIES:
        raise MoveRefused("invalid_remedy", f"remedy must be one of {list(REMEDIES)}, got {remedy!r}")
    if remedy is not None and remedy_chosen is not None and remedy != remedy_chosen:
        raise MoveRefused("remedy_already_chosen", f"the remedy {remedy_chosen!r} was already chosen")
    chosen = remedy_chosen or remedy
    if to == DONE and chosen is None:
        raise MoveRefused("remedy_required", "a task is done with a remedy (coupon, expedited_reshipment, "
                                             "case_escalation or none)")
    return chosen
