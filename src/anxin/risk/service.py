"""Risk use cases.

Two kinds of entry point. Functions that take the caller's ``uow`` run inside another context's transaction
(ingestion records links; after-sales asks for a verdict while it files a case: ``RiskService.assess_claim`` and the
other verdicts are ``signals.Assessor``'s), so a verdict and what it decided are written together or not at all.
``RiskService`` methods that take a ``principal`` are risk's own use cases (the review queue, bans, rule activation)
and commit their own unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.risk.error_codes import RiskErrorCode as E
from anxin.risk.events import ReviewDecided, ShopBlocked, ShopUnblocked
from anxin.risk.model import (
    CONSUMER_KINDS,
    MERCHANT_KINDS,
    Outcome,
    Signal,
    Verdict,
    attributes_in,
    clean_attributes,
    decay,
    judge,
)
from anxin.risk.phash import NotAnImage, dhash
from anxin.risk.review_store import VerdictRepository
from anxin.risk.review_store import export_confirmed_abuse_query as export_confirmed_abuse_query  # analytics exports
from anxin.risk.review_store import export_consumer_verdicts_query as export_consumer_verdicts_query  # the report
from anxin.risk.review_store import export_reviews_query as export_reviews_query
from anxin.risk.rulebook import RiskRulebook
from anxin.risk.signals import Assessor
from anxin.risk.signals import ClaimInput as ClaimInput  # what after-sales hands risk to judge
from anxin.risk.signals import ReturnInput as ReturnInput
from anxin.risk.store import BanRow, ReviewRow, SignalRepository, VerdictLog, VerdictRow

CLEAR_REASONS = ("not_abuse", "coincidence", "false_match", "insufficient_evidence")
CONFIRM_REASONS = ("evidence_reuse", "freight_arbitrage", "fraud_ring", "extortion", "refund_without_return",
                   "serial_abuse", "risky_merchant", "scraping")
MAX_NOTE = 2000


@dataclass(frozen=True)
class LinkInput:
    """Attributes seen with a subject (``consumer:c1`` or ``shop:s1``) in one event."""

    subject: str
    attributes: Mapping[str, str]
    at: dt.datetime
    source: str


def consumer_attributes(raw: Mapping[str, object] | None) -> dict[str, str]:
    """Validate a consumer's attributes as sent by the platform (raises ``model.AttributeError_``)."""
    return clean_attributes(raw, CONSUMER_KINDS)


def merchant_credentials(raw: Mapping[str, object] | None) -> dict[str, str]:
    return clean_attributes(raw, MERCHANT_KINDS)


def consumer_attributes_in(data: Mapping[str, Any], name: str) -> dict[str, str]:
    """A consumer's attributes in an event's ``data[name]`` (raises ``core.fields.FieldInvalid``)."""
    return attributes_in(data, name, CONSUMER_KINDS)


def merchant_credentials_in(data: Mapping[str, Any], name: str) -> dict[str, str]:
    """A shop's credentials in an event's ``data[name]`` (raises ``core.fields.FieldInvalid``)."""
    return attributes_in(data, name, MERCHANT_KINDS)


def record_links(uow: UnitOfWork, links: Iterable[LinkInput]) -> None:
    """Add the attribute links of one or many events in the caller's transaction. Idempotent: a link seen
    again only moves its ``last_seen_at``."""
    rows = [{"subject": link.subject, "kind": kind, "value": value, "first_seen_at": link.at,
             "last_seen_at": link.at, "source": link.source[:80]}
            for link in links for kind, value in link.attributes.items()]
    SignalRepository(uow.session).add_links(rows)


def in_ring(facts: Mapping[str, Any] | None) -> bool:
    """Whether a verdict's facts (``export_consumer_verdicts_query``'s ``facts``) placed the account in a fraud ring."""
    return bool((facts or {}).get("ring_member"))


def confirmed_abuse(uow: UnitOfWork) -> list[tuple[str, dt.datetime]]:
    """(consumer_id, decided_at) of every abuse an operator confirmed: consumer credit reads these."""
    return VerdictRepository(uow.session).confirmed_abuse()


# --- what the merchants context reads, in the caller's unit of work ---------------------------------------------

def banned_links(uow: UnitOfWork, credentials: Mapping[str, str], *,
                 exclude_shop: str | None = None) -> list[dict[str, str]]:
    """The banned shops these credentials (licence, legal rep, bank account, phone …) are shared with: what the
    merchants context screens applications and transfers against. Reads only; records no verdict."""
    if not credentials:
        return []
    signal_repo = SignalRepository(uow.session)
    verdict_repo = VerdictRepository(uow.session)
    banned = {b.shop_id for b in verdict_repo.active_bans()}
    if not banned:
        return []
    return [{"shop_id": s.split(":", 1)[1], "kind": k}
            for s, k, _ in signal_repo.sharing(sorted(credentials.items()), max_degree=10_000)
            if s.startswith("shop:") and s != f"shop:{exclude_shop}" and s.split(":", 1)[1] in banned]


def shop_standing(uow: UnitOfWork, shop_id: str) -> tuple[str | None, int]:
    """(latest verdict on the shop: pass | review | block, or block if banned; open reviews of the shop)."""
    repo = VerdictRepository(uow.session)
    outcome, open_reviews = repo.shop_standing(shop_id)
    return ("block" if repo.is_banned(shop_id) else outcome), open_reviews


def require_operator(principal: Principal) -> None:
    if principal.role not in (Role.OPERATOR, Role.PLATFORM):
        raise AnxinError(E.FORBIDDEN_ROLE, "only operators work the risk review queue")


class RiskService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, rulebook: RiskRulebook,
                 mode: str | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rulebook = rulebook
        self.mode = mode or rulebook.mode  # ANXIN_RISK_MODE overrides the rulebook: off | shadow | enforce
        self.assessor = Assessor(uow_factory=uow_factory, rulebook=rulebook, mode=self.mode)
        self.indexes = self.assessor.indexes
        # Verdicts inside other contexts' transactions (a filing, a return, a shop's onboarding) are the assessor's
        # own methods, not forwarded through this class; ``effective_rules`` serves rule administration too.
        self.assess_claim = self.assessor.assess_claim
        self.assess_return = self.assessor.assess_return
        self.assess_shop = self.assessor.assess_shop
        self.effective_rules = self.assessor.effective_rules

    # --- inside other contexts' transactions ----------------------------------------------------------

    def index_evidence(self, uow: UnitOfWork, sha256: str, data: bytes, *, uploaded_by: str,
                       at: dt.datetime) -> int | None:
        """Hash an uploaded image for near-duplicate search. An image the hasher cannot read is stored
        unhashed (after-sales already accepted it as an image) and simply never matches."""
        try:
            h = dhash(data)
        except NotAnImage:
            return None
        SignalRepository(uow.session).add_hash(sha256, h, uploaded_by, at)
        return h

    # --- the review queue (operators) ---------------------------------------------------------------------

    @staticmethod
    def _operator(principal: Principal) -> None:
        require_operator(principal)

    def queue(self, principal: Principal, *, state: str = "open", limit: int = 100,
              after: tuple[int, dt.datetime, str] | None = None) -> list[dict[str, Any]]:
        """Up to ``limit`` reviews (a page and one more, to tell a next page exists): blocks before reviews, then
        by due time; ``after``: the (priority, due, id) of the previous page's last review."""
        self._operator(principal)
        states = ("cleared", "confirmed", "withdrawn") if state == "decided" else (state,)
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = VerdictRepository(uow.session)
            rows = repo.reviews(states=states, limit=max(1, min(limit, 501)), after=after)
            verdicts = {r.verdict_id: repo.verdict(r.verdict_id) for r in rows}
            return [_review_item(r, verdicts[r.verdict_id], now) for r in rows]

    def review_counts(self, principal: Principal) -> dict[str, int]:
        """Reviews by state, and the open ones past due."""
        self._operator(principal)
        with self.uow_factory() as uow:
            return VerdictRepository(uow.session).review_counts(self.clock.now())

    def review(self, principal: Principal, review_id: str) -> dict[str, Any]:
        """Everything an operator needs to decide: the verdict with its reasons and signals, the near-duplicate
        evidence, the linked accounts, the account's history and the audit trail."""
        self._operator(principal)
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = VerdictRepository(uow.session)
            row = repo.review(review_id) if isinstance(review_id, str) else None
            if row is None:
                raise AnxinError(E.REVIEW_NOT_FOUND, f"review {review_id!r} not found")
            verdict = repo.verdict(row.verdict_id)
            subject = f"consumer:{row.consumer_id}" if row.consumer_id else verdict.subject if verdict \
                else f"shop:{row.shop_id}"
            detail = _review_item(row, verdict, now)
            detail["verdict"] = _verdict_dict(verdict) if verdict else None
            detail["links"] = self._link_graph(SignalRepository(uow.session), subject)
            detail["history"] = [_verdict_dict(v) for v in repo.verdicts_for(consumer_id=row.consumer_id, limit=20)
                                 if v.verdict_id != row.verdict_id] if row.consumer_id else []
            detail["audit"] = [{"at": a.at.isoformat(), "actor": a.actor, "action": a.action, "detail": a.detail}
                               for a in repo.audit_for(f"review:{review_id}")]
            return detail

    def _link_graph(self, repo: SignalRepository, subject: str) -> dict[str, Any]:
        """The subject's attributes and the accounts sharing them (hub values marked, not expanded)."""
        mine = repo.links_of(subject)
        shared = repo.sharing(mine, max_degree=self.rulebook.rings.max_value_degree)
        linked = {(k, v) for _, k, v in shared}  # values below the hub threshold (even if nobody else has them)
        shared = [(s, k, v) for s, k, v in shared if s != subject]
        nodes = {subject: {"id": subject, "kind": "subject"}}
        edges = []
        for s, k, v in shared:
            nodes.setdefault(s, {"id": s, "kind": "account"})
            edges.append({"account": s, "kind": k, "value": v})
        ring = self.indexes.ring_for(subject)
        return {"subject": subject, "attributes": [{"kind": k, "value": v, "hub": (k, v) not in linked}
                                                   for k, v in mine],
                "nodes": list(nodes.values())[:200], "edges": edges[:400],
                "ring": {"size": ring.size, "density": round(ring.density, 3), "score": round(ring.score, 3),
                         "is_ring": ring.is_ring, "members": sorted(ring.members)[:60]} if ring else None}

    def decide(self, principal: Principal, review_id: str, *, decision: str, reason: str,
               note: str = "") -> dict[str, Any]:
        """Clear (not abuse: the request goes on as if risk had passed it) or confirm (abuse: the request is
        refused, and the account's credit and ring verdicts take it into account). Audited."""
        self._operator(principal)
        if decision not in ("clear", "confirm"):
            raise AnxinError(E.INVALID_DECISION, "decision must be 'clear' or 'confirm'", field="decision")
        allowed = CLEAR_REASONS if decision == "clear" else CONFIRM_REASONS
        if reason not in allowed:
            raise AnxinError(E.INVALID_REASON, f"reason must be one of {list(allowed)}", field="reason")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise AnxinError(E.INVALID_FIELD, f"note must be text of at most {MAX_NOTE} characters", field="note")
        if decision == "confirm" and not note.strip():
            raise AnxinError(E.NOTE_REQUIRED, "confirming abuse needs a note the consumer can be shown")
        now = self.clock.now()
        with self.uow_factory() as uow:
            repo = VerdictRepository(uow.session)
            row = repo.review(review_id, lock=True) if isinstance(review_id, str) else None
            if row is None:
                raise AnxinError(E.REVIEW_NOT_FOUND, f"review {review_id!r} not found")
            if row.state != "open":
                raise AnxinError(E.REVIEW_DECIDED, f"review {review_id} was already {row.state}")
            row.state = "cleared" if decision == "clear" else "confirmed"
            row.decided_at, row.decided_by = now, f"{principal.role.value}:{principal.subject}"
            row.decision_reason, row.note = reason, note.strip()
            uow.record(*_shop_review_events(row, repo.verdict(row.verdict_id), decision, reason, now))
            if row.case_id is not None:  # after-sales settles its case (aftersales.settle_risk_review)
                uow.record(ReviewDecided(review_id=row.review_id, case_id=row.case_id, stage=row.stage,
                                         cleared=decision == "clear", reason=reason, note=note.strip() or reason,
                                         operator=principal.subject, decided_at=now))
            VerdictLog(uow.session).audit(now, row.decided_by, f"review.{row.state}", f"review:{review_id}",
                       {"reason": reason, "note": note.strip(), "case_id": row.case_id})
            uow.commit()
            return _review_item(row, repo.verdict(row.verdict_id), now)

    def withdraw_for_case(self, uow: UnitOfWork, case_id: str, at: dt.datetime, *, stage: str = "claim") -> int:
        """The request left review another way (the consumer cancelled it, an operator decided it in the
        after-sales console): its open reviews of ``stage`` leave the queue, in the caller's transaction."""
        repo, log = VerdictRepository(uow.session), VerdictLog(uow.session)
        rows = [r for r in repo.open_reviews_for_case(case_id) if r.stage == stage]
        for row in rows:
            row.state, row.decided_at, row.decided_by, row.decision_reason = "withdrawn", at, "system:aftersales", None
            log.audit(at, "system:aftersales", "review.withdrawn", f"review:{row.review_id}", {"case_id": case_id})
        return len(rows)

    # --- merchant credentials and scraping (防爬取) ----------------------------------------------------------

    def shop_credentials(self, principal: Principal, shop_id: str) -> dict[str, Any]:
        """A shop's credentials as the platform sent them, its ban and onboarding verdicts. Every read counts
        towards the reader's access rate: a principal reading many shops' credentials fast is blocked (429) and
        put in the review queue once, with the figures."""
        self._operator(principal)
        now = self.clock.now()
        reader = f"{principal.role.value}:{principal.subject}"
        with self.uow_factory() as uow:
            signal_repo = SignalRepository(uow.session)
            verdict_repo = VerdictRepository(uow.session)
            verdict = self._access(uow, signal_repo, verdict_repo, reader, shop_id, now)
            if verdict.outcome is not Outcome.PASS:
                uow.commit()  # the counters and the verdict stand even though the read is refused
                raise AnxinError(E.ACCESS_BLOCKED, "too many merchants' credentials read in a short time; "
                                 "an operator will review this key", reasons=verdict.reason_codes)
            credentials = signal_repo.links_of(f"shop:{shop_id}")
            if not credentials:
                uow.commit()
                raise AnxinError(E.SHOP_NOT_FOUND, f"no credentials are known for shop {shop_id!r}")
            verdicts = [_verdict_dict(v) for v in verdict_repo.verdicts_for(shop_id=shop_id, limit=20)
                        if v.stage == "onboarding"]
            uow.commit()
            return {"shop_id": shop_id, "banned": verdict_repo.is_banned(shop_id),
                    "credentials": [{"kind": k, "value": v} for k, v in credentials], "onboarding": verdicts}

    def _access(self, uow: UnitOfWork, repo: SignalRepository, verdicts: VerdictRepository, reader: str,
                shop_id: str, now: dt.datetime) -> Verdict:
        hour = dt.timedelta(hours=1)
        reads = repo.bump_counter(f"reads:{reader}", now, lambda value, at: 1 + decay(
            value, (now - at).total_seconds() / 3600, 1))
        repo.bump_counter(f"shopread:{reader}:{shop_id}", now, lambda value, at: 1)
        shops = repo.count_counters(f"shopread:{reader}:", now - hour)
        facts = {"reads_per_hour": round(reads), "shops_read_per_hour": shops}
        rb, overrides = self.effective_rules(uow)
        verdict = judge("access", facts, (Signal("access_rate", shops, {"reader": reader, "reads": round(reads, 1),
                                                                        "window_hours": 1}),),
                        rb, overrides=overrides, mode=self.mode)
        if verdict.outcome is not Outcome.PASS and not verdicts.open_review_for(f"principal:{reader}"):
            self.assessor.record(uow, verdict, subject=f"principal:{reader}", case_id=None, consumer_id=None,
                                 shop_id=None, amount_fen=0, at=now)
        return verdict

    # --- bans (risky merchants) ----------------------------------------------------------------------------

    def ban_shop(self, principal: Principal, shop_id: str, *, reason: str) -> dict[str, Any]:
        """Record a banned shop: new shops sharing its credentials are flagged at onboarding."""
        self._operator(principal)
        if not isinstance(shop_id, str) or not shop_id.strip() or len(shop_id) > 64:
            raise AnxinError(E.INVALID_FIELD, "shop_id is required", field="shop_id")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_NOTE:
            raise AnxinError(E.NOTE_REQUIRED, "a ban needs a reason")
        now = self.clock.now()
        with self.uow_factory() as uow:
            signal_repo = SignalRepository(uow.session)
            verdict_repo = VerdictRepository(uow.session)
            if verdict_repo.is_banned(shop_id):
                raise AnxinError(E.ALREADY_BANNED, f"shop {shop_id} is already banned")
            credentials = signal_repo.links_of(f"shop:{shop_id}")
            if not credentials:
                raise AnxinError(E.SHOP_NOT_FOUND, f"no credentials are known for shop {shop_id!r}")
            actor = f"{principal.role.value}:{principal.subject}"
            verdict_repo.ban(BanRow(shop_id=shop_id, reason=reason.strip(), banned_at=now, banned_by=actor,
                                    lifted_at=None))
            uow.record(ShopBlocked(shop_id=shop_id, cause="risk.ban", cause_id=f"ban:{shop_id}:{now:%Y%m%dT%H%M%S}",
                                   reason_codes=("risk.shop_banned",), blocked_by=actor, blocked_at=now))
            VerdictLog(uow.session).audit(now, actor, "shop.banned", f"shop:{shop_id}",
                               {"reason": reason.strip(), "credentials": [k for k, _ in credentials]})
            uow.commit()
            return {"shop_id": shop_id, "banned_at": now.isoformat(), "credentials": [k for k, _ in credentials]}


def _shop_review_events(row: ReviewRow, verdict: VerdictRow | None, decision: str, reason: str,
                        now: dt.datetime) -> list[ShopBlocked | ShopUnblocked]:
    """A shop's own review (onboarding screening) decided: confirming a "review" verdict blocks the shop, clearing a
    "block" verdict lifts the block. Reviews of requests and of readers change no shop."""
    if row.shop_id is None or row.case_id is not None or row.consumer_id is not None:
        return []
    if decision == "confirm" and row.outcome == "review":
        codes = tuple(h["code"] for h in verdict.reasons) if verdict else ()
        return [ShopBlocked(shop_id=row.shop_id, cause="risk.review", cause_id=row.review_id,
                            reason_codes=(*codes, f"review.{reason}"), blocked_by=row.decided_by or "",
                            blocked_at=now)]
    if decision == "clear" and row.outcome == "block":
        return [ShopUnblocked(shop_id=row.shop_id, cause="risk.review", cause_id=row.review_id, reason=reason,
                              unblocked_by=row.decided_by or "", unblocked_at=now)]
    return []


def _verdict_dict(v: VerdictRow) -> dict[str, Any]:
    return {"verdict_id": v.verdict_id, "stage": v.stage, "subject": v.subject, "case_id": v.case_id,
            "consumer_id": v.consumer_id, "shop_id": v.shop_id, "amount_fen": v.amount_fen, "outcome": v.outcome,
            "would_be": v.would_be, "score": v.score, "mode": v.mode, "rulebook_version": v.rulebook_version,
            "reasons": v.reasons, "shadow": v.shadow, "signals": v.signals, "facts": v.facts,
            "decided_at": v.decided_at.isoformat()}


def _review_item(r: ReviewRow, v: VerdictRow | None, now: dt.datetime) -> dict[str, Any]:
    return {"review_id": r.review_id, "verdict_id": r.verdict_id, "stage": r.stage, "case_id": r.case_id,
            "consumer_id": r.consumer_id, "shop_id": r.shop_id, "outcome": r.outcome, "priority": r.priority,
            "state": r.state, "opened_at": r.opened_at.isoformat(), "due_at": r.due_at.isoformat(),
            "overdue": r.state == "open" and r.due_at < now,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None, "decided_by": r.decided_by,
            "decision_reason": r.decision_reason, "note": r.note,
            "score": v.score if v else None, "amount_fen": v.amount_fen if v else None,
            "codes": [h["code"] for h in v.reasons] if v else []}
