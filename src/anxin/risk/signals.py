"""The online path: what anxin knows about a request at decision time, as rulebook facts, and the verdict on it.

``OnlineIndexes`` keeps two in-process indexes caught up from the database by sequence number (so every
process sees what any process wrote, and a rolled-back write never enters them): the perceptual hashes of
all evidence (near-duplicate search) and the account-link graph (rings). Everything else is read in the
caller's transaction, so a verdict and the case it decides are one consistent snapshot.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from anxin.core.ids import new_id
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.orders import service as orders
from anxin.risk.events import ShopBlocked
from anxin.risk.hash_index import HammingIndex
from anxin.risk.model import Outcome, Signal, Verdict, judge, tariff_fen, threat_terms
from anxin.risk.review_store import VerdictRepository
from anxin.risk.ring_groups import Group, GroupIndex, GroupParams
from anxin.risk.rings import KINDS as RING_KINDS
from anxin.risk.rings import Ring, RingGraph, RingParams
from anxin.risk.rulebook import RiskRulebook, Rule, parse_rule
from anxin.risk.store import ReviewRow, RuleStateRepository, SignalRepository, VerdictLog, VerdictRow

LINK_KINDS = ("device", "phone", "payment")  # what ties two accounts to one person or one operation
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ClaimInput:
    case_id: str
    order_id: str
    consumer_id: str
    shop_id: str
    case_type: str
    reason: str
    amount_fen: int
    evidence: tuple[str, ...]
    description: str
    signed_at: dt.datetime | None
    at: dt.datetime
    returns_refused_90d: int = 0  # after-sales' record: returns merchants refused on inspection


@dataclass(frozen=True)
class ReturnInput:
    case_id: str
    order_id: str
    consumer_id: str
    shop_id: str
    freight_fen: int
    weight_g: int | None  # the return parcel as weighed
    goods_weight_g: int | None  # the outbound parcel, when the platform sent it
    from_address: str | None
    ship_from_region: str | None  # the shop's: where the return goes
    ship_to_region: str | None  # the consumer's: where it leaves from
    at: dt.datetime


@dataclass(frozen=True)
class Assessment:
    verdict: Verdict
    verdict_id: str
    review_id: str | None

    def summary(self) -> dict[str, Any]:
        return {**self.verdict.summary(), "verdict_id": self.verdict_id, "review_id": self.review_id}


def ring_params(rb: RiskRulebook) -> RingParams:
    r = rb.rings
    return RingParams(min_size=r.min_size, max_size=r.max_size, min_density=r.min_density_pct / 100,
                      min_strong_kinds=r.min_strong_kinds, max_value_degree=r.max_value_degree)


def group_params(rb: RiskRulebook) -> GroupParams:
    """The batch ring detector's thresholds: the link graph's size bounds and hub degree, the rest its defaults."""
    r = rb.rings
    return GroupParams(min_size=r.min_size, max_size=r.max_size, hub_degree=r.max_value_degree)


class OnlineIndexes:
    def __init__(self, *, uow_factory: UowFactory, rulebook: RiskRulebook) -> None:
        self.uow_factory = uow_factory
        self.hashes = HammingIndex(radius=rulebook.near_dup_radius)
        self.phash_of: dict[str, int] = {}
        self.uploader_of: dict[str, str] = {}
        self.graph = RingGraph(ring_params(rulebook))
        self.groups = GroupIndex()  # the last ring batch pass's rings (anxin.risk.ring_batch)
        self._hash_seq = 0
        self._link_seq = 0
        self._lock = threading.Lock()
        self._peer_rate: tuple[dt.date, int] | None = None  # (day, claims per 10 000 orders)

    def catch_up(self, uow: UnitOfWork | None = None, progress: Callable[[int], None] | None = None) -> int:
        """Read what was committed since the last call (everything, the first time); the sequence number of the
        newest rule change, so callers can tell whether their copy of the rule statuses is current. Called with
        the caller's unit of work before that transaction writes hashes or links (so nothing uncommitted gets
        in): one connection fewer on the hot path, and a single query when nothing changed."""
        with self._lock:
            if uow is not None:
                return self._catch_up(SignalRepository(uow.session), progress)
            with self.uow_factory() as own:
                return self._catch_up(SignalRepository(own.session), progress)

    def _catch_up(self, repo: SignalRepository, progress: Callable[[int], None] | None) -> int:
        newest_hash, newest_link, rules_seq = repo.watermarks()
        while newest_hash > self._hash_seq and (batch := repo.hashes_after(self._hash_seq)):
            self.hashes.add_many((sha, h) for _, sha, h, _ in batch)
            self.phash_of.update((sha, h) for _, sha, h, _ in batch)
            self.uploader_of.update((sha, who) for _, sha, _, who in batch)
            self._hash_seq = batch[-1][0]
            if progress:
                progress(len(batch))
        while newest_link > self._link_seq and (links := repo.links_after(self._link_seq)):
            for _, subject, kind, value in links:
                if subject.startswith("consumer:") and kind in RING_KINDS:  # shops' credentials: not rings
                    self.graph.add_link(subject, kind, value)
            self._link_seq = links[-1][0]
            if progress:
                progress(len(links))
        return rules_seq

    def near_duplicates(self, sha: str, h: int | None) -> list[tuple[str, int]]:
        if h is None:
            return []
        with self._lock:
            return [(m.item_id, m.distance) for m in self.hashes.query(h)]

    def ring_for(self, subject: str) -> Ring | None:
        with self._lock:
            return self.graph.ring_for(subject)

    def group_for(self, subject: str) -> Group | None:
        return self.groups.group_of(subject)

    def peer_rate_per_10k(self, uow: UnitOfWork, at: dt.datetime) -> int:
        """The platform's claims per 10 000 orders over 90 days, computed once a day per process."""
        day = at.date()
        if self._peer_rate is None or self._peer_rate[0] != day:
            since = at - 90 * DAY
            n_orders = orders.count_paid(uow, since=since, until=at)
            n_claims = SignalRepository(uow.session).count_claims(since, at)
            self._peer_rate = (day, n_claims * 10_000 // n_orders if n_orders else 0)
        return self._peer_rate[1]


def _accounts(subjects: Any) -> list[str]:
    """Ring members as the pages name accounts: ``c-00024``, not the graph's ``consumer:c-00024``."""
    return [a.split(":", 1)[1] if isinstance(a, str) and a.startswith("consumer:") else a for a in subjects]


def _ring_facts(indexes: OnlineIndexes, repo: SignalRepository,
                consumer_id: str) -> tuple[dict[str, Any], list[Signal]]:
    """Is the account in a ring: one the last batch pass found (tied by strong identifiers and claims made
    together, ``ring_groups``; a dict lookup), or else its component in the link graph (hub values link nobody);
    and does its component hold accounts whose abuse an operator confirmed."""
    subject = f"consumer:{consumer_id}"
    ring = indexes.ring_for(subject)
    in_ring = ring is not None and ring.is_ring
    facts: dict[str, Any] = {"ring_member": in_ring, "ring_size": ring.size if ring and in_ring else 0,
                             "ring_score": round(ring.score * 100) if ring and in_ring else 0}
    signals = []
    group = indexes.group_for(subject)
    if group is not None and (not in_ring or ring is None or group.score >= ring.score):
        facts.update(ring_member=True, ring_size=group.size, ring_score=round(group.score * 100))
        signals.append(Signal("ring", True, {
            "members": _accounts(list(group.members)[:60]), "size": group.size, "density": round(group.density, 3),
            "score": round(group.score, 3), "evidence": dict(group.evidence),
            "co_claim_shops": list(group.co_claim_shops)[:20], "found_by": "batch"}))
    elif ring is not None and in_ring:
        signals.append(Signal("ring", True, {
            "members": _accounts(list(ring.members)[:60]), "size": ring.size, "density": round(ring.density, 3),
            "score": round(ring.score, 3), "strong_kinds": list(ring.strong_kinds),
            "links": [{"kind": e.kind, "value": e.value, "accounts": _accounts(e.accounts)}
                      for e in ring.evidence_for(subject)][:20]}))
    # Linked: sharing a device, phone or payment instrument with this account (not merely its component, which
    # chains through flats, offices and campuses).
    linked = sorted({a.split(":", 1)[1] for e in (ring.evidence_for(subject) if ring is not None else ())
                     if e.kind in LINK_KINDS for a in e.accounts if a != subject})
    confirmed = repo.confirmed_count([*linked, consumer_id])
    own = confirmed.pop(consumer_id, 0)
    facts["linked_abusers"] = len(confirmed)
    facts["confirmed_abuse"] = own
    if confirmed:
        via = [{"kind": e.kind, "value": e.value} for e in (ring.evidence_for(subject) if ring is not None else ())
               if e.kind in LINK_KINDS and any(a.split(":", 1)[1] in confirmed for a in e.accounts)]
        signals.append(Signal("linked_abusers", len(confirmed), {"accounts": sorted(confirmed), "via": via[:20]}))
    if own:
        signals.append(Signal("confirmed_abuse", own))
    return facts, signals


def claim_facts(indexes: OnlineIndexes, uow: UnitOfWork, c: ClaimInput,
                rb: RiskRulebook) -> tuple[dict[str, Any], list[Signal]]:
    repo = SignalRepository(uow.session)
    signals: list[Signal] = []
    # Evidence: near-duplicates of each attached image, and who filed them where.
    near: dict[str, list[tuple[str, int]]] = {}
    for sha in c.evidence:
        h = indexes.phash_of.get(sha)
        if h is None:
            h = repo.hash_of(sha)
        near[sha] = [(m, d) for m, d in indexes.near_duplicates(sha, h)]
    matched = {m for matches in near.values() for m, _ in matches}
    uses = [u for u in repo.uses(matched) if u.order_id != c.order_id]  # refiling one order is not reuse
    uploaders = {m: indexes.uploader_of[m] for m in matched if m in indexes.uploader_of}
    me = f"consumer:{c.consumer_id}"
    other_accounts = {u.consumer_id for u in uses if u.consumer_id != c.consumer_id}
    other_accounts |= {who.split(":", 1)[1] for who in uploaders.values() if who != me and who.startswith("consumer:")}
    other_shops = {u.shop_id for u in uses if u.shop_id != c.shop_id}
    dup_images = sum(1 for sha, matches in near.items()
                     if any(m != sha or any(u.sha256 == sha for u in uses) for m, _ in matches))
    # The account's own photos again on its other orders (legacy abusers recycle theirs; an honest buyer may
    # photograph the same product bought twice, so rules count orders, not images).
    own_orders = {u.order_id for u in uses if u.consumer_id == c.consumer_id}
    if dup_images:
        signals.append(Signal("evidence_near_duplicates", dup_images, {
            "matches": {sha: [{"sha256": m, "distance": d} for m, d in matches][:10] for sha, matches in near.items()},
            "cases": [{"case_id": u.case_id, "consumer_id": u.consumer_id, "shop_id": u.shop_id,
                       "sha256": u.sha256, "at": u.at.isoformat()} for u in uses][:20],
            "other_accounts": sorted(other_accounts)[:20], "other_shops": sorted(other_shops)[:20]}))
    # History: claims are counted from the risk context's own record of every claim it judged.
    history = repo.claims_since(c.consumer_id, c.at - 90 * DAY)
    since30 = c.at - 30 * DAY
    claims_90 = len(history) + 1
    claims_30 = sum(1 for h in history if h.decided_at >= since30) + 1
    shops_30 = len({h.shop_id for h in history if h.decided_at >= since30} | {c.shop_id})
    delivered_refund = c.case_type == "refund_only" and c.signed_at is not None
    rwr = sum(1 for h in history if h.refund_without_return) + delivered_refund
    orders_90 = orders.count_paid(uow, since=c.at - 90 * DAY, until=c.at + dt.timedelta(seconds=1),
                                  consumer_id=c.consumer_id)
    rate_pct = claims_90 * 100 // max(orders_90, 1)
    peer = indexes.peer_rate_per_10k(uow, c.at)
    vs_peers = rate_pct * 10_000 // peer if peer else 100
    hours = -1 if c.signed_at is None else max(0, int((c.at - c.signed_at).total_seconds() // 3600))
    # The parcel's timeline: a sign-off after a last mile run somewhere other than the delivery address is a
    # misdelivery (or a fake route), and "not received" is then the likely truth.
    elsewhere = False
    if c.reason == "not_received" and c.signed_at is not None and (tl := orders.timeline(uow, c.order_id)):
        last = max(tl.scans, key=lambda s: s.scanned_at, default=None)
        elsewhere = bool(last is not None and last.region and tl.order.ship_to_region
                         and last.region != tl.order.ship_to_region)
    terms = threat_terms(c.description, rb.threat_terms)
    if terms:
        signals.append(Signal("threat_terms", len(terms), {"terms": terms}))
    # Velocity: a decayed count, updated in this transaction.
    velocity = repo.bump_decaying(f"claims:{c.consumer_id}", c.at, rb.velocity_half_life_hours)
    facts: dict[str, Any] = {
        "amount_fen": c.amount_fen, "case_type": c.case_type, "reason": c.reason, "evidence_count": len(c.evidence),
        "evidence_near_dups": dup_images, "evidence_other_accounts": len(other_accounts),
        "evidence_other_shops": len(other_shops), "claims_30d": claims_30, "claims_90d": claims_90,
        "orders_90d": orders_90, "claim_rate_pct": rate_pct, "claim_rate_vs_peers_pct": vs_peers,
        "refund_without_return_90d": rwr, "shops_claimed_30d": shops_30, "hours_since_delivery": hours,
        "threat_terms": len(terms), "velocity_x100": round(velocity * 100),
        "evidence_own_orders": len(own_orders), "last_mile_elsewhere": elsewhere,
        "returns_refused_90d": c.returns_refused_90d,
        "no_reason_claims_90d": sum(1 for h in history if h.reason == "no_reason") + (c.reason == "no_reason")}
    if claims_30 > 1:
        signals.append(Signal("history", claims_90, {"claims_30d": claims_30, "shops_30d": shops_30,
                                                     "orders_90d": orders_90, "peer_rate_per_10k": peer}))
    ring_facts, ring_signals = _ring_facts(indexes, repo, c.consumer_id)
    return {**facts, **ring_facts}, signals + ring_signals


def _same_province(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.split("-")[:2] == b.split("-")[:2])


def return_facts(indexes: OnlineIndexes, uow: UnitOfWork, r: ReturnInput,
                 rb: RiskRulebook) -> tuple[dict[str, Any], list[Signal]]:
    signal_repo = SignalRepository(uow.session)
    verdict_repo = VerdictRepository(uow.session)
    signals: list[Signal] = []
    weight = r.weight_g if r.weight_g is not None else (r.goods_weight_g or 1000)
    tariff = tariff_fen(weight, same_province=_same_province(r.ship_from_region, r.ship_to_region),
                        first_kg_fen=rb.tariff.first_kg_fen, extra_kg_fen=rb.tariff.extra_kg_fen,
                        cross_province_extra_fen=rb.tariff.cross_province_extra_fen)
    excess = max(0, (r.freight_fen - tariff) * 100 // tariff) if tariff else 0
    weight_pct = (r.weight_g * 100 // r.goods_weight_g) if r.weight_g is not None and r.goods_weight_g else -1
    addresses = {v for k, v in signal_repo.links_of(f"consumer:{r.consumer_id}") if k == "address"}
    other_address = bool(r.from_address) and bool(addresses) and r.from_address not in addresses
    flags = sum(1 for v in verdict_repo.verdicts_for(consumer_id=r.consumer_id, limit=200)
                if v.stage == "return" and v.would_be != "pass" and v.decided_at >= r.at - 90 * DAY)
    if excess:
        signals.append(Signal("freight_excess", excess, {"declared_fen": r.freight_fen, "tariff_fen": tariff,
                                                         "weight_g": weight, "route": [r.ship_to_region,
                                                                                       r.ship_from_region]}))
    if other_address:
        signals.append(Signal("return_from_other_address", True, {"from": r.from_address,
                                                                  "known_addresses": len(addresses)}))
    if 0 <= weight_pct < 100:
        signals.append(Signal("return_weight", weight_pct, {"return_g": r.weight_g, "goods_g": r.goods_weight_g}))
    facts: dict[str, Any] = {"freight_declared_fen": r.freight_fen, "freight_tariff_fen": tariff,
                             "freight_excess_pct": excess, "return_weight_pct": weight_pct,
                             "return_from_other_address": other_address, "freight_flags_90d": flags}
    ring_facts, ring_signals = _ring_facts(indexes, signal_repo, r.consumer_id)
    return {**facts, **ring_facts}, signals + ring_signals


class Assessor:
    """Verdicts on requests, in the caller's transaction: the signals above, judged by the rules in force (the
    rulebook file, operators' drafts and statuses), stored with their facts, and a review opened unless they pass.
    ``RiskService`` hands other contexts these methods themselves (``risk.assess_claim`` …)."""

    def __init__(self, *, uow_factory: UowFactory, rulebook: RiskRulebook, mode: str) -> None:
        self.rulebook = rulebook
        self.mode = mode
        self.indexes = OnlineIndexes(uow_factory=uow_factory, rulebook=rulebook)
        self._drafts: tuple[tuple[tuple[str, str], ...], tuple[Rule, ...]] = ((), ())  # compiled, by signature
        self._rules_cache: tuple[int, RiskRulebook, dict[str, str]] | None = None

    def effective_rules(self, uow: UnitOfWork,
                        rules_seq: int | None = None) -> tuple[RiskRulebook, dict[str, str]]:
        """The rulebook file plus operators' draft rules, and every rule's status as operators left it (rule
        administration reads these too). Read again only when a rule changed since (``rules_seq``, from the
        catch-up's watermarks; None: read now)."""
        if rules_seq is not None and self._rules_cache is not None and self._rules_cache[0] == rules_seq:
            return self._rules_cache[1], self._rules_cache[2]
        repo = RuleStateRepository(uow.session)
        statuses = repo.rule_statuses()
        overrides = {rule_id: status for rule_id, status, _, _ in statuses}
        signature = tuple((rule_id, at.isoformat()) for rule_id, _, at, draft in statuses if draft)
        if signature != self._drafts[0]:
            drafts = tuple(parse_rule(r.definition) for r in repo.rule_states() if r.definition is not None)
            self._drafts = (signature, drafts)
        drafts = self._drafts[1]
        rb = replace(self.rulebook, rules=self.rulebook.rules + drafts) if drafts else self.rulebook
        if rules_seq is not None:
            self._rules_cache = (rules_seq, rb, overrides)
        return rb, overrides

    def record(self, uow: UnitOfWork, verdict: Verdict, *, subject: str, case_id: str | None,
               consumer_id: str | None, shop_id: str | None, amount_fen: int, at: dt.datetime,
               open_review: bool = True) -> Assessment:
        repo = VerdictLog(uow.session)
        verdict_id = new_id("rv")
        repo.add_verdict(VerdictRow(
            verdict_id=verdict_id, stage=verdict.stage, subject=subject, case_id=case_id, consumer_id=consumer_id,
            shop_id=shop_id, amount_fen=amount_fen, outcome=verdict.outcome.value, would_be=verdict.would_be.value,
            score=verdict.score, mode=verdict.mode, rulebook_version=verdict.rulebook_version,
            reasons=[h.as_dict() for h in verdict.hits], shadow=[h.as_dict() for h in verdict.shadow],
            signals=[s.as_dict() for s in verdict.signals], facts=_jsonable(verdict.facts), decided_at=at))
        review_id = None
        if verdict.outcome is not Outcome.PASS and open_review:
            review_id = new_id("rr")
            sla = self.rulebook.review_sla_hours[verdict.outcome.value]
            repo.add_review(ReviewRow(
                review_id=review_id, verdict_id=verdict_id, stage=verdict.stage, case_id=case_id,
                consumer_id=consumer_id, shop_id=shop_id, outcome=verdict.outcome.value,
                priority=0 if verdict.outcome is Outcome.BLOCK else 1, state="open", opened_at=at,
                due_at=at + dt.timedelta(hours=sla), note=""))
            repo.audit(at, "system:risk", "review.opened", f"review:{review_id}",
                       {"verdict_id": verdict_id, "outcome": verdict.outcome.value, "codes": verdict.reason_codes})
        return Assessment(verdict, verdict_id, review_id)

    def assess_claim(self, uow: UnitOfWork, claim: ClaimInput, *, open_review: bool = True) -> Assessment:
        """The verdict on an after-sale request, stored with its facts; a review is opened unless it passes
        (or the guarantee rules refused the request anyway: it is still recorded, it counts in history)."""
        rules_seq = self.indexes.catch_up(uow)
        if self.mode == "off":
            verdict = judge("claim", {}, (), self.rulebook, mode="off")
        else:
            facts, signals = claim_facts(self.indexes, uow, claim, self.rulebook)
            rb, overrides = self.effective_rules(uow, rules_seq)
            verdict = judge("claim", facts, tuple(signals), rb, overrides=overrides, mode=self.mode)
        SignalRepository(uow.session).add_uses(claim.case_id, claim.order_id, claim.consumer_id, claim.shop_id,
                                             claim.evidence, claim.at)
        return self.record(uow, verdict, subject=f"case:{claim.case_id}", case_id=claim.case_id,
                           consumer_id=claim.consumer_id, shop_id=claim.shop_id, amount_fen=claim.amount_fen,
                           at=claim.at, open_review=open_review)

    def assess_return(self, uow: UnitOfWork, ret: ReturnInput) -> Assessment:
        """The verdict on a self-shipped return's freight claim (shipping-insurance arbitrage)."""
        rules_seq = self.indexes.catch_up(uow)
        if self.mode == "off":
            verdict = judge("return", {}, (), self.rulebook, mode="off")
        else:
            facts, signals = return_facts(self.indexes, uow, ret, self.rulebook)
            rb, overrides = self.effective_rules(uow, rules_seq)
            verdict = judge("return", facts, tuple(signals), rb, overrides=overrides, mode=self.mode)
        return self.record(uow, verdict, subject=f"case:{ret.case_id}", case_id=ret.case_id,
                           consumer_id=ret.consumer_id, shop_id=ret.shop_id, amount_fen=ret.freight_fen, at=ret.at)

    def assess_shop(self, uow: UnitOfWork, shop_id: str, credentials: Mapping[str, str],
                    at: dt.datetime) -> Assessment | None:
        """At onboarding: a shop sharing credentials with a banned shop is flagged, with the links."""
        if not credentials or self.mode == "off":
            return None
        signal_repo = SignalRepository(uow.session)
        verdict_repo = VerdictRepository(uow.session)
        banned = {b.shop_id for b in verdict_repo.active_bans()}
        pairs = sorted(credentials.items())
        shared = [(s.split(":", 1)[1], k, v) for s, k, v in signal_repo.sharing(pairs, max_degree=10_000)
                  if s.startswith("shop:") and s != f"shop:{shop_id}"]
        hits = [(s, k) for s, k, _ in shared if s in banned]
        facts = {"banned_links": len(hits), "banned_link_kinds": frozenset(k for _, k in hits),
                 "linked_shops": len({s for s, _, _ in shared})}
        signals = (Signal("banned_links", len(hits), {"links": [{"shop_id": s, "kind": k} for s, k in hits]}),) \
            if hits else ()
        rb, overrides = self.effective_rules(uow)
        verdict = judge("onboarding", facts, signals, rb, overrides=overrides, mode=self.mode)
        if verdict.outcome is Outcome.PASS and not verdict.shadow:
            return None  # every shop update would otherwise leave a verdict row behind
        if verdict_repo.open_review_for(f"shop:{shop_id}"):
            return None  # already waiting for an operator: the same links again add nothing
        assessment = self.record(uow, verdict, subject=f"shop:{shop_id}", case_id=None, consumer_id=None,
                                 shop_id=shop_id, amount_fen=0, at=at)
        if verdict.outcome is Outcome.BLOCK:  # the platform restricts the shop (actions.restrict_blocked_shop)
            uow.record(ShopBlocked(shop_id=shop_id, cause="risk.verdict", cause_id=assessment.verdict_id,
                                   reason_codes=tuple(verdict.reason_codes), blocked_by="system:risk", blocked_at=at))
        return assessment


def _jsonable(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, frozenset | set) else v for k, v in facts.items()}
