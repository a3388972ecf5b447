"""Actions anxin tells the platform to take: kinds and their parameters, the target, the state machine of an
action (issued → sent → done | failed), and the table of what anxin does when something happens. Pure.

The kind strings, parameter names and states are part of the public contract (docs/actions.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from anxin.actions.error_codes import ActionErrorCode as E
from anxin.core.errors import AnxinError

# --- kinds and their parameters --------------------------------------------------------------------------------

LISTING_TAKEDOWN: Final = "listing.takedown"
LISTING_RESTORE: Final = "listing.restore"
SHOP_RESTRICT: Final = "shop.restrict"
SHOP_LIFT: Final = "shop.lift"
SHOP_CLOSE: Final = "shop.close"
SHOP_REOPEN: Final = "shop.reopen"  # a closure is undone (the violation behind it was reversed on appeal)
FUNDS_HOLD: Final = "funds.hold"
FUNDS_RELEASE: Final = "funds.release"
CREATOR_RESTRICT: Final = "creator.restrict"
CREATOR_LIFT: Final = "creator.lift"  # a creator restriction ends early (an appeal succeeded, a measure expired)
LIVE_ROOM_PENALISE: Final = "live_room.penalise"
LIVE_ROOM_LIFT: Final = "live_room.lift"  # a live room's penalty ends early: whatever penalty is running

SHOP_RESTRICTIONS: Final = ("new_listings", "traffic", "withdrawals", "campaigns")
CREATOR_RESTRICTIONS: Final = ("live", "short_video", "product_links")
LIVE_ROOM_PENALTIES: Final = ("warning", "traffic_limit", "suspend")
MAX_MINUTES: Final = 30 * 24 * 60
MAX_FEN: Final = 10**15


def _no_parameters(p: Mapping[str, Any]) -> dict[str, Any]:
    _only(p, ())
    return {}


def _restrictions(allowed: tuple[str, ...]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    def check(p: Mapping[str, Any]) -> dict[str, Any]:
        _only(p, ("restrict",))
        names = p.get("restrict")
        if not isinstance(names, list | tuple) or not names:
            raise _bad("restrict", f"restrict must be a non-empty list of {list(allowed)}")
        if any(not isinstance(n, str) or n not in allowed for n in names) or len(set(names)) != len(names):
            raise _bad("restrict", f"restrict must name each of {list(allowed)} at most once", given=list(names))
        return {"restrict": [n for n in allowed if n in names]}  # canonical order: same set, same payload
    return check


def _funds(p: Mapping[str, Any]) -> dict[str, Any]:
    _only(p, ("amount_fen", "all"))
    amount, everything = p.get("amount_fen"), p.get("all")
    if everything is not None:
        if everything is not True or amount is not None:
            raise _bad("all", "give either amount_fen (integer fen > 0) or all: true, not both")
        return {"all": True}
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_FEN:
        raise _bad("amount_fen", "amount_fen must be an integer number of fen above 0 (or give all: true)")
    return {"amount_fen": amount}


def _live_room(p: Mapping[str, Any]) -> dict[str, Any]:
    _only(p, ("penalty", "minutes"))
    penalty, minutes = p.get("penalty"), p.get("minutes")
    if penalty not in LIVE_ROOM_PENALTIES:
        raise _bad("penalty", f"penalty must be one of {list(LIVE_ROOM_PENALTIES)}")
    if penalty == "warning":
        if minutes is not None:
            raise _bad("minutes", "a warning has no duration")
        return {"penalty": penalty}
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        raise _bad("minutes", f"{penalty} needs minutes: an integer from 1 to {MAX_MINUTES}")
    return {"penalty": penalty, "minutes": minutes}


@dataclass(frozen=True)
class KindSpec:
    target_type: str
    check: Callable[[Mapping[str, Any]], dict[str, Any]]


KINDS: Final[Mapping[str, KindSpec]] = {
    LISTING_TAKEDOWN: KindSpec("listing", _no_parameters),
    LISTING_RESTORE: KindSpec("listing", _no_parameters),
    SHOP_RESTRICT: KindSpec("shop", _restrictions(SHOP_RESTRICTIONS)),
    SHOP_LIFT: KindSpec("shop", _restrictions(SHOP_RESTRICTIONS)),
    SHOP_CLOSE: KindSpec("shop", _no_parameters),
    SHOP_REOPEN: KindSpec("shop", _no_parameters),
    FUNDS_HOLD: KindSpec("shop", _funds),
    FUNDS_RELEASE: KindSpec("shop", _funds),
    CREATOR_RESTRICT: KindSpec("creator", _restrictions(CREATOR_RESTRICTIONS)),
    CREATOR_LIFT: KindSpec("creator", _restrictions(CREATOR_RESTRICTIONS)),
    LIVE_ROOM_PENALISE: KindSpec("live_room", _live_room),
    LIVE_ROOM_LIFT: KindSpec("live_room", _no_parameters),
}
TARGET_TYPES: Final = ("listing", "shop", "creator", "live_room")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$")
_CAUSE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-+]{0,89}$")  # keeps the idempotency key within 200


def _only(p: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(p) - set(allowed))
    if unknown:
        raise _bad(unknown[0], f"unknown parameters {unknown}; this kind takes {list(allowed)}")


def _bad(name: str, message: str, **details: Any) -> AnxinError:
    return AnxinError(E.INVALID_PARAMETERS, message, parameter=name, **details)


def check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in KINDS:
        raise AnxinError(E.UNKNOWN_KIND, f"unknown action kind {kind!r}", allowed=sorted(KINDS))
    return kind


def check_target(kind: str, target: object) -> str:
    """``<type>:<id>`` with the type the kind acts on (``shop:s1`` for shop.restrict)."""
    want = KINDS[kind].target_type
    if not isinstance(target, str) or ":" not in target:
        raise AnxinError(E.INVALID_TARGET, f"target must be '{want}:<id>'", target=repr(target)[:80])
    typ, _, ident = target.partition(":")
    if typ != want or not _ID.match(ident):
        raise AnxinError(E.INVALID_TARGET, f"{kind} acts on '{want}:<id>' (id: letters, digits, _.:-, up to 64)",
                         target=target[:80])
    return target


def check_parameters(kind: str, parameters: object) -> dict[str, Any]:
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise _bad("parameters", "parameters must be an object")
    return KINDS[kind].check(parameters)


def check_cause(cause_type: object, cause_id: object) -> tuple[str, str]:
    return _cause_part("cause_type", cause_type), _cause_part("cause_id", cause_id)


def _cause_part(name: str, value: object) -> str:
    if not isinstance(value, str) or not _CAUSE.match(value):
        raise AnxinError(E.INVALID_CAUSE, f"{name} must be 1-90 letters, digits or _.:-+", field=name)
    return value


def idempotency_key(kind: str, target: str, cause_id: str) -> str:
    """One action per (kind, target, cause): issuing it again for the same cause is the same action."""
    return f"action:{kind}:{target}:{cause_id}"


# --- an action and its states ----------------------------------------------------------------------------------

ISSUED: Final = "issued"  # written with its outbox message, not yet delivered
SENT: Final = "sent"  # the outbox delivered it; waiting for the platform's ack
DONE: Final = "done"  # the platform acknowledged it as carried out
FAILED: Final = "failed"  # the platform acknowledged it could not carry it out (reason given)
STATES: Final = (ISSUED, SENT, DONE, FAILED)
UNCONFIRMED: Final = "unconfirmed"  # sent, not acked within the ack timeout: shown, never stored
VIEW_STATES: Final = (*STATES, UNCONFIRMED)
ACK_STATUSES: Final = (DONE, FAILED)
MAX_REASON: Final = 500
# How soon an action needs someone, by its view state (0 first): the operators' list sorts by it, then newest.
URGENCY: Final[Mapping[str, int]] = {FAILED: 0, UNCONFIRMED: 0, ISSUED: 1, SENT: 1, DONE: 2}


@dataclass(frozen=True)
class Action:
    action_id: str
    kind: str
    target: str
    parameters: Mapping[str, Any]
    reason_codes: tuple[str, ...]  # risk/fulfilment codes: operators and the platform only
    rule_id: str | None  # the reaction rule that issued it (None: issued by hand)
    cause_type: str  # what caused it: risk.verdict, risk.ban, risk.review, operator …
    cause_id: str
    note: str  # a plain reason a merchant may be shown
    issued_by: str
    issued_at: dt.datetime
    idempotency_key: str
    message_id: str
    state: str
    sent_at: dt.datetime | None = None
    acked_at: dt.datetime | None = None
    failure_reason: str | None = None

    def view_state(self, now: dt.datetime, ack_timeout: dt.timedelta) -> str:
        if self.state == SENT and self.sent_at is not None and self.sent_at + ack_timeout <= now:
            return UNCONFIRMED
        return self.state

    def payload(self) -> dict[str, Any]:
        """What the platform receives in the outbox message."""
        typ, _, ident = self.target.partition(":")
        return {"action_id": self.action_id, "kind": self.kind, "target": {"type": typ, "id": ident},
                "parameters": dict(self.parameters), "reason_codes": list(self.reason_codes),
                "rule_id": self.rule_id, "cause": {"type": self.cause_type, "id": self.cause_id},
                "note": self.note, "issued_at": self.issued_at.isoformat(),
                "ack": f"/v1/actions/{self.action_id}/ack"}


@dataclass(frozen=True)
class Ack:
    status: str
    reason: str | None = None


def parse_ack(body: object) -> Ack:
    if not isinstance(body, Mapping):
        raise AnxinError(E.INVALID_ACK, "the ack must be an object: {\"status\": \"done\" | \"failed\", ...}")
    unknown = sorted(set(body) - {"status", "reason"})
    status, reason = body.get("status"), body.get("reason")
    if unknown:
        raise AnxinError(E.INVALID_ACK, f"unknown fields {unknown}", field=unknown[0])
    if status not in ACK_STATUSES:
        raise AnxinError(E.INVALID_ACK, "status must be 'done' or 'failed'", field="status")
    if status == DONE:
        if reason is not None:
            raise AnxinError(E.INVALID_ACK, "a done ack carries no reason", field="reason")
        return Ack(DONE)
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise AnxinError(E.INVALID_ACK, f"a failed ack needs a reason of 1-{MAX_REASON} characters", field="reason")
    return Ack(FAILED, reason.strip())


def acknowledge(action: Action, ack: Ack, at: dt.datetime) -> tuple[Action, bool]:
    """Apply the platform's ack. The same ack again changes nothing (False); a different one after the first is a
    conflict. An ack may come before the outbox has recorded the delivery (the platform acts, then answers)."""
    if action.state in ACK_STATUSES:
        if action.state == ack.status and action.failure_reason == ack.reason:
            return action, False
        raise AnxinError(E.ACK_CONFLICT, f"action {action.action_id} was already acked as {action.state}",
                         action_id=action.action_id, state=action.state, reason=action.failure_reason)
    return replace(action, state=ack.status, acked_at=at, failure_reason=ack.reason), True


def mark_sent(action: Action, at: dt.datetime) -> tuple[Action, bool]:
    if action.state != ISSUED:
        return action, False
    return replace(action, state=SENT, sent_at=at), True


# --- what anxin does when something happens (data: each rule names the action it issues) -----------------------

REACTIONS_VERSION: Final = "actions-2026.12"


@dataclass(frozen=True)
class Reaction:
    rule_id: str
    event: str
    kind: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


REACTIONS: Final = (
    Reaction("A.SHOP_BLOCKED.RESTRICT", "risk.shop_blocked", SHOP_RESTRICT,
             {"restrict": ["new_listings", "withdrawals"]},
             "Restricted while risk control reviews the shop: no new listings, no withdrawals."),
    Reaction("A.SHOP_UNBLOCKED.LIFT", "risk.shop_unblocked", SHOP_LIFT,
             {"restrict": ["new_listings", "withdrawals"]},
             "The risk control block was lifted: listings and withdrawals are open again."),
)


def reactions_to(event_name: str) -> tuple[Reaction, ...]:
    return tuple(r for r in REACTIONS if r.event == event_name)


def _check_reactions() -> None:
    ids = [r.rule_id for r in REACTIONS]
    assert len(ids) == len(set(ids)), "reaction rule ids must be unique"
    for r in REACTIONS:
        check_parameters(check_kind(r.kind), r.parameters)


_check_reactions()
